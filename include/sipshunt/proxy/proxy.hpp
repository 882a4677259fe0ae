// hot path (process); snapshot building is control plane.
// The stateless proxy: a pure function from (datagram, source, snapshot, worker state) to a
// verdict (forward / reply / drop) and the exact bytes to send. DESIGN.md "What correct means".
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/balance/maglev.hpp"
#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::proxy {

enum class Verdict : std::uint8_t { kForward, kReply, kDrop, kProbeReply };

// Why the proxy did what it did: stable tokens (to_string) for counters, logs and `explain`.
// The proxy owner extends this list; keep kCount last.
enum class Reason : std::uint8_t {
  kForwarded = 0,    // "forwarded"
  kCount
};
[[nodiscard]] std::string_view to_string(Reason r) noexcept;

// Largest datagram the proxy rewrites and the headroom the rewrite may add.
inline constexpr std::size_t kMaxDatagram = 65535;
inline constexpr std::size_t kMaxGrowth = 1024;

// One backend as the workers see it.
struct BackendView {
  std::string name;
  Endpoint endpoint;
  std::uint32_t pool = 0;     // index into Snapshot::pools
  bool up = true;             // health
  config::AdminState admin = config::AdminState::kEnabled;
};

struct PoolView {
  std::string name;
  std::vector<std::uint32_t> members;  // indices into Snapshot::backends
  balance::MaglevTable table;          // entries index into `members`, built from usable ones
};

// Everything a decision needs, immutable once published; workers share it read-only.
struct Snapshot {
  std::uint64_t version = 0;
  std::shared_ptr<const config::Config> config;
  std::vector<BackendView> backends;   // all backends of all pools
  std::vector<PoolView> pools;         // same order as config->pools
  std::shared_ptr<const rules::RuleSet> rules;  // may be null: default pool only
  // (the proxy owner adds what it needs: pin lookup table, preformatted Via/Record-Route, ...)
};

// Health/admin state the control plane feeds into a snapshot build: by backend name.
struct BackendState {
  std::string name;
  bool up = true;
  config::AdminState admin = config::AdminState::kEnabled;
};

// Builds a snapshot from a validated config, the compiled rules and current backend states
// (backends absent from `states` are up and enabled). Control plane.
[[nodiscard]] std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                                             std::shared_ptr<const rules::RuleSet> rules,
                                                             const std::vector<BackendState>& states,
                                                             std::uint64_t version);

// Per-worker counters: written by one worker only, summed by the control thread.
struct SIPSHUNT_CACHE_ALIGNED Counters {
  std::array<std::uint64_t, static_cast<std::size_t>(Reason::kCount)> by_reason{};
  std::array<std::uint64_t, 700> replies_by_status{};
  // per rule / per backend counters are sized when the worker adopts a snapshot (proxy owner)
};

// Per-worker state: rules scratch, reply rate limiter, counters. One per worker thread.
struct Worker {
  rules::Scratch scratch;
  Counters counters;
  // (the proxy owner adds the reply token bucket etc.)
};

struct Result {
  Verdict verdict = Verdict::kDrop;
  Reason reason = Reason::kForwarded;
  std::uint16_t status = 0;   // kReply: status code
  Endpoint next_hop;          // kForward / kReply: destination
  std::uint32_t length = 0;   // kForward / kReply: bytes written to `out`
  std::int32_t rule = -1;     // deciding rule index, -1 none
  std::int32_t pool = -1;     // pool index, -1 none
  std::int32_t backend = -1;  // backend index into Snapshot::backends, -1 none
};

// The whole decision and rewrite for one datagram. `out` must hold size + kMaxGrowth bytes.
// `now_ns` drives the reply rate bound (any monotonic clock).
[[nodiscard]] Result process(const Snapshot& snapshot, Worker& worker, const char* data, std::size_t size,
                             const Endpoint& source, char* out, std::size_t out_capacity,
                             std::uint64_t now_ns) noexcept;

}  // namespace sipshunt::proxy
