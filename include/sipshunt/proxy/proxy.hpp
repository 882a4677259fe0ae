// hot path (process); snapshot building is control plane.
// The stateless proxy: a pure function from (datagram, source, snapshot, worker state) to a
// verdict (forward / reply / drop) and the exact bytes to send. DESIGN.md "What correct means".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/balance/maglev.hpp"
#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/net/route.hpp"
#include "sipshunt/proxy/datagram.hpp"
#include "sipshunt/rules/rules.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::proxy {

// kLocal: a response to a request this instance sent itself (its Call-ID starts with the
// snapshot's local_call_id_prefix): handed to the control plane, never forwarded.
enum class Verdict : std::uint8_t { kForward, kReply, kDrop, kLocal };

// What the parser made of the datagram (explain's `kind`): kInvalid whenever parsing failed,
// even when a 400/505 could still be built from the headers found before the fault.
enum class Kind : std::uint8_t { kRequest, kResponse, kInvalid };

// Why the proxy did what it did: stable tokens (to_string) for counters, logs and `explain`.
// Parser failures map one to one onto sip::Status (same order, same tokens): see
// reason_for(sip::Status). Keep kCount last.
enum class Reason : std::uint8_t {
  kForwarded = 0,           // "forwarded": client request sent to a pool backend (rule or default pool)
  kPinned,                  // "pinned": client request sent to the backend named by our Route pin
  kOutbound,                // "outbound": backend request sent on by Route / Request-URI
  kResponse,                // "response": response sent to the next Via
  kLocalReply,              // "probe-reply": answer to a request of this instance's (Verdict::kLocal);
                            // the token names the only such requests, health probes (src/health)
  kMaxForwardsExhausted,    // "max-forwards-exhausted": Max-Forwards 0, 483
  kUnsupportedExtension,    // "unsupported-extension": Proxy-Require, 420
  kNoBackendUp,             // "no-backend-up": the pool has no usable backend, 503
  kNoMatch,                 // "no-match": no rule matched and no default pool, config no_match_status
  kRuleReply,               // "rule-reply": the matching rule's action is `reply`
  kRuleDrop,                // "rule-drop": the matching rule's action is `drop`
  kAckNotAnswered,          // "ack-not-answered": a reply would answer an ACK; dropped instead
  kReplyRateLimited,        // "reply-rate-limited": the worker's stateless reply budget is spent
  kForeignVia,              // "foreign-via": response whose top Via is not ours
  kNoNextVia,               // "no-next-via": response with only our Via
  kUnresolvableNextHop,     // "unresolvable-next-hop": next hop is a host name or not a SIP URI
  kUnsendableDestination,   // "unsendable-destination": broadcast, multicast or unspecified
  kNextHopIsSelf,           // "next-hop-is-self": backend request routed back to us (loop)
  kTooLarge,                // "too-large": datagram or rewritten output beyond the limits (a request
                            // whose forward would pass sip::kMaxHeaders is answered 513)
  kRulesError,              // "rules-error": the worker's rules scratch is not prepared for the snapshot
  kNoRoute,                 // "no-route": no network reaches the destination (README.md "Networks")
  kParseFirst,              // first of the parser failure block: one per sip::Status after kOk
  kParseLast = kParseFirst + static_cast<std::uint8_t>(sip::Status::kCount) - 2,
  kCount
};
[[nodiscard]] std::string_view to_string(Reason r) noexcept;
// The Reason for a parser failure (s != kOk): its token is sip::to_string(s).
[[nodiscard]] constexpr Reason reason_for(sip::Status s) noexcept {
  return static_cast<Reason>(static_cast<std::uint8_t>(Reason::kParseFirst) + static_cast<std::uint8_t>(s) - 1);
}
[[nodiscard]] std::string_view to_string(Verdict v) noexcept;  // "forward" "reply" "drop" "probe-reply" (kLocal)
[[nodiscard]] std::string_view to_string(Kind k) noexcept;     // "request" "response" "invalid"

// The Record-Route URI parameter that pins a dialog to its backend: `;sipshunt-b=<name>`.
inline constexpr std::string_view kPinParam = "sipshunt-b";
// Max-Forwards inserted when a request has none (RFC 3261 §16.6 step 3).
inline constexpr int kDefaultMaxForwards = 70;
// Retry-After (seconds) in the 503 sent when a pool has no usable backend.
inline constexpr std::uint32_t kRetryAfterSeconds = 5;

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
  std::string pin;            // the pin parameter value (name, %-escaped where not a URI paramchar)
  // Our Record-Route line with this pin, one per network (index as Snapshot::networks):
  // NetworkView::record_route_prefix + pin + ">\r\n", inserted as one piece.
  std::vector<std::string> record_route_lines;
  std::int32_t next_same_address = -1;  // the next backend (config order) on the same address, -1 none

  // New calls: up and enabled. Pinned (in-dialog) requests: up and not disabled (drained accepts).
  [[nodiscard]] bool usable() const noexcept { return up && admin == config::AdminState::kEnabled; }
  [[nodiscard]] bool accepts_pinned() const noexcept { return up && admin != config::AdminState::kDisabled; }
};

struct PoolView {
  std::string name;
  std::vector<std::uint32_t> members;  // indices into Snapshot::backends (all of the pool's backends)
  std::vector<std::uint32_t> usable;   // indices into Snapshot::backends of the usable members
  balance::MaglevTable table;          // entries index into `members` (built over all of them,
                                       // unusable ones flagged down: only their keys move)
};

// A rule as the proxy needs it: its name (for explain and counters) and its action.
struct RuleView {
  std::string name;
  rules::ActionKind kind = rules::ActionKind::kDrop;
  std::int32_t pool = -1;              // kPool: index into Snapshot::pools
  std::uint16_t status = 0;            // kReply
  std::string reason_phrase;           // kReply
};

// One of our networks as the proxy sees it (README.md "Networks"): its SIP address and the
// preformatted starts of the Via and Record-Route lines that carry it. A Record-Route line is
// record_route_prefix + a backend's pin + ">\r\n", preformatted per backend and network
// (BackendView::record_route_lines): one piece of an edit, no allocation.
struct NetworkView {
  std::string name;
  Endpoint sip;                        // (network address, config self port)
  std::string host;                    // its address as our Via and Record-Route write it ("[v6]")
  std::string via_prefix;              // "Via: SIP/2.0/UDP ADDR:PORT;branch=z9hG4bK"
  std::string record_route_prefix;     // "Record-Route: <sip:ADDR:PORT;lr;sipshunt-b="
};

// Open-addressing index from a key (endpoint or pin) to a backend: control plane builds it,
// workers probe it without allocating.
struct BackendIndex {
  std::vector<std::int32_t> slots;     // backend index or -1; size is a power of two
  // Bit address_bit(a) set for every backend address a: most datagrams come from clients, and a
  // clear bit says at once that a source is no backend, before hashing it for the slots.
  std::uint64_t address_bits = 0;
  [[nodiscard]] std::uint32_t mask() const noexcept { return static_cast<std::uint32_t>(slots.size() - 1); }
  [[nodiscard]] static unsigned address_bit(const IpAddress& a) noexcept {
    std::uint64_t lo, hi;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    return static_cast<unsigned>(((lo ^ hi) * 0x9e3779b97f4a7c15ULL) >> 58);  // the product's top 6 bits
  }
};

// Everything a decision needs, immutable once published; workers share it read-only.
struct Snapshot {
  std::uint64_t version = 0;
  std::shared_ptr<const config::Config> config;
  std::vector<BackendView> backends;   // all backends of all pools
  std::vector<PoolView> pools;         // same order as config->pools
  std::shared_ptr<const rules::RuleSet> rules;  // may be null: default pool only
  std::vector<RuleView> rule_views;    // one per rules->rules(), same order

  Endpoint self;                       // config->self
  std::string via_prefix;              // networks[self_network].via_prefix
  // Our networks, in config order (config Dpdk::networks); a config without networks has one
  // implicit network named "proxy" whose address is proxy.address and that reaches every
  // destination on-link (`routed` false).
  std::vector<NetworkView> networks;
  std::uint32_t network_count = 1;     // networks.size(): one network is the fast path
  std::uint16_t self_network = 0;      // the network of proxy.address (explain's default arrival)
  bool routed = false;                 // destinations through `routes`, else all via network 0
  net::RouteTable routes;              // from the config's networks and routes
  std::int32_t default_pool = -1;      // index into pools, -1 none
  // The pool whose Maglev slot an unpinned client request prefetches before the rules: the
  // default pool, else the only pool; -1: every pool when there are few (client_request.hpp).
  std::int32_t prefetch_pool = -1;
  std::uint16_t no_match_status = 404;
  std::string no_match_reason = "Not Found";
  bool record_route = true;
  std::uint32_t reply_rate = 10000;    // stateless replies per second per worker
  std::uint32_t reply_burst = 1000;    // token bucket depth
  BackendIndex by_address;             // source address -> first backend with it (config order)
  bool backend_any_port = true;        // config backend_source = "address"
  BackendIndex by_pin;                 // pin value -> backend
  // Responses whose Call-ID starts with this answer requests this instance sent (Verdict::kLocal).
  // The control plane passes its probes' prefix (health::kProbeCallIdPrefix); empty: none.
  std::string local_call_id_prefix;
};

// Health/admin state the control plane feeds into a snapshot build: by backend name.
struct BackendState {
  std::string name;
  bool up = true;
  config::AdminState admin = config::AdminState::kEnabled;
};

// Builds a snapshot from a validated config, the compiled rules and current backend states
// (backends absent from `states` are up and use their configured admin state). The rules must
// have been compiled with the config's pool names in config order: a rule's pool index is an
// index into Snapshot::pools. Control plane.
[[nodiscard]] std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                                             std::shared_ptr<const rules::RuleSet> rules,
                                                             const std::vector<BackendState>& states,
                                                             std::uint64_t version,
                                                             std::string_view local_call_id_prefix = {});

// Hot-path lookups in a snapshot: backend index or -1. find_backend: the backend on the source
// address and port; else, with backend_source = "address" (the default), the first backend (config
// order) on the source address. Inline, the address bit test that answers most datagrams (they
// come from clients) at once: no call for them; find_backend_probe() probes the slots.
[[nodiscard]] std::int32_t find_backend_probe(const Snapshot& s, const Endpoint& source) noexcept;
[[nodiscard]] inline std::int32_t find_backend(const Snapshot& s, const Endpoint& source) noexcept {
  if (((s.by_address.address_bits >> BackendIndex::address_bit(source.ip)) & 1) == 0) return -1;
  return find_backend_probe(s, source);
}
[[nodiscard]] std::int32_t find_pinned(const Snapshot& s, std::string_view pin) noexcept;
// [proxy.hosts] entry for a host name (any case), or nullptr.
[[nodiscard]] const config::HostMapping* find_host(const Snapshot& s, std::string_view host) noexcept;

// Per-backend and per-rule counters cover the first entries of these; beyond them only the
// per-reason counters count.
inline constexpr std::size_t kMaxCountedBackends = 1024;
inline constexpr std::size_t kMaxCountedRules = 1024;

// Per-worker counters: written by one worker only, summed by the control thread. The backend
// and rule counters are indexed like the snapshot the worker used at the time.
struct SIPSHUNT_CACHE_ALIGNED Counters {
  std::array<std::uint64_t, static_cast<std::size_t>(Reason::kCount)> by_reason{};
  std::array<std::uint64_t, 700> replies_by_status{};
  std::array<std::uint64_t, kMaxCountedBackends> by_backend{};  // requests forwarded to it
  std::array<std::uint64_t, kMaxCountedRules> by_rule{};        // requests it decided
};

// Stateless reply budget (token bucket, 1 token = 10^9 units so refills are integer math).
struct ReplyBucket {
  std::uint64_t units = 0;
  std::uint64_t last_ns = 0;
  bool primed = false;        // the first call fills the bucket
};

// Per-worker state: rules scratch, reply rate limiter, counters. One per worker thread.
struct ThreadState {
  rules::Scratch scratch;
  Counters counters;
  ReplyBucket replies;
  sip::Message message;       // parse scratch reused for every datagram (sip::parse resets it)
};

// Grows the worker's rules scratch for the snapshot's rules (no-op without rules). Control plane:
// call before the worker first processes with `snapshot`. False when Hyperscan cannot allocate.
[[nodiscard]] bool prepare(ThreadState& worker, const Snapshot& snapshot);

struct Outcome {
  Verdict verdict = Verdict::kDrop;
  Reason reason = Reason::kForwarded;
  Kind kind = Kind::kInvalid;
  std::uint16_t status = 0;   // kReply: status code
  Endpoint next_hop;          // kForward / kReply: destination
  std::uint32_t length = 0;   // kForward / kReply: bytes written to `out`
  std::int32_t rule = -1;     // deciding rule index, -1 none
  std::int32_t pool = -1;     // pool index, -1 none
  std::int32_t backend = -1;  // backend index into Snapshot::backends, -1 none
  net::NextHop route;         // kForward / kReply: the network it leaves by, the neighbour to resolve
};

// The whole decision and rewrite for one datagram. `in.network` is the index (Snapshot::networks)
// of the network it arrived on (one beyond the list is taken as self_network). `in.out` must hold
// in.size + kMaxGrowth bytes. `in.now_ns` drives the reply rate bound (any monotonic clock).
[[nodiscard]] Outcome process(const Snapshot& snapshot, ThreadState& worker, const Datagram& in) noexcept;
// The same with the datagram's parts as arguments (tests, explain, benchmarks).
[[nodiscard]] inline Outcome process(const Snapshot& snapshot, ThreadState& worker, const char* data, std::size_t size,
                                    const Endpoint& source, std::uint16_t network, char* out, std::size_t out_capacity,
                                    std::uint64_t now_ns) noexcept {
  return process(snapshot, worker, Datagram{data, size, source, network, out, out_capacity, now_ns});
}

// The index in Snapshot::networks of the network named `name`, -1 none. Control plane.
[[nodiscard]] int find_network(const Snapshot& s, std::string_view name) noexcept;

// The decision point for a client request that no pin routes (src/proxy/decide.hpp): the rule
// index that matched (-1 none) turned into an action. Exposed for tests and `explain`.
struct Decision {
  rules::ActionKind kind = rules::ActionKind::kDrop;
  Reason reason = Reason::kRuleDrop;
  std::int32_t rule = -1;
  std::int32_t pool = -1;          // kPool
  std::uint16_t status = 0;        // kReply
  std::string_view phrase;         // kReply: reason phrase (points into the snapshot)
};
[[nodiscard]] Decision decide(const Snapshot& snapshot, ThreadState& worker, const sip::Message& msg,
                              const Endpoint& source) noexcept;
[[nodiscard]] Decision decision_for_rule(const Snapshot& snapshot, std::int32_t rule) noexcept;

// Default reason phrase for the status codes the proxy generates ("" if unknown).
[[nodiscard]] std::string_view default_phrase(std::uint16_t status) noexcept;

}  // namespace sipshunt::proxy
