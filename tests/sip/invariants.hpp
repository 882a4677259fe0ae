// Properties every parse result must have, whatever the input: each view lies inside the
// datagram, counts stay within their arrays, and on kOk the decoded fields agree with the header
// table. Shared by the robustness test and the fuzzer; no test framework here.
#pragma once

#include <cstddef>
#include <string_view>

#include "sipshunt/sip/message.hpp"

namespace sipshunt::sip::testing {

// Returns nullptr when every invariant holds, else a short description of the first violation.
inline const char* check_invariants(const Message& m, const char* data, std::size_t size, Status st) {
  const auto inside = [&](std::string_view v) {
    if (v.empty()) return v.data() == nullptr || (v.data() >= data && v.data() <= data + size);
    return v.data() >= data && v.data() + v.size() <= data + size;
  };
  const auto uri_inside = [&](const Uri& u) {
    return inside(u.raw) && inside(u.scheme) && inside(u.user) && inside(u.password) && inside(u.host) &&
           inside(u.params) && inside(u.headers);
  };
  if (m.data != data || m.size != size) return "data/size not recorded";
  if (!inside(m.start_line) || !inside(m.method) || !inside(m.request_uri) || !inside(m.reason))
    return "start line view outside the datagram";
  if (m.header_count > kMaxHeaders) return "header_count above kMaxHeaders";
  if (m.decoded_vias > kDecodedVias) return "decoded_vias above kDecodedVias";
  if (m.route_count > kMaxRoutes) return "route count too large";
  for (std::size_t i = 0; i < m.header_count; ++i) {
    const Header& h = m.headers[i];
    if (!inside(h.name()) || !inside(h.value()) || !inside(h.line())) return "header view outside the datagram";
    if (h.name().empty() || h.line().size() < 3) return "empty header name or line";
    if (h.line().data() != h.name().data()) return "header line does not start at its name";
    if (h.line().substr(h.line().size() - 2) != "\r\n") return "header line does not end with CRLF";
    if (h.value().data() < h.name().data() + h.name().size() ||
        h.value().data() + h.value().size() > h.line().data() + h.line().size())
      return "header value outside its line";
    if (static_cast<std::size_t>(h.id) >= static_cast<std::size_t>(HeaderId::kCount)) return "bad header id";
  }
  for (std::size_t id = 0; id < static_cast<std::size_t>(HeaderId::kCount); ++id) {
    const std::uint16_t f = m.first[id];
    if (f == kNoHeader) continue;
    if (f >= m.header_count) return "first[] points past the table";
    if (static_cast<std::size_t>(m.headers[f].id) != id) return "first[] points at another header";
    for (std::size_t j = 0; j < f; ++j)
      if (static_cast<std::size_t>(m.headers[j].id) == id) return "first[] is not the first";
  }
  const auto via_ok = [&](const Via& v) -> const char* {
    for (std::string_view s : {v.value, v.protocol, v.version, v.transport, v.host, v.branch, v.received, v.rport,
                               v.maddr, v.params})
      if (!inside(s)) return "via view outside the datagram";
    if (v.header >= m.header_count || m.headers[v.header].id != HeaderId::kVia) return "via header index";
    if (v.host.empty()) return "decoded via without host";
    return nullptr;
  };
  for (std::size_t i = 0; i < m.decoded_vias; ++i)
    if (const char* e = via_ok(m.vias[i])) return e;
  if (st == Status::kOk) {  // the Via values below the decoded ones, decoded on demand
    Via all[kMaxVias];
    std::uint8_t n = 0;
    const Status vs = decode_vias(m, all, kMaxVias, n);
    if (vs != Status::kOk && vs != Status::kBadVia && vs != Status::kTooManyVias) return "decode_vias status";
    if (m.decoded_vias != (m.is_request || n < 2 ? 1 : 2)) return "decoded_vias is not the values a decision reads";
    for (std::size_t i = 0; i < n; ++i)
      if (const char* e = via_ok(all[i])) return e;
    for (std::size_t i = 0; i < m.decoded_vias; ++i)
      if (all[i].value != m.vias[i].value || all[i].branch != m.vias[i].branch) return "decode_vias disagrees with parse()";
  }
  for (std::size_t i = 0; i < m.route_count; ++i) {
    const RouteValue& r = m.routes[i];
    if (!inside(r.value) || !uri_inside(r.uri)) return "route view outside the datagram";
    if (r.header >= m.header_count || m.headers[r.header].id != HeaderId::kRoute) return "route header index";
  }
  if (st == Status::kOk) {  // Record-Route, decoded on demand: the same rules for what it decoded
    RouteValue rr[kMaxRecordRoutes];
    std::uint8_t n = 0;
    const Status rs = decode_record_routes(m, rr, kMaxRecordRoutes, n);
    if (rs != Status::kOk && rs != Status::kBadRoute && rs != Status::kTooManyRoutes) return "record-route status";
    if (n > kMaxRecordRoutes) return "record-route count too large";
    for (std::size_t i = 0; i < n; ++i) {
      if (!inside(rr[i].value) || !uri_inside(rr[i].uri)) return "record-route view outside the datagram";
      if (rr[i].header >= m.header_count || m.headers[rr[i].header].id != HeaderId::kRecordRoute)
        return "record-route header index";
    }
  }
  if (st == Status::kOk) {  // From, decoded on demand
    std::string_view tag;
    const Status fs = decode_from_tag(m, tag);
    if (fs != Status::kOk && fs != Status::kBadFrom) return "decode_from_tag status";
    if (!inside(tag) || (fs != Status::kOk && !tag.empty())) return "from tag outside the datagram";
  }
  if (!inside(m.call_id) || !inside(m.cseq_method) || !inside(m.to_tag) || !inside(m.body))
    return "decoded field outside the datagram";
  if (m.headers_end > size) return "headers_end past the datagram";
  if (st == Status::kOk) {
    if (m.start_line.empty()) return "kOk without a start line";
    if (m.is_request && (m.method.empty() || m.request_uri.empty())) return "kOk request without method/URI";
    if (!m.is_request && (m.status_code < 100 || m.status_code > 699)) return "kOk response with a bad code";
    if (m.decoded_vias == 0 || m.call_id.empty() || m.cseq_method.empty()) return "kOk without Via/Call-ID/CSeq";
    if (m.cseq > 0x7fffffff) return "CSeq number out of range";
    if (m.max_forwards > 255 || m.max_forwards < -1) return "Max-Forwards out of range";
    if (m.is_request && m.cseq_method != m.method) return "kOk with a CSeq method mismatch";
    if (m.headers_end + 2 > size || std::string_view(data + m.headers_end, 2) != "\r\n")
      return "headers_end does not point at the empty line";
    if (m.body.data() != data + m.headers_end + 2) return "body does not start after the empty line";
    if (m.has_content_length && m.body.size() != m.content_length) return "body length differs from Content-Length";
    if (!m.has_content_length && m.body.data() + m.body.size() != data + size) return "body does not run to the end";
  }
  return nullptr;
}

}  // namespace sipshunt::sip::testing
