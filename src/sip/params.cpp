// Parameter lookup and comma-list splitting (params.hpp) over values the caller already holds:
// one grammar for every module, with the token and value rules of the parser's own parameter
// scanner (parse_params in lexical.hpp), but lenient: junk between parameters is skipped.
// Plain loops: these run on single short values, not on the whole datagram.
#include "scan.hpp"
#include "sipshunt/sip/params.hpp"

namespace sipshunt::sip {

using detail::kToken;
using detail::skip_lws;
using detail::sv;

bool find_param(std::string_view params, std::string_view name, Param& out) noexcept {
  const char* d = params.data();
  const std::size_t e = params.size();
  std::size_t p = skip_lws(d, 0, e);
  while (p < e) {
    if (d[p] != ';') {  // skip anything that is not a parameter (e.g. a leading URI or junk)
      ++p;
      continue;
    }
    const std::size_t nb = skip_lws(d, p + 1, e);
    std::size_t ne = nb;
    while (ne < e && kToken[d[ne]]) ++ne;
    std::size_t q = skip_lws(d, ne, e);
    std::size_t vb = q, ve = q;
    const bool has_value = q < e && d[q] == '=';
    if (has_value) {
      vb = skip_lws(d, q + 1, e);
      ve = vb;
      if (ve < e && d[ve] == '"') {
        ++ve;
        while (ve < e && d[ve] != '"') ve += d[ve] == '\\' ? 2 : 1;
        ve = ve < e ? ve + 1 : e;
      } else {
        while (ve < e && d[ve] != ';' && d[ve] != ',' && !is_lws(d[ve])) ++ve;
      }
      q = ve;
    } else {
      vb = ve = ne;
    }
    if (ne > nb && iequals(sv(d, nb, ne), name)) {
      {
        out.name = sv(d, nb, ne);
        out.value = sv(d, vb, ve);
        out.has_value = has_value;
        return true;
      }
    }
    p = q > p ? q : p + 1;
  }
  return false;
}

bool find_param(std::string_view params, std::string_view name, std::string_view& value) noexcept {
  Param p;
  if (!find_param(params, name, p)) return false;
  value = p.value;
  return true;
}

bool ListIterator::next(std::string_view& element) noexcept {
  while (!done_) {
    const char* d = rest_.data();
    const std::size_t e = rest_.size();
    std::size_t p = skip_lws(d, 0, e);
    if (p == e) {
      done_ = true;
      return false;
    }
    bool quoted = false, angle = false;
    std::size_t q = p;
    for (; q < e; ++q) {
      const char ch = d[q];
      if (quoted) {
        if (ch == '\\') {
          ++q;
        } else if (ch == '"') {
          quoted = false;
        }
      } else if (ch == '"') {
        quoted = true;
      } else if (angle) {
        if (ch == '>') angle = false;
      } else if (ch == '<') {
        angle = true;
      } else if (ch == ',') {
        break;
      }
    }
    if (quoted || angle) {
      malformed_ = true;
      done_ = true;
      return false;
    }
    std::size_t end = q < e ? q : e;
    rest_ = q < e ? rest_.substr(q + 1) : std::string_view();
    if (q >= e) done_ = true;
    while (end > p && is_lws(d[end - 1])) --end;
    if (end > p) {
      element = sv(d, p, end);
      return true;
    }
  }
  return false;
}

}  // namespace sipshunt::sip
