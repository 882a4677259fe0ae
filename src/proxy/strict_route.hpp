// hot path
// Strict routing (RFC 3261 §16.4): recognising a request a strict router (RFC 2543) sent with one
// of our Record-Route URIs as its Request-URI, and the edits that restore its Request-URI before
// it is forwarded. Private to src/proxy.
#pragma once

#include <cstddef>
#include <string_view>

#include "context.hpp"
#include "rewrite.hpp"

namespace sipshunt::proxy::detail {

// A strict router sends an in-dialog request with one of our Record-Route URIs as its
// Request-URI and the remote target as the last Route value. Ours are recognised exactly: no
// user part, our address and port, our pin parameter (a request for sip:bob@<our address> is not
// one). The Request-URI is then replaced with that last value, which is removed from the Route
// set.
struct StrictRoute {
  bool active = false;
  std::string_view pin;                   // the pin in the Request-URI
  const sip::RouteValue* last = nullptr;  // the value that becomes the Request-URI; null: none
};

// `ruri_has_at`: whether the Request-URI holds a '@' (request_uri.hpp finds it).
[[nodiscard]] inline StrictRoute strict_route(const Snapshot& s, const sip::Message& m, bool ruri_has_at) noexcept {
  StrictRoute sr;
  const std::string_view ruri = m.request_uri;
  // Cheap test first: most Request-URIs have a user part, ours never.
  if (ruri_has_at) return sr;
  sip::Uri u;
  if (!sip::parse_uri(ruri, u) || !u.user.empty() || !names_us(s, u)) return sr;
  if (!sip::find_param(u.params, kPinParam, sr.pin)) return sr;
  sr.active = true;
  if (m.route_count > 0) sr.last = &m.routes[m.route_count - 1];
  return sr;
}

// The last Route value's URI becomes the Request-URI; the value leaves the Route set (with the
// separator before it when its field holds more, else the whole field). `strict.last` is set.
// Returns the number of whole header fields removed (0 or 1).
inline std::uint32_t add_strict_route_edits(const Context& c, const StrictRoute& strict, Edits& edits) noexcept {
  const sip::Message& m = c.m;
  edits.add(c.offset(m.request_uri.data()), m.request_uri.size(), strict.last->uri.raw);
  const std::size_t n = m.route_count;
  if (n > 1 && m.routes[n - 2].header == strict.last->header) {
    const std::size_t from = c.offset_end(m.routes[n - 2].value);
    edits.add(from, c.offset_end(strict.last->value) - from);
    return 0;
  }
  const sip::Header& h = m.headers[strict.last->header];
  edits.add(h.begin, h.end - h.begin);
  return 1;
}

}  // namespace sipshunt::proxy::detail
