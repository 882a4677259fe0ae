// hot path
// Routing a request from a backend (DESIGN.md proxy rule 2): to the next Route value, else to the
// Request-URI, whose host is an IP literal or a [proxy.hosts] name (no DNS on the data path).
#pragma once

#include "steps.hpp"

namespace sipshunt::proxy::detail {

inline void backend_request(Context& c, std::uint32_t own, const StrictRoute& strict, std::int32_t source_backend,
                            Outcome& r) noexcept {
  const sip::Message& m = c.m;
  r.reason = Reason::kOutbound;
  const std::size_t next_route = own;  // our entries at the top are skipped
  sip::Uri request_uri;
  const sip::Uri* uri = nullptr;
  if (strict.active && strict.last != nullptr) {
    // The Route set without its last value, else that value (the new Request-URI).
    uri = m.route_count > 1 ? &m.routes[0].uri : &strict.last->uri;
  } else if (m.route_count > next_route) {
    uri = &m.routes[next_route].uri;
  } else if (sip::parse_uri(m.request_uri, request_uri)) {
    uri = &request_uri;
  }
  Endpoint dest;
  if (uri == nullptr || !uri->is_sip) return drop(r, Reason::kUnresolvableNextHop);
  std::uint16_t port = 5060;
  if (!parse_ip_literal(uri->host, dest.ip)) {
    // A host name: only through the config's [proxy.hosts] (no DNS on the data path).
    const config::HostMapping* h = find_host(c.s, uri->host);
    if (h == nullptr) return drop(r, Reason::kUnresolvableNextHop);
    dest.ip = h->address;
    if (h->port != 0) port = h->port;
  }
  dest.port = uri->has_port ? uri->port : port;
  if (is_self(c.s, dest)) return drop(r, Reason::kNextHopIsSelf);
  // Dialogs a backend starts are record-routed with its own pin, so the far end's in-dialog
  // requests come back through us to the same backend.
  const std::vector<std::string>* record_routes =
      c.s.record_route && creates_dialog(m)
          ? &c.s.backends[static_cast<std::size_t>(source_backend)].record_route_lines
          : nullptr;
  return forward_request(c, dest, own, record_routes, strict, r);
}

}  // namespace sipshunt::proxy::detail
