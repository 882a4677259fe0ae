// hot path
// The Via work of a forward or a reply: completing the client's top Via with received/rport
// (RFC 3261 §18.2.1, RFC 3581 §4), the parameter scan that needs where the parser's views do not
// say where a parameter ends, and the branch of the Via we put on top. Inline: both forward.cpp
// and reply.cpp call it once per datagram. Private to src/proxy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "context.hpp"
#include "hash.hpp"
#include "rewrite.hpp"
#include "sipshunt/sip/writer.hpp"

namespace sipshunt::proxy::detail {

// Position of one ";name[=value]" parameter inside a parameter list.
struct ParamSpan {
  const char* name_end = nullptr;
  const char* value_begin = nullptr;
  const char* value_end = nullptr;
};

[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

[[nodiscard]] inline bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

[[nodiscard]] inline bool find_param_span(std::string_view params, std::string_view name, ParamSpan& out) noexcept {
  const char* p = params.data();
  const char* const e = p + params.size();
  while (p < e) {
    if (*p != ';') {
      ++p;
      continue;
    }
    ++p;
    while (p < e && is_lws(*p)) ++p;
    const char* nb = p;
    while (p < e && *p != '=' && *p != ';' && !is_lws(*p)) ++p;
    const char* ne = p;
    while (p < e && is_lws(*p)) ++p;
    const char* vb = ne;
    const char* ve = ne;
    if (p < e && *p == '=') {
      ++p;
      while (p < e && is_lws(*p)) ++p;
      vb = p;
      if (p < e && *p == '"') {
        for (++p; p < e && *p != '"'; ++p)
          if (*p == '\\' && p + 1 < e) ++p;
        if (p < e) ++p;
      } else {
        while (p < e && *p != ';' && !is_lws(*p)) ++p;
      }
      ve = p;
    }
    if (iequals(std::string_view(nb, static_cast<std::size_t>(ne - nb)), name)) {
      out.name_end = ne;
      out.value_begin = vb;
      out.value_end = ve;
      return true;
    }
  }
  return false;
}

// RFC 3261 §18.2.1 and RFC 3581 §4: `received` when the sent-by host is not the source address
// (and always when rport was asked for, as RFC 3581 requires); a bare `rport` gets the source port.
inline void add_top_via_edits(const Context& c, Edits& edits, Text& text) noexcept {
  const sip::Via& v = c.m.vias[0];
  const bool same_host = host_is(v.host, c.src.ip);
  if (v.has_rport && v.rport.empty()) {
    // The parser's empty value view sits right after the name; check that before trusting it.
    const char* name_end = v.rport.data();
    const char* params = v.params.data();
    if (name_end == nullptr || name_end < params + 6 || name_end > params + v.params.size() ||
        !iequals(std::string_view(name_end - 5, 5), "rport")) {
      ParamSpan span;
      name_end = find_param_span(v.params, "rport", span) ? span.name_end : nullptr;
    }
    if (name_end != nullptr) edits.add(c.offset(name_end), 0, "=", text.decimal(c.src.port));
  }
  if (same_host && !v.has_rport) return;
  if (v.has_received) {
    if (!v.received.empty()) {
      if (host_is(v.received, c.src.ip)) return;
      edits.add(c.offset(v.received.data()), v.received.size(), text.ip(c.src.ip));
      return;
    }
    ParamSpan span;  // a bare ";received": give it a value
    if (find_param_span(v.params, "received", span)) {
      edits.add(c.offset(span.name_end), 0, "=", text.ip(c.src.ip));
      return;
    }
  }
  edits.add(c.offset_end(v.value), 0, ";received=", text.ip(c.src.ip));
}


// Our branch: a hash of the received branch when it carries the magic cookie (plus sent-by),
// else of the RFC 2543 transaction fields. The To-tag is left out on purpose: a non-2xx ACK
// carries the response's To-tag and must still get its INVITE's branch.
[[nodiscard]] inline std::uint64_t branch_hash(const sip::Message& m) noexcept {
  const sip::Via& v = m.vias[0];
  constexpr std::string_view kCookie = sip::kBranchCookie;
  std::uint64_t h;
  if (v.has_branch && v.branch.size() > kCookie.size() && v.branch.substr(0, kCookie.size()) == kCookie) {
    h = hash_text(v.branch, 0x3261);
    h = hash_text(v.host, h);
    const std::uint16_t port = via_port(v);
    h = hash_bytes(&port, sizeof port, h);
  } else {
    h = hash_text(m.request_uri, 0x2543);
    h = hash_text(m.from_tag, h);
    h = hash_text(m.call_id, h);
    const std::uint32_t cseq = m.cseq;
    h = hash_bytes(&cseq, sizeof cseq, h);
    h = hash_text(v.value, h);
  }
  return h;
}

}  // namespace sipshunt::proxy::detail
