// hot path
// process(): parse, then dispatch. A datagram the parser rejects gets 505/400 or is dropped; a
// request passes the RFC 3261 §16.3 checks and goes to the backend- or client-request routing; a
// response to the response routing (one header each, inline here as before the split: a call
// per datagram otherwise). Every result is counted.
#include <cstring>

#include "backend_request.hpp"
#include "client_request.hpp"
#include "count.hpp"
#include "request_uri.hpp"
#include "response.hpp"

namespace sipshunt::proxy {

namespace {

using namespace detail;

void request(Context& c, Outcome& r) noexcept {
  const sip::Message& m = c.m;
  r.kind = Kind::kRequest;
  // RFC 3261 §16.3 order: Max-Forwards, then Proxy-Require.
  if (m.max_forwards == 0) return reply(c, 483, default_phrase(483), Reason::kMaxForwardsExhausted, Extra::kNone, r);
  if (m.find(sip::HeaderId::kProxyRequire) != nullptr) {
    for (std::size_t i = 0; i < m.header_count; ++i) {
      if (m.headers[i].id != sip::HeaderId::kProxyRequire) continue;
      std::string_view tag;
      for (sip::ListIterator it(m.headers[i].value()); it.next(tag);)
        if (!tag.empty())
          return reply(c, 420, default_phrase(420), Reason::kUnsupportedExtension, Extra::kUnsupported, r);
    }
  }
  // RFC 5118 §4.2: an IPv6 address in a SIP URI is written in brackets (RFC 3261 §25.1
  // IPv6reference); "sip:2001:db8::10" is answered 400 (request_uri.hpp).
  const RequestUriShape uri = request_uri_shape(m.request_uri, c.data + c.size);
  if (uri.unbracketed_ipv6)
    return reply(c, 400, default_phrase(400), reason_for(sip::Status::kBadRequestUri), Extra::kNone, r);
  const std::uint32_t own = m.route_count > 0 ? own_routes(c.s, m) : 0;
  // Loose routing first: with our Route on top the Request-URI is not ours to restore.
  const StrictRoute strict = own > 0 ? StrictRoute{} : strict_route(c.s, m, uri.has_at);
  const std::int32_t backend = find_backend(c.s, c.src);
  if (backend >= 0) return backend_request(c, own, strict, backend, r);
  return client_request(c, own, strict, r);
}

// A datagram the parser rejected: 505 for a request with another SIP version, 400 for other
// malformed requests when Via, From, To, Call-ID and CSeq were found; otherwise dropped.
void invalid(Context& c, sip::Status status, Outcome& r) noexcept {
  r.kind = Kind::kInvalid;
  r.reason = reason_for(status);
  r.verdict = Verdict::kDrop;
  switch (status) {
    case sip::Status::kEmpty:
    case sip::Status::kBadStartLine:
    case sip::Status::kBadMethod:
    case sip::Status::kBadRequestUri:
    case sip::Status::kBadStatusCode:
      return;  // the start line is not a request line we could answer
    default: break;
  }
  if (!c.m.is_request) return;
  if (status == sip::Status::kBadVersion) return reply(c, 505, default_phrase(505), r.reason, Extra::kNone, r);
  reply(c, 400, default_phrase(400), r.reason, Extra::kNone, r);
}

}  // namespace

Outcome process(const Snapshot& snapshot, ThreadState& worker, const Datagram& in) noexcept {
  Outcome r;
  static_assert(kMaxDatagram <= sip::kMaxMessageSize, "sip::Header keeps 32-bit offsets into the datagram");
  if (in.size > kMaxDatagram) {
    drop(r, Reason::kTooLarge);
  } else {
    sip::Message& m = worker.message;
    const std::uint16_t network = in.network < snapshot.network_count ? in.network : snapshot.self_network;
    // The context is filled before parsing, so the inputs go to its place in memory once
    // rather than being kept across the call (saved and reloaded) and then stored.
    Context c{snapshot, worker, in.data, in.size, in.source, in.out, in.out_capacity, in.now_ns, m, 0, network, false, false};
    const sip::Status status = sip::parse(in.data, in.size, m);
    c.parsed = status == sip::Status::kOk;
    if (status != sip::Status::kOk) {
      invalid(c, status, r);
    } else if (m.is_request) {
      request(c, r);
    } else {
      response(c, r);
    }
  }
  count(worker.counters, r);
  return r;
}

}  // namespace sipshunt::proxy
