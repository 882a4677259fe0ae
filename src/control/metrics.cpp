#include "sipshunt/control/metrics.hpp"

#include <algorithm>

#include "sipshunt/control/prometheus.hpp"
#include "sipshunt/health/prober.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::control {

std::string_view to_string(config::AdminState s) noexcept {
  switch (s) {
    case config::AdminState::kEnabled: return "enabled";
    case config::AdminState::kDrained: return "drained";
    case config::AdminState::kDisabled: return "disabled";
  }
  return "unknown";
}

void fill_from(MetricsSnapshot& m, const proxy::Snapshot& snapshot, const health::Prober* prober) {
  m.snapshot_version = snapshot.version;
  m.backends.clear();
  for (const auto& b : snapshot.backends) {
    BackendMetrics bm;
    bm.name = b.name;
    bm.pool = b.pool < snapshot.pools.size() ? snapshot.pools[b.pool].name : std::string();
    bm.up = b.up;
    bm.admin = b.admin;
    if (prober != nullptr) {
      if (auto i = prober->find(b.name)) {
        const health::BackendHealth& h = prober->backends()[*i];
        bm.health_checked = h.check.enabled;
        bm.rtt = to_seconds(h.rtt, kProbeRttBoundsNs);
        bm.probes_sent = h.probes_sent;
        bm.probe_timeouts = h.timeouts;
        bm.probe_dead_replies = h.replies_dead;
        bm.probe_late_replies = h.late_replies;
      }
    }
    if (bm.rtt.counts.empty()) bm.rtt = to_seconds(LatencyHistogram{}, kProbeRttBoundsNs);  // zero, not absent
    m.backends.push_back(std::move(bm));
  }
  m.rule_hits.clear();
  for (const auto& r : snapshot.rule_views) m.rule_hits.push_back({r.name, 0});
  if (prober != nullptr) m.probe_replies_unmatched = prober->unknown_replies();
  // Every status the proxy can answer with under this snapshot, so each series exists at 0.
  std::vector<std::uint16_t> statuses = {400, 420, 483, 503, 505, snapshot.no_match_status};
  for (const auto& r : snapshot.rule_views)
    if (r.kind == rules::ActionKind::kReply) statuses.push_back(r.status);
  std::sort(statuses.begin(), statuses.end());
  statuses.erase(std::unique(statuses.begin(), statuses.end()), statuses.end());
  m.replies.clear();
  for (std::uint16_t s : statuses) m.replies.push_back({s, 0});
}

HistogramValue to_seconds(const LatencyHistogram& h, std::span<const std::uint64_t> bounds_ns) {
  HistogramValue v;
  for (std::uint64_t b : bounds_ns) v.bounds.push_back(static_cast<double>(b) / 1e9);
  v.counts.assign(h.counts.begin(), h.counts.begin() + static_cast<std::ptrdiff_t>(bounds_ns.size() + 1));
  v.sum = static_cast<double>(h.sum_ns) / 1e9;
  return v;
}

void add_proxy_counters(MetricsSnapshot& m, const proxy::Snapshot& snapshot, const proxy::Counters& c) {
  constexpr auto kReasons = static_cast<std::size_t>(proxy::Reason::kCount);
  if (m.decisions.size() != kReasons) {
    m.decisions.clear();
    for (std::size_t i = 0; i < kReasons; ++i)
      m.decisions.push_back({std::string(proxy::to_string(static_cast<proxy::Reason>(i))), 0});
  }
  for (std::size_t i = 0; i < kReasons; ++i) m.decisions[i].value += c.by_reason[i];

  for (std::uint16_t s = 0; s < c.replies_by_status.size(); ++s) {
    if (c.replies_by_status[s] == 0) continue;
    auto it = std::lower_bound(m.replies.begin(), m.replies.end(), s,
                               [](const StatusCount& a, std::uint16_t v) { return a.status < v; });
    if (it == m.replies.end() || it->status != s) it = m.replies.insert(it, {s, 0});
    it->value += c.replies_by_status[s];
  }
  const std::size_t rules = std::min({m.rule_hits.size(), snapshot.rule_views.size(), c.by_rule.size()});
  for (std::size_t i = 0; i < rules; ++i) m.rule_hits[i].value += c.by_rule[i];
  const std::size_t backends = std::min({m.backends.size(), snapshot.backends.size(), c.by_backend.size()});
  for (std::size_t i = 0; i < backends; ++i) m.backends[i].forwarded += c.by_backend[i];
}

namespace {

// Same name twice would be the same series twice: invalid exposition. Sum them, first order kept.
std::vector<NamedCount> merged(const std::vector<NamedCount>& in) {
  std::vector<NamedCount> out;
  for (const auto& c : in) {
    auto it = std::find_if(out.begin(), out.end(), [&](const NamedCount& o) { return o.name == c.name; });
    if (it == out.end()) {
      out.push_back(c);
    } else {
      it->value += c.value;
    }
  }
  return out;
}

}  // namespace

std::string render_metrics(const MetricsSnapshot& m) {
  Exposition e;
  using T = MetricType;

  if (m.process) {
    // The names and meanings of the Prometheus client libraries' process collector.
    struct ProcessField {
      const char* name;
      MetricType type;
      const char* help;
      double ProcessMetrics::*field;
    };
    static constexpr ProcessField kProcessFields[] = {
        {"process_cpu_seconds_total", T::kCounter, "Total user and system CPU time spent in seconds.",
         &ProcessMetrics::cpu_seconds},
        {"process_resident_memory_bytes", T::kGauge, "Resident memory size in bytes.", &ProcessMetrics::resident_bytes},
        {"process_virtual_memory_bytes", T::kGauge, "Virtual memory size in bytes.", &ProcessMetrics::virtual_bytes},
        {"process_start_time_seconds", T::kGauge, "Start time of the process since unix epoch in seconds.",
         &ProcessMetrics::start_time_seconds},
        {"process_open_fds", T::kGauge, "Number of open file descriptors.", &ProcessMetrics::open_fds},
        {"process_max_fds", T::kGauge, "Maximum number of open file descriptors.", &ProcessMetrics::max_fds},
    };
    for (const auto& f : kProcessFields) {
      e.family(f.name, f.type, f.help);
      e.sample((*m.process).*f.field);
    }
  }
  e.family("sipshunt_build_info", T::kGauge, "Always 1; the labels say which build runs (sipshunt --version).");
  e.sample({{"version", m.build.version}, {"revision", m.build.revision}, {"dpdk", m.build.dpdk},
            {"hyperscan", m.build.hyperscan}},
           std::uint64_t{1});
  e.family("sipshunt_snapshot_version", T::kGauge, "Version of the published routing snapshot (rules, pools, states).");
  e.sample(m.snapshot_version);
  e.family("sipshunt_ready", T::kGauge,
           "1 when this instance should receive traffic (GET /ready: ports up, configuration loaded, a usable backend).");
  e.sample(std::uint64_t{m.ready});
  e.family("sipshunt_draining", T::kGauge,
           "1 when this instance is withdrawn on purpose: POST /instance/drain, or stopping within [instance] stop_grace_ms.");
  e.sample(std::uint64_t{m.instance != InstanceState::kServing});

  struct PortField {
    const char* name;
    const char* help;
    std::uint64_t PortMetrics::*field;
  };
  static constexpr PortField kPortFields[] = {
      {"sipshunt_port_rx_packets_total", "Packets received on the port.", &PortMetrics::rx_packets},
      {"sipshunt_port_rx_bytes_total", "Bytes received on the port.", &PortMetrics::rx_bytes},
      {"sipshunt_port_tx_packets_total", "Packets sent on the port.", &PortMetrics::tx_packets},
      {"sipshunt_port_tx_bytes_total", "Bytes sent on the port.", &PortMetrics::tx_bytes},
      {"sipshunt_port_rx_missed_total", "Packets the NIC dropped for lack of rx descriptors (rte_eth_stats imissed).",
       &PortMetrics::rx_missed},
      {"sipshunt_port_rx_nombuf_total", "Packets the NIC dropped for lack of mbufs (rte_eth_stats rx_nombuf).",
       &PortMetrics::rx_nombuf},
      {"sipshunt_port_rx_errors_total", "Erroneous packets received (rte_eth_stats ierrors).", &PortMetrics::rx_errors},
      {"sipshunt_port_tx_errors_total", "Packets the NIC failed to send (rte_eth_stats oerrors).", &PortMetrics::tx_errors},
      {"sipshunt_port_rx_ring_dropped_total",
       "Packets the kernel dropped because the port's af_packet rx ring was full (PACKET_STATISTICS; 0 on other drivers).",
       &PortMetrics::rx_ring_dropped},
  };
  for (const auto& f : kPortFields) {
    e.family(f.name, T::kCounter, f.help);
    for (const auto& p : m.ports) e.sample({{"port", p.name}}, p.*f.field);
  }

  struct NetworkField {
    const char* name;
    const char* help;
    std::uint64_t NetworkMetrics::*field;
  };
  static constexpr NetworkField kNetworkFields[] = {
      {"sipshunt_network_rx_packets_total", "Frames that arrived on the network (a port's untagged link or VLAN, one family).",
       &NetworkMetrics::rx_packets},
      {"sipshunt_network_rx_bytes_total", "Bytes of the frames that arrived on the network.", &NetworkMetrics::rx_bytes},
      {"sipshunt_network_tx_packets_total", "Frames sent on the network.", &NetworkMetrics::tx_packets},
      {"sipshunt_network_tx_bytes_total", "Bytes of the frames sent on the network.", &NetworkMetrics::tx_bytes},
  };
  for (const auto& f : kNetworkFields) {
    e.family(f.name, T::kCounter, f.help);
    for (const auto& n : m.networks) e.sample({{"network", n.name}}, n.*f.field);
  }

  e.family("sipshunt_drops_total", T::kCounter, "Datagrams discarded, by reason.");
  for (const auto& d : merged(m.drops)) e.sample({{"reason", d.name}}, d.value);
  e.family("sipshunt_sip_messages_total", T::kCounter, "SIP datagrams handed to the proxy, by verdict.");
  for (const auto& d : merged(m.verdicts)) e.sample({{"verdict", d.name}}, d.value);
  e.family("sipshunt_proxy_decisions_total", T::kCounter, "Proxy decisions (forward, reply or drop), by reason.");
  for (const auto& d : merged(m.decisions)) e.sample({{"reason", d.name}}, d.value);
  e.family("sipshunt_replies_total", T::kCounter, "Stateless replies sent, by status code.");
  for (const auto& r : m.replies) {
    const std::string status = std::to_string(r.status);
    e.sample({{"status", status}}, r.value);
  }
  e.family("sipshunt_rule_hits_total", T::kCounter, "Requests decided by each dispatch rule.");
  for (const auto& r : merged(m.rule_hits)) e.sample({{"rule", r.name}}, r.value);

  e.family("sipshunt_backend_forwarded_total", T::kCounter, "Requests forwarded to each backend.");
  for (const auto& b : m.backends) e.sample({{"pool", b.pool}, {"backend", b.name}}, b.forwarded);
  e.family("sipshunt_backend_up", T::kGauge, "1 when the backend passes its health checks (or has none).");
  for (const auto& b : m.backends) e.sample({{"pool", b.pool}, {"backend", b.name}}, std::uint64_t{b.up});
  e.family("sipshunt_backend_admin_state", T::kGauge,
           "Administrative state of the backend: 1 on the current state's series.");
  for (const auto& b : m.backends)
    for (auto s : {config::AdminState::kEnabled, config::AdminState::kDrained, config::AdminState::kDisabled})
      e.sample({{"pool", b.pool}, {"backend", b.name}, {"state", to_string(s)}}, std::uint64_t{b.admin == s});
  e.family("sipshunt_backend_usable", T::kGauge, "1 when the backend takes new calls (up and enabled).");
  for (const auto& b : m.backends)
    e.sample({{"pool", b.pool}, {"backend", b.name}},
             std::uint64_t{b.up && b.admin == config::AdminState::kEnabled});
  e.family("sipshunt_probe_rtt_seconds", T::kHistogram,
           "Round-trip time of answered health probes (control lcore send to worker read).");
  for (const auto& b : m.backends) e.histogram({{"pool", b.pool}, {"backend", b.name}}, b.rtt);
  e.family("sipshunt_probes_sent_total", T::kCounter, "OPTIONS health probes sent.");
  for (const auto& b : m.backends) e.sample({{"pool", b.pool}, {"backend", b.name}}, b.probes_sent);
  e.family("sipshunt_probe_timeouts_total", T::kCounter, "Health probes not answered within the timeout.");
  for (const auto& b : m.backends) e.sample({{"pool", b.pool}, {"backend", b.name}}, b.probe_timeouts);
  e.family("sipshunt_probe_dead_replies_total", T::kCounter,
           "Health probes answered with a final status at or above alive_below.");
  for (const auto& b : m.backends) e.sample({{"pool", b.pool}, {"backend", b.name}}, b.probe_dead_replies);
  e.family("sipshunt_probe_late_replies_total", T::kCounter, "Probe replies that came after their timeout.");
  for (const auto& b : m.backends) e.sample({{"pool", b.pool}, {"backend", b.name}}, b.probe_late_replies);
  e.family("sipshunt_probe_replies_unmatched_total", T::kCounter,
           "Probe replies with our Call-ID prefix that answer no outstanding probe.");
  e.sample(m.probe_replies_unmatched);
  e.family("sipshunt_health_mailbox_dropped_total", T::kCounter,
           "Probe replies dropped because the workers' mailbox to the control thread was full.");
  e.sample(m.health_mailbox_dropped);

  e.family("sipshunt_reloads_total", T::kCounter, "Configuration reloads (SIGHUP or POST /reload), by result.");
  e.sample({{"result", "succeeded"}}, m.reloads.succeeded);
  e.sample({{"result", "failed"}}, m.reloads.failed);
  e.family("sipshunt_last_reload_successful", T::kGauge, "1 when the last reload attempt (or the start) succeeded.");
  e.sample(std::uint64_t{!m.reloads.last_error.has_value()});
  e.family("sipshunt_last_reload_attempt_timestamp_seconds", T::kGauge, "Time of the last reload attempt.");
  e.sample(m.reloads.last_attempt_unix_seconds);
  e.family("sipshunt_last_reload_success_timestamp_seconds", T::kGauge, "Time of the last successful reload or start.");
  e.sample(m.reloads.last_success_unix_seconds);
  // File and line only: the message is free text (unbounded label values make a new series per
  // wording); it is in GET /status and the log.
  e.family("sipshunt_last_reload_error_info", T::kGauge,
           "File and line where the last failed reload failed (present only while the last attempt failed; "
           "the message is in GET /status and the log).");
  if (const auto& err = m.reloads.last_error) {
    const std::string line = std::to_string(err->line);
    e.sample({{"file", err->file}, {"line", line}}, std::uint64_t{1});
  }

  e.family("sipshunt_worker_busy_seconds_total", T::kCounter, "Time a worker spent on loop iterations that found work.");
  for (const auto& w : m.workers) {
    const std::string id = std::to_string(w.id);
    e.sample({{"worker", id}}, w.busy_seconds);
  }
  e.family("sipshunt_worker_idle_seconds_total", T::kCounter, "Time a worker spent polling empty queues.");
  for (const auto& w : m.workers) {
    const std::string id = std::to_string(w.id);
    e.sample({{"worker", id}}, w.idle_seconds);
  }
  e.family("sipshunt_hep_mirrored_total", T::kCounter, "SIP messages sent to the HEP collector.");
  e.sample(m.mirror.mirrored);
  e.family("sipshunt_hep_dropped_total", T::kCounter,
           "SIP messages not mirrored: a worker's HEP queue was full, or the datagram was too large.");
  e.sample({{"reason", "queue-full"}}, m.mirror.queue_full);
  e.sample({{"reason", "too-large"}}, m.mirror.too_large);
  e.family("sipshunt_hep_send_errors_total", T::kCounter, "HEP packets the kernel refused to send to the collector.");
  e.sample(m.mirror.send_errors);
  e.family("sipshunt_sip_processing_seconds", T::kHistogram,
           "Time proxy::process took for one SIP datagram (parse, rules, balance, rewrite), "
           "sampled: 1 datagram in 1024 per worker.");
  for (const auto& w : m.workers) {
    const std::string id = std::to_string(w.id);
    e.histogram({{"worker", id}}, w.processing);
  }
  e.family("sipshunt_tsc_hertz", T::kGauge, "TSC frequency of the host (the workers' clock).");
  e.sample(m.tsc_hz);
  return e.take();
}

}  // namespace sipshunt::control
