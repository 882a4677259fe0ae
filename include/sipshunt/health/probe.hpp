// hot path (match); probe building is control plane but allocation-free too.
// SIP OPTIONS health probes: the bytes the control lcore sends to a backend, and the recognition
// of a backend's reply by the Call-ID and Via branch that only this process generates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipshunt/common/address.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::health {

// Every probe's Call-ID starts with this. The proxy recognises a response whose Call-ID carries
// it (Verdict::kLocal) and never forwards it; the worker then calls ProbeCodec::match and
// posts the result to the health mailbox. Must stay equal to the proxy's copy of the prefix
// (tests/health checks it when the proxy module is built).
inline constexpr std::string_view kProbeCallIdPrefix = "sipshunt-probe-";

// Our Via carries branch=z9hG4bK<nonce>.<backend>.<seq>; the Call-ID is
// kProbeCallIdPrefix<nonce>.<backend>.<seq>. The nonce (16 hex digits, random per process) makes
// the pair unguessable enough that a stray or forged response cannot move a backend's state.
inline constexpr std::size_t kMaxProbeSize = 768;  // a probe always fits (IPv6 + long numbers)

enum class MatchResult : std::uint8_t {
  kOk = 0,        // one of ours: out fields are set
  kNotProbe,      // Call-ID lacks the prefix: not a probe reply at all
  kNotResponse,   // a request carrying our prefix (a loop or a forgery)
  kForeign,       // prefix present but not our nonce / malformed numbers
  kBadBranch,     // Call-ID ours but the top Via branch does not match it
  kBadCSeq,       // CSeq method is not OPTIONS
};
[[nodiscard]] std::string_view to_string(MatchResult r) noexcept;

struct ProbeReply {
  std::uint32_t backend = 0;  // prober's backend index, as encoded in the Call-ID
  std::uint64_t seq = 0;      // the probe's sequence number (unique per process)
  std::uint16_t status = 0;   // response status code
};

// What a probe says about us and the backend it goes to.
struct ProbeTarget {
  Endpoint self;              // our address on the network the probe leaves by, SIP port: Via sent-by, From URI
  Endpoint backend;           // destination: Request-URI and To
  std::uint32_t backend_index = 0;
  std::uint64_t seq = 0;
};

// Builds and recognises probes for one nonce. Immutable after construction: the control lcore
// builds with it, every worker matches with a const reference to the same object.
class ProbeCodec {
 public:
  explicit ProbeCodec(std::uint64_t nonce) noexcept;

  // Writes the OPTIONS request into `out`; returns its length, 0 when `capacity` is too small
  // (kMaxProbeSize always suffices).
  [[nodiscard]] std::size_t build(const ProbeTarget& target, char* out, std::size_t capacity) const noexcept;

  // Decides whether a parsed message is a reply to one of our probes. hot path: no allocation.
  [[nodiscard]] MatchResult match(const sip::Message& msg, ProbeReply& out) const noexcept;

  [[nodiscard]] std::uint64_t nonce() const noexcept { return nonce_; }
  [[nodiscard]] std::string_view nonce_text() const noexcept { return {nonce_text_, 16}; }

 private:
  std::uint64_t nonce_;
  char nonce_text_[16];
};

// True when `call_id` carries the probe prefix: the cheap test the proxy/worker does first.
[[nodiscard]] inline bool has_probe_prefix(std::string_view call_id) noexcept {
  return call_id.size() >= kProbeCallIdPrefix.size() &&
         call_id.substr(0, kProbeCallIdPrefix.size()) == kProbeCallIdPrefix;
}

// A fresh random nonce from the OS (control plane: called once at start).
[[nodiscard]] std::uint64_t random_nonce();

}  // namespace sipshunt::health
