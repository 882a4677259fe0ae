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
#include "sipshunt/common/octets.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::proxy::detail {

// The small fields last, side by side: no padding between the words for the brace
// initialisation in process() to fill.
struct Context {
  const Snapshot& s;
  ThreadState& w;
  const char* data;
  std::size_t size;
  const Endpoint& src;
  char* out;
  std::size_t cap;
  std::uint64_t now;
  const sip::Message& m;  // parsed from `data`: its Headers' offsets are offsets into it
  std::uint64_t call_id_hash;  // balance::call_id_hash(m.call_id) once `hashed`
  std::uint16_t network;  // the arrival network (index into Snapshot::networks, checked)
  bool parsed;   // parse() returned kOk: the decoded fields (vias, tags...) can be used
  bool hashed;

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

// The index of our network whose SIP address `host` (as SIP writes it) is, -1 none. The text our
// Via and Record-Route write is tried first: a response's top Via and an in-dialog Route carry it
// as we wrote it, and reading an IPv6 literal costs far more than comparing it. Any other spelling
// is read: one network, the common case, is one comparison as before; several: the literal is
// parsed once and the networks' addresses scanned (a handful). The SIP address is the service
// address where the network has one, whatever proxy.address names.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE int our_network(const Snapshot& s, std::string_view host) noexcept {
  for (std::uint32_t i = 0; i < s.network_count; ++i)
    if (host == s.networks[i].host) return static_cast<int>(i);
  if (s.network_count == 1) return host_is(host, s.networks[0].sip.ip) ? 0 : -1;
  IpAddress ip;
  if (!parse_ip_literal(host, ip)) return -1;
  for (std::uint32_t i = 0; i < s.network_count; ++i)
    if (s.networks[i].sip.ip == ip) return static_cast<int>(i);
  return -1;
}

// Whether a SIP URI names this proxy: one of our addresses, and our port (5060 when the URI has
// none). Forced inline: as an inline function of a header GCC kept it out of line, a call per request.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE bool names_us(const Snapshot& s, const sip::Uri& uri) noexcept {
  if (!uri.is_sip || (uri.has_port ? uri.port != s.self.port : s.self.port != 5060)) return false;
  return our_network(s, uri.host) >= 0;
}

// Whether `e` is one of our SIP addresses (a loop).
[[nodiscard]] inline bool is_self(const Snapshot& s, const Endpoint& e) noexcept {
  if (e.port != s.self.port) return false;
  for (std::uint32_t i = 0; i < s.network_count; ++i)
    if (s.networks[i].sip.ip == e.ip) return true;
  return false;
}

// The network a message to `dst` leaves by and the neighbour to resolve; false: no route. Without
// networks in the config, every destination is on-link through the implicit network 0.
[[nodiscard]] SIPSHUNT_ALWAYS_INLINE bool route_to(const Snapshot& s, const IpAddress& dst, net::NextHop& hop) noexcept {
  if (!s.routed) {
    hop.network = 0;
    hop.address = dst;
    return true;
  }
  return s.routes.lookup(dst, hop);
}

// How many Route values at the top of the set are ours to remove (RFC 3261 §16.4): the top one
// when it names us, and each next one naming another of our networks than those before it (a
// double Record-Route, README.md "Networks"). The same network twice is a second visit (a
// spiral): it stays for the next pass, as with one network.
[[nodiscard]] inline std::uint32_t own_routes(const Snapshot& s, const sip::Message& m) noexcept {
  const sip::Uri& top = m.routes[0].uri;
  if (s.network_count == 1) return names_us(s, top) ? 1 : 0;
  std::uint64_t seen = 0;
  std::uint32_t n = 0;
  for (; n < m.route_count; ++n) {
    const sip::Uri& uri = m.routes[n].uri;
    if (!uri.is_sip || (uri.has_port ? uri.port != s.self.port : s.self.port != 5060)) break;
    const int network = our_network(s, uri.host);
    if (network < 0 || network >= 64 || (seen >> network & 1) != 0) break;
    seen |= std::uint64_t{1} << network;
  }
  return n;
}

[[nodiscard]] inline bool is_ack(const sip::Message& m) noexcept { return same_text(m.method, "ACK"); }

// The requests we record-route: those that create a dialog.
[[nodiscard]] inline bool creates_dialog(const sip::Message& m) noexcept {
  return m.to_tag.empty() && (same_text(m.method, "INVITE") || same_text(m.method, "SUBSCRIBE") || same_text(m.method, "REFER"));
}

}  // namespace sipshunt::proxy::detail
