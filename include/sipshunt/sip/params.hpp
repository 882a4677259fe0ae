// hot path
// Parameter lookup and list splitting over one header or URI value the caller already holds
// (RFC 3261 §25.1 generic-param, §7.3.1 comma-separated lists). Views point into the caller's
// text; nothing is allocated. Every module that reads parameters uses these, so they agree.
#pragma once

#include <cstdint>
#include <string_view>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/lws.hpp"  // is_lws, used with every parameter list
#include "sipshunt/common/octets.hpp"

namespace sipshunt::sip {

// One parameter of a ";a=b;c" list. The views point into the list that was searched, so a
// rewriter can take positions from them (name.data(), value.data() + value.size()).
// Case-insensitive equality of two ASCII strings (parameter and header names, RFC 3261 §7.3.1).
[[nodiscard]] inline bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

struct Param {
  std::string_view name;      // as written (token characters)
  std::string_view value;     // a quoted value keeps its quotes; empty without '='
  bool has_value = false;     // '=' was present (the value may still be empty: "name=")
};

// Finds parameter `name` (case-insensitive) in a ";a=b;c" list; LWS is allowed around ';' and
// '='. A parameter name is token characters; an unquoted value ends at ';', ',' or LWS; a quoted
// value at its closing quote (quoted-pairs skipped). Octets before the first ';' (a URI, junk)
// are skipped. Returns true when present.
[[nodiscard]] bool find_param(std::string_view params, std::string_view name, Param& out) noexcept;
// The same, giving only the value (empty for a parameter without '=').
[[nodiscard]] bool find_param(std::string_view params, std::string_view name, std::string_view& value) noexcept;

// Splits a comma-separated header value into its elements, respecting quoted strings and <>.
// Usage: for (ListIterator it(value); it.next(elem);) {...}. Elements are trimmed.
class ListIterator {
 public:
  explicit ListIterator(std::string_view value) noexcept : rest_(value) {}
  [[nodiscard]] bool next(std::string_view& element) noexcept;
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }  // unbalanced quote or <

 private:
  std::string_view rest_;
  bool done_ = false;
  bool malformed_ = false;
};

}  // namespace sipshunt::sip
