// Control plane. The runtime's counters as readers want them: per worker, summed over the
// workers, and the NIC's own port statistics; after shutdown, the values kept at the stop.
#include <rte_ethdev.h>

#include "sipshunt/common/counter.hpp"
#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::runtime {

const dataplane::WorkerCounters& Runtime::worker_counters(std::size_t i) const noexcept {
  return down_ ? final_counters_[i] : workers_[i]->counters();
}

const proxy::Counters& Runtime::proxy_counters(std::size_t i) const noexcept {
  return down_ ? *final_proxy_[i] : workers_[i]->proxy_state().counters;
}

dataplane::WorkerCounters Runtime::totals() const noexcept {
  dataplane::WorkerCounters t;
  for (std::size_t i = 0; i < worker_count(); ++i) dataplane::accumulate(t, worker_counters(i));
  return t;
}

void Runtime::proxy_totals(proxy::Counters& out) const noexcept {
  out = proxy::Counters{};
  auto add = [](auto& dst, const auto& src) {
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i] += sipshunt::read(src[i]);
  };
  for (std::size_t i = 0; i < worker_count(); ++i) {
    const proxy::Counters& c = proxy_counters(i);
    add(out.by_reason, c.by_reason);
    add(out.replies_by_status, c.replies_by_status);
    add(out.by_backend, c.by_backend);
    add(out.by_rule, c.by_rule);
  }
}

std::vector<PortStats> Runtime::port_stats() const { return down_ ? final_port_stats_ : port_stats_now(); }

std::vector<std::string> Runtime::ports_link_down() const {
  std::vector<std::string> down;
  for (const auto& p : ports_) {
    rte_eth_link link{};
    if (down_ || !p.started || rte_eth_link_get_nowait(p.id, &link) != 0 || link.link_status != RTE_ETH_LINK_UP)
      down.push_back(p.name);
  }
  return down;
}

std::vector<PortStats> Runtime::port_stats_now() const {
  std::vector<PortStats> v;
  ring_dropped_.resize(ports_.size(), 0);
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    const auto& p = ports_[i];
    PortStats s;
    s.name = p.name;
    ring_dropped_[i] += net::af_packet_ring_drops(p);
    s.ring_dropped = ring_dropped_[i];
    rte_eth_stats st{};
    if (p.started && rte_eth_stats_get(p.id, &st) == 0) {
      s.ipackets = st.ipackets;
      s.opackets = st.opackets;
      s.ibytes = st.ibytes;
      s.obytes = st.obytes;
      s.imissed = st.imissed;
      s.ierrors = st.ierrors;
      s.oerrors = st.oerrors;
      s.rx_nombuf = st.rx_nombuf;
    }
    v.push_back(s);
  }
  return v;
}

}  // namespace sipshunt::runtime
