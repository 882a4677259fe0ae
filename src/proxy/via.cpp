// hot path
// Completing the client's top Via (RFC 3261 §18.2.1 received, RFC 3581 §4 rport) in a forwarded
// request or a stateless reply, and the parameter scan it needs where the parser's views do not
// say where a parameter ends.
#include "via.hpp"

#include <string_view>

namespace sipshunt::proxy::detail {

namespace {

// Position of one ";name[=value]" parameter inside a parameter list.
struct ParamSpan {
  const char* name_end = nullptr;
  const char* value_begin = nullptr;
  const char* value_end = nullptr;
};

[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

[[nodiscard]] bool is_lws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

[[nodiscard]] bool find_param_span(std::string_view params, std::string_view name, ParamSpan& out) noexcept {
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

}  // namespace

void add_top_via_edits(const Context& c, Edits& edits, Text& text) noexcept {
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

}  // namespace sipshunt::proxy::detail
