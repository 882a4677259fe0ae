// hot path
// What every step of process() shares for one datagram: the Context (input, source, output
// buffer, snapshot, worker, parsed message) and the small checks several steps make. Private to
// src/proxy (README.md "Files" lists the steps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ip_literal.hpp"
#include "sipshunt/balance/maglev.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy::detail {

struct Context {
  const Snapshot& s;
  ThreadState& w;
  const char* data;
  std::size_t size;
  const Endpoint& src;
  char* out;
  std::size_t cap;
  std::uint64_t now;
  const sip::Message& m;
  bool parsed;   // parse() returned kOk: the decoded fields (vias, tags...) can be used
  std::uint64_t call_id_hash = 0;  // balance::call_id_hash(m.call_id) once `hashed`
  bool hashed = false;

  [[nodiscard]] std::size_t offset(const char* p) const noexcept { return static_cast<std::size_t>(p - data); }
  [[nodiscard]] std::size_t offset_end(std::string_view v) const noexcept { return offset(v.data()) + v.size(); }
};

// The steps fill one Outcome in place (returning it by value through several calls cost
// store-forwarding stalls on its odd-sized fields in the benchmark).
SIPSHUNT_ALWAYS_INLINE void drop(Outcome& r, Reason reason) noexcept {
  r.verdict = Verdict::kDrop;
  r.reason = reason;
  r.backend = -1;
  r.length = 0;
}

// The Call-ID hash, computed at most once per datagram.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE std::uint64_t call_id_hash(Context& c) noexcept {
  if (!c.hashed) {
    c.call_id_hash = balance::call_id_hash(c.m.call_id);
    c.hashed = true;
  }
  return c.call_id_hash;
}

// Where the forwarded message ends: after the body framed by Content-Length (extra octets in
// the datagram are not forwarded).
[[nodiscard]] inline std::size_t framed_end(const Context& c) noexcept {
  const std::string_view body = c.m.body;
  if (body.data() == nullptr) return c.size;
  const std::size_t end = c.offset_end(body);
  return end <= c.size ? end : c.size;
}

// A Via's sent-by port; 5060 when absent (RFC 3261 §18.2.2).
[[nodiscard]] inline std::uint16_t via_port(const sip::Via& v) noexcept { return v.has_port ? v.port : 5060; }

// Whether a SIP URI names this proxy: our address, and our port (5060 when the URI has none).
// Forced inline: as an inline function of a header GCC kept it out of line, a call per request.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE bool names_us(const Snapshot& s, const sip::Uri& uri) noexcept {
  if (!uri.is_sip || !host_is(uri.host, s.self.ip)) return false;
  return uri.has_port ? uri.port == s.self.port : s.self.port == 5060;
}

[[nodiscard]] inline bool is_ack(const sip::Message& m) noexcept { return m.method == "ACK"; }

// The requests we record-route: those that create a dialog.
[[nodiscard]] inline bool creates_dialog(const sip::Message& m) noexcept {
  return m.to_tag.empty() && (m.method == "INVITE" || m.method == "SUBSCRIBE" || m.method == "REFER");
}

}  // namespace sipshunt::proxy::detail
