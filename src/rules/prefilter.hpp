// hot path (Prefilter::admits, and its search in prefilter_search.cpp); deriving one is control plane (prefilter.cpp)
// A field's prefilter: a literal that every match of every pattern of the field begins with, read
// off the patterns' text when compiling. A value without it cannot match any of them, so its
// Hyperscan scan (a few hundred instructions even on a short value) is skipped. Private to the
// rules module.
#pragma once

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
  // What the search for `lead` tests first at each place: an octet o there may be its first
  // (last) octet when (o | fold) equals first (last); fold is 0x20 for a caseless letter, else 0.
  char first = 0, last = 0, fold_first = 0, fold_last = 0;

  // From the leads of all the field's patterns (`caseless` when any of them has the i flag): their
  // longest common prefix, which every match of any of them begins with.
  [[nodiscard]] static Prefilter of(std::span<const Lead> leads, bool caseless);

  // False only when no pattern of the field can match `value`.
  [[nodiscard]] bool admits(std::string_view value) const noexcept {
    if (lead.empty()) return true;
    if (value.size() < lead.size()) return false;
    if (at_start) return equal(value.data());
    return contains(value);
  }

 private:
  // Whether `lead` occurs in `value` (at least lead.size() octets): prefilter_search.cpp.
  [[nodiscard]] bool contains(std::string_view value) const noexcept;
  // contains()'s search by blocks of L::kWidth places (prefilter_search.cpp's Lanes16, Lanes32).
  template <class L>
  [[nodiscard]] bool search_blocks(std::string_view value, std::size_t places) const noexcept;
  // Whether `lead` occurs at a place from `from` on: the block of `width` places where
  // contains() found a candidate, one by one, then contains() again over the rest.
  [[nodiscard]] __attribute__((noinline)) bool found_from(std::string_view value, std::size_t from,
                                                          std::size_t width) const noexcept;

  [[nodiscard]] bool equal(const char* p) const noexcept {
    if (!caseless) return same_octets(p, lead.data(), lead.size());
    for (std::size_t i = 0; i < lead.size(); ++i) {
      if (ascii_lower(p[i]) != lead[i]) return false;
    }
    return true;
  }
};

}  // namespace sipshunt::rules
