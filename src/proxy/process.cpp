// hot path
// process(): parse, then dispatch. A datagram the parser rejects gets 505/400 or is dropped; a
// request passes the RFC 3261 §16.3 checks and goes to the backend- or client-request routing; a
// response to the response routing (one header each, inline here as before the split: a call
// per datagram otherwise). Every result is counted.
#include <cstring>

#include "backend_request.hpp"
#include "client_request.hpp"
#include "count.hpp"
#include "response.hpp"

namespace sipshunt::proxy {

namespace {

using namespace detail;

// RFC 5118 §4.2: an IPv6 address in a SIP URI is written in brackets (RFC 3261 §25.1
// IPv6reference); "sip:2001:db8::10" is answered 400. The hostport of a sip/sips Request-URI (after
// any userinfo, before any parameter) that is not bracketed and holds more than one ':' is that.
[[nodiscard]] inline bool unbracketed_ipv6_host(std::string_view uri) noexcept {
  std::size_t at;
  if (uri.size() > 4 && (uri[3] == ':') && sip::iequals(uri.substr(0, 3), "sip")) {
    at = 4;
  } else if (uri.size() > 5 && uri[4] == ':' && sip::iequals(uri.substr(0, 4), "sips")) {
    at = 5;
  } else {
    return false;
  }
  // This runs for every request: most Request-URIs hold at most one ':' after the scheme (the
  // port's), which two vectorised memchr calls settle; only the rest get the careful scan.
  const char* const end = uri.data() + uri.size();
  const auto* first = static_cast<const char*>(std::memchr(uri.data() + at, ':', uri.size() - at));
  if (first == nullptr || std::memchr(first + 1, ':', static_cast<std::size_t>(end - first - 1)) == nullptr) return false;
  // The host starts after the last '@' before the first ';' or '?'; a bracketed one is settled
  // there (every RFC 5118 Request-URI), else its colons are counted up to that ';' or '?'.
  const char* const begin = uri.data() + at;
  const char* stop = static_cast<const char*>(std::memchr(begin, ';', static_cast<std::size_t>(end - begin)));
  if (stop == nullptr) stop = end;
  if (const auto* q = static_cast<const char*>(std::memchr(begin, '?', static_cast<std::size_t>(stop - begin)))) stop = q;
  const auto* last_at = static_cast<const char*>(memrchr(begin, '@', static_cast<std::size_t>(stop - begin)));
  const char* const host = last_at != nullptr ? last_at + 1 : begin;
  if (host == end || *host == '[') return false;
  unsigned colons = 0;
  for (const char* p = host; p != stop; ++p) colons += *p == ':';
  return colons > 1;
}

void request(Context& c, Outcome& r) noexcept {
  const sip::Message& m = c.m;
  r.kind = Kind::kRequest;
  // RFC 3261 §16.3 order: Max-Forwards, then Proxy-Require.
  if (m.max_forwards == 0) return reply(c, 483, default_phrase(483), Reason::kMaxForwardsExhausted, Extra::kNone, r);
  if (m.find(sip::HeaderId::kProxyRequire) != nullptr) {
    for (std::size_t i = 0; i < m.header_count; ++i) {
      if (m.headers[i].id != sip::HeaderId::kProxyRequire) continue;
      std::string_view tag;
      for (sip::ListIterator it(m.headers[i].value); it.next(tag);)
        if (!tag.empty())
          return reply(c, 420, default_phrase(420), Reason::kUnsupportedExtension, Extra::kUnsupported, r);
    }
  }
  if (unbracketed_ipv6_host(m.request_uri))
    return reply(c, 400, default_phrase(400), reason_for(sip::Status::kBadRequestUri), Extra::kNone, r);
  const std::uint32_t own = m.route_count > 0 ? own_routes(c.s, m) : 0;
  // Loose routing first: with our Route on top the Request-URI is not ours to restore.
  const StrictRoute strict = own > 0 ? StrictRoute{} : strict_route(c.s, m);
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

Outcome process(const Snapshot& snapshot, ThreadState& worker, const char* data, std::size_t size, const Endpoint& source,
               std::uint16_t network, char* out, std::size_t out_capacity, std::uint64_t now_ns) noexcept {
  Outcome r;
  if (size > kMaxDatagram) {
    drop(r, Reason::kTooLarge);
  } else {
    sip::Message& m = worker.message;
    const sip::Status status = sip::parse(data, size, m);
    if (network >= snapshot.network_count) network = snapshot.self_network;
    Context c{snapshot, worker, data, size, source, network, out, out_capacity, now_ns, m, status == sip::Status::kOk};
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
