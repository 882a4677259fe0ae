// Control plane. The bridge between runtime::Runtime and control::Controller: the runtime's seams
// as closures, its data-plane metrics, and the wiring of both into one control loop.
#include "sipshunt/runtime/control_bridge.hpp"

#include <rte_cycles.h>

#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::runtime {

control::DataPlaneSeams seams_for(Runtime& rt) {
  control::DataPlaneSeams s;
  s.publish = [&rt](std::shared_ptr<const proxy::Snapshot> next) { return rt.publish(std::move(next)); };
  s.send_udp = [&rt](const Endpoint& to, std::string_view payload) { return rt.send_udp(to, payload); };
  s.proxy_totals = [&rt](proxy::Counters& sum) { rt.proxy_totals(sum); };
  s.dataplane_metrics = [&rt](control::MetricsSnapshot& m) { fill_dataplane_metrics(rt, m); };
  s.worker_loops = [&rt](std::vector<std::uint64_t>& loops) {
    loops.resize(rt.worker_count());
    for (std::size_t w = 0; w < loops.size(); ++w) loops[w] = sipshunt::read(rt.worker_counters(w).loops);
  };
  s.ports_down = [&rt](std::vector<std::string>& down) { down = rt.ports_link_down(); };
  return s;
}

void fill_dataplane_metrics(const Runtime& rt, control::MetricsSnapshot& m) {
  const dataplane::WorkerCounters t = rt.totals();
  const std::vector<PortStats> nic = rt.port_stats();
  for (std::size_t i = 0; i < rt.ports().size() && i < dataplane::kMaxPorts; ++i) {
    control::PortMetrics p;
    p.name = rt.ports()[i].name;
    p.rx_packets = t.ports[i].rx_packets;
    p.rx_bytes = t.ports[i].rx_bytes;
    p.tx_packets = t.ports[i].tx_packets;
    p.tx_bytes = t.ports[i].tx_bytes;
    if (i < nic.size()) {
      p.rx_missed = nic[i].imissed;
      p.rx_errors = nic[i].ierrors;
      p.tx_errors = nic[i].oerrors;
      p.rx_nombuf = nic[i].rx_nombuf;
      p.rx_ring_dropped = nic[i].ring_dropped;
    }
    m.ports.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < rt.networks().size() && i < dataplane::kMaxNetworks; ++i) {
    const auto& c = t.networks[i];
    m.networks.push_back({rt.networks()[i].name, c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes});
  }
  for (std::size_t d = 0; d < t.drops.size(); ++d)
    m.drops.push_back({std::string(dataplane::to_string(static_cast<dataplane::Drop>(d))), t.drops[d]});
  m.verdicts = {{"forward", t.sip_forwarded}, {"reply", t.sip_replied}, {"drop", t.sip_dropped},
                {"probe-reply", t.probe_replies}};
  // Worker i runs on the i-th worker lcore; the label is the worker index (stable across runs).
  const double hz = static_cast<double>(rte_get_tsc_hz());
  for (std::size_t w = 0; w < rt.worker_count(); ++w) {
    const auto& c = rt.worker_counters(w);
    LatencyHistogram processing;
    processing.add(c.processing);
    m.workers.push_back({static_cast<std::uint32_t>(w), static_cast<double>(sipshunt::read(c.busy_cycles)) / hz,
                         static_cast<double>(sipshunt::read(c.idle_cycles)) / hz,
                         control::to_seconds(processing, kProcessingBoundsNs)});
  }
  const MirrorStats hep = rt.mirror_stats();
  m.mirror = {hep.mirrored, hep.queue_full, hep.too_large, hep.send_errors};
  m.tsc_hz = hz;
}

Result<void> wire(Runtime& rt, control::Controller& ctl, std::uint64_t tick_ns, ReloadHooks hooks) {
  rt.set_probe_sink(&ctl.codec(), &ctl.mailbox());
  Result<void> attached = ctl.attach(seams_for(rt));
  rt.add_tick(tick_ns, [&ctl](std::uint64_t now) { ctl.tick(now); });
  rt.on_reload([&rt, &ctl, hooks = std::move(hooks)] {
    if (hooks.before) hooks.before();
    const control::ReloadOutcome outcome = ctl.reload(rt.now_ns());
    if (hooks.after) hooks.after(outcome);
  });
  return attached;
}

}  // namespace sipshunt::runtime
