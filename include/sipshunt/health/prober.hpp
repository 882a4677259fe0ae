// Control plane. The rise/fall state machine of every backend and the probe schedule: the
// control lcore calls tick(now) in its loop, sends the probes it returns through the data
// plane, feeds it the replies workers posted to the mailbox, and rebuilds a pool's Maglev table
// when a backend of that pool changes state. No I/O and no clock inside: both are injected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/histogram.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/health/mailbox.hpp"
#include "sipshunt/health/probe.hpp"
#include "sipshunt/net/route.hpp"

namespace sipshunt::health {

// State of a backend the prober has never heard from (process start, or added by a reload).
//  kUp   (default): up until `fall` consecutive probes fail. Traffic flows from the first
//        packet, as it did before a restart; a backend that is dead at start is removed within
//        the same bound as any other failure (fall x interval + timeout).
//  kDown: down until its first successful probe (one success suffices for a backend never
//        seen; later recoveries need `rise`). No call is sent to a backend nobody has checked,
//        at the price of ~1 RTT (plus ARP resolution) of 503s at start.
enum class InitialState : std::uint8_t { kUp, kDown };

struct ProberOptions {
  InitialState initial = InitialState::kUp;
  std::uint64_t nonce = 0;  // 0: random_nonce()
};

// What the prober knows about one backend; read by control for snapshots, /status and /metrics.
struct BackendHealth {
  std::string name;
  std::string pool;
  std::uint32_t pool_index = 0;
  Endpoint endpoint;
  // Our SIP address on the network the route to the backend leaves by: the probe's Via and From
  // (src/proxy/README.md "Networks"); proxy.address without networks or without a route.
  Endpoint local;
  config::HealthCheck check;       // the pool's parameters
  bool up = true;
  bool ever_answered = false;      // at least one alive reply since it was first seen
  std::uint32_t successes = 0;     // consecutive
  std::uint32_t failures = 0;      // consecutive
  std::uint16_t last_status = 0;   // 0: none yet (or the last probe timed out)
  std::uint64_t last_rtt_ns = 0;   // of the last alive reply
  std::uint64_t srtt_ns = 0;       // smoothed (1/8 gain, as TCP)
  LatencyHistogram rtt;            // every alive reply's round trip, kProbeRttBoundsNs buckets
  std::uint64_t last_change_ns = 0;
  // counters since the backend was first seen (they survive reloads with the backend)
  std::uint64_t probes_sent = 0;
  std::uint64_t replies_alive = 0;
  std::uint64_t replies_dead = 0;  // final status >= alive_below
  std::uint64_t timeouts = 0;
  std::uint64_t late_replies = 0;  // reply to a probe already timed out or superseded
  // schedule (internal, visible for tests)
  std::uint64_t next_probe_ns = 0;
  std::optional<std::uint64_t> pending_seq;
  std::uint64_t pending_sent_ns = 0;
};

struct Probe {
  std::uint32_t backend = 0;  // index into Prober::backends()
  Endpoint to;
  std::string bytes;          // the OPTIONS datagram (UDP payload)
};

struct StateChange {
  std::uint32_t backend = 0;
  std::uint32_t pool_index = 0;
  bool up = false;
  std::uint64_t at_ns = 0;
};

struct TickResult {
  std::vector<Probe> probes;          // send these now
  std::vector<StateChange> changes;   // since the previous tick (replies and timeouts)
};

enum class ReplyOutcome : std::uint8_t {
  kAlive,        // counted as a success
  kDead,         // final status >= alive_below: counted as a failure
  kProvisional,  // 1xx: ignored, the probe stays pending
  kLate,         // the probe had already timed out or been superseded
  kUnknown,      // no backend has this probe outstanding or ever sent it (stale index/seq)
};

class Prober {
 public:
  // Backends are indexed in config order (pools in order, backends in order within a pool),
  // the same flattening as proxy::Snapshot::backends. All start per `options.initial`, and the
  // first round of probes goes out at `now_ns`.
  Prober(const config::Config& config, ProberOptions options, std::uint64_t now_ns);

  // Adopts a new config (a reload): backends that keep their name keep their state, counters
  // and outstanding probe (a reply to it is still accepted); new ones start per the initial
  // state and are probed at once; pools' new health parameters apply from the next probe.
  void reconfigure(const config::Config& config, std::uint64_t now_ns);

  // Feeds one reply posted by a worker. Changes of state are reported by the next tick().
  ReplyOutcome on_reply(const ReplyEvent& event);

  // Drains `mailbox` into on_reply(); returns how many events it consumed.
  std::size_t drain(ReplyMailbox& mailbox);

  // Times out overdue probes, returns the probes due now and the state changes since the last
  // tick. Call it at least every few milliseconds; next_deadline_ns() says when it must run.
  // `seen_until_ns`: the data plane has processed every packet received before this time (its
  // workers polled since). Timeouts are judged against it, not `now_ns`, so replies stuck in a
  // stalled worker's rx ring are not mistaken for silence. Default: no such lag.
  [[nodiscard]] TickResult tick(std::uint64_t now_ns, std::uint64_t seen_until_ns = UINT64_MAX);

  // Earliest time at which tick() has something to do.
  [[nodiscard]] std::uint64_t next_deadline_ns() const noexcept;

  [[nodiscard]] const std::vector<BackendHealth>& backends() const noexcept { return backends_; }
  [[nodiscard]] std::optional<std::uint32_t> find(std::string_view name) const noexcept;
  [[nodiscard]] bool up(std::string_view name) const noexcept;  // unknown names: false
  [[nodiscard]] const ProbeCodec& codec() const noexcept { return codec_; }
  [[nodiscard]] std::uint64_t unknown_replies() const noexcept { return unknown_replies_; }

 private:
  void success(BackendHealth& b, std::uint32_t index, std::uint64_t now_ns);
  void failure(BackendHealth& b, std::uint32_t index, std::uint64_t now_ns);
  void set_state(BackendHealth& b, std::uint32_t index, bool up, std::uint64_t now_ns);
  BackendHealth fresh(const config::Pool& pool, std::uint32_t pool_index, const config::Backend& backend,
                      std::uint64_t now_ns) const;

  ProberOptions options_;
  ProbeCodec codec_;
  void set_networks(const config::Config& config);
  [[nodiscard]] Endpoint local_for(const Endpoint& backend) const;
  Endpoint self_;
  std::vector<Endpoint> network_sip_;  // per config network: (its address, self port)
  net::RouteTable routes_;             // the config's; empty without networks
  std::vector<BackendHealth> backends_;
  std::vector<StateChange> changes_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t unknown_replies_ = 0;
};

}  // namespace sipshunt::health
