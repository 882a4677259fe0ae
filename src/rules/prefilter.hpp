// hot path (Prefilter::admits); deriving one is control plane (prefilter.cpp)
// A field's prefilter: a literal that every match of every pattern of the field begins with, read
// off the patterns' text when compiling. A value without it cannot match any of them, so its
// Hyperscan scan (a few hundred instructions even on a short value) is skipped. Private to the
// rules module.
#pragma once

#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "sipshunt/common/octets.hpp"

namespace sipshunt::rules {

// What one pattern tells: every match of it begins with `text` (empty: nothing known), at offset
// 0 of the scanned value when `at_start`.
struct Lead {
  std::string text;
  bool at_start = false;
};

// `expression` as given to Hyperscan (PCRE syntax), `multiline` its m flag. Conservative: an
// expression with an alternation anywhere, or starting with anything but a literal (after an
// optional ^), has an empty lead.
[[nodiscard]] Lead lead_of(std::string_view expression, bool multiline);

struct Prefilter {
  std::string lead;       // empty: every value is scanned
  bool at_start = false;  // the value must begin with `lead`; else contain it
  bool caseless = false;  // `lead` is lower case and compared ignoring ASCII case

  // From the leads of all the field's patterns (`caseless` when any of them has the i flag): their
  // longest common prefix, which every match of any of them begins with.
  [[nodiscard]] static Prefilter of(std::span<const Lead> leads, bool caseless);

  // False only when no pattern of the field can match `value`.
  [[nodiscard]] bool admits(std::string_view value) const noexcept {
    if (lead.empty()) return true;
    if (at_start) return value.size() >= lead.size() && equal(value.data());
    if (value.size() < lead.size()) return false;
    const char* p = value.data();
    const char* const last = p + (value.size() - lead.size());  // the last place `lead` can start
    const char first = lead[0];
    if (caseless && first >= 'a' && first <= 'z') {
      for (; p <= last; ++p) {
        if ((*p | 0x20) == first && equal(p)) return true;
      }
      return false;
    }
    // The first character compares exactly: jump between its occurrences.
    for (; p <= last; ++p) {
      p = static_cast<const char*>(std::memchr(p, first, static_cast<std::size_t>(last - p) + 1));
      if (p == nullptr) return false;
      if (equal(p)) return true;
    }
    return false;
  }

 private:
  [[nodiscard]] bool equal(const char* p) const noexcept {
    if (!caseless) return same_octets(p, lead.data(), lead.size());
    for (std::size_t i = 0; i < lead.size(); ++i) {
      if (ascii_lower(p[i]) != lead[i]) return false;
    }
    return true;
  }
};

}  // namespace sipshunt::rules
