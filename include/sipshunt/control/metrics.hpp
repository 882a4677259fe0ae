// Control plane. The metric set of the admin API as a plain value: the control lcore fills a
// MetricsSnapshot from the per-worker counters, the port statistics, the prober and the reload
// history (helpers below do most of it), and render_metrics() turns it into Prometheus text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipshunt/common/histogram.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/common/version.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/control/prometheus.hpp"
#include "sipshunt/control/readiness.hpp"

namespace sipshunt::proxy {
struct Snapshot;
struct Counters;
}  // namespace sipshunt::proxy
namespace sipshunt::health {
class Prober;
}  // namespace sipshunt::health

namespace sipshunt::control {

struct PortMetrics {
  std::string name;  // config name of the port
  std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  std::uint64_t rx_missed = 0, rx_errors = 0, tx_errors = 0;  // NIC-level (rte_eth_stats)
  std::uint64_t rx_nombuf = 0;       // rte_eth_stats: no mbuf for a received packet
  std::uint64_t rx_ring_dropped = 0; // af_packet: the kernel found the rx ring full (PACKET_STATISTICS)
};

// One network (a port's untagged link or VLAN, one family): what the workers counted on it.
struct NetworkMetrics {
  std::string name;  // config name of the network
  std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
};

struct NamedCount {
  std::string name;
  std::uint64_t value = 0;
};

struct StatusCount {
  std::uint16_t status = 0;
  std::uint64_t value = 0;
};

struct BackendMetrics {
  std::string name;
  std::string pool;
  std::uint64_t forwarded = 0;  // requests sent to it (new calls and pinned)
  bool up = true;
  config::AdminState admin = config::AdminState::kEnabled;
  bool health_checked = false;
  HistogramValue rtt;                 // alive probe replies' round trips (seconds)
  std::uint64_t probes_sent = 0, probe_timeouts = 0, probe_dead_replies = 0, probe_late_replies = 0;
};

struct WorkerMetrics {
  std::uint32_t id = 0;  // worker index
  double busy_seconds = 0, idle_seconds = 0;
  HistogramValue processing;  // sampled proxy::process time per datagram (seconds)
};

// The process as the Prometheus client libraries describe it (process_* metrics).
struct ProcessMetrics {
  double cpu_seconds = 0;          // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;   // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;
};

enum class ReloadErrorKind : std::uint8_t {
  kInvalid,          // the config or a rule file does not load, parse, compile or validate
  kRestartRequired,  // valid, but changes a setting a running process cannot change
  kInternal,         // building the new state failed (out of memory, ...)
};

// The control plane's Error (file:line:col: message) and what kind of refusal it is.
struct ReloadError : Error {
  ReloadErrorKind kind = ReloadErrorKind::kInvalid;
  ReloadError() = default;
  ReloadError(ReloadErrorKind k, Error e) : Error(std::move(e)), kind(k) {}
  ReloadError(ReloadErrorKind k, std::string file, std::uint32_t line, std::uint32_t column, std::string message)
      : Error{std::move(file), line, column, std::move(message)}, kind(k) {}
};

struct ReloadMetrics {
  std::uint64_t generation = 1;           // config + rules loaded so far (the start is 1)
  std::uint64_t succeeded = 0, failed = 0;
  std::optional<ReloadError> last_error;  // set while the last attempt failed
  double last_attempt_unix_seconds = 0;   // 0: never
  double last_success_unix_seconds = 0;   // start counts as a success
};

// HEP mirroring (src/mirror/README.md); all zero when it is off.
struct MirrorMetrics {
  std::uint64_t mirrored = 0, queue_full = 0, too_large = 0, send_errors = 0;
};

struct MetricsSnapshot {
  std::vector<PortMetrics> ports;
  std::vector<NetworkMetrics> networks;
  std::vector<NamedCount> drops;         // data plane + proxy drops by reason token
  std::vector<NamedCount> decisions;     // every proxy Reason token with its count
  std::vector<NamedCount> verdicts;      // SIP datagrams by verdict: forward reply drop probe-reply
  std::vector<StatusCount> replies;      // stateless replies by status code
  std::vector<NamedCount> rule_hits;     // by rule name (file order)
  std::vector<BackendMetrics> backends;  // all pools, config order
  std::vector<WorkerMetrics> workers;
  ReloadMetrics reloads;
  std::uint64_t snapshot_version = 0;
  std::uint64_t health_mailbox_dropped = 0;
  std::uint64_t probe_replies_unmatched = 0;  // ours by prefix, but no outstanding probe
  MirrorMetrics mirror;
  double tsc_hz = 0;                     // TSC cycles per second
  std::optional<ProcessMetrics> process; // none: /proc not readable
  bool ready = false;                    // decide_readiness() (control/readiness.hpp)
  InstanceState instance = InstanceState::kServing;  // sipshunt_draining: 1 unless serving
  BuildInfo build;                       // sipshunt_build_info's labels
};

// Fills backends (names, pools, health and admin state, probe counters and RTT) and rule names
// from the published snapshot and the prober (may be null: health checks off). Counters are
// left at 0: add_proxy_counters() adds them.
void fill_from(MetricsSnapshot& m, const proxy::Snapshot& snapshot, const health::Prober* prober);

// Adds one worker's (or the summed) proxy counters: decisions by reason, replies by status,
// per-rule hits and per-backend forwards, indexed as in `snapshot` (the one the counters were
// taken under). Call fill_from() first.
void add_proxy_counters(MetricsSnapshot& m, const proxy::Snapshot& snapshot, const proxy::Counters& counters);

// Prometheus text. Entries of `drops`, `decisions` and `rule_hits` with the same name are summed
// into one series (two rules may share a name).
[[nodiscard]] std::string render_metrics(const MetricsSnapshot& m);

[[nodiscard]] std::string_view to_string(config::AdminState s) noexcept;  // enabled drained disabled

// A LatencyHistogram (ns) as exposed: bounds and sum in seconds.
[[nodiscard]] HistogramValue to_seconds(const LatencyHistogram& h, std::span<const std::uint64_t> bounds_ns);

// process_* from /proc/self (stat, statm via stat, fd) and getrlimit; none when unreadable.
[[nodiscard]] std::optional<ProcessMetrics> read_process_metrics();

}  // namespace sipshunt::control
