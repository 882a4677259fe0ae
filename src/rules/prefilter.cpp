// Deriving a field's prefilter (prefilter.hpp) from its patterns' text. Only what holds for every
// PCRE reading is used: outside a class, a printable ASCII character that is not a metacharacter
// stands for itself, as does a backslash followed by punctuation; a quantifier applies to the
// character before it; without an alternation, a pattern that begins with ^ (not multiline)
// matches only at offset 0. Hyperscan implements PCRE's syntax for these (its documentation,
// "Pattern Support").
#include "prefilter.hpp"

#include <algorithm>

namespace sipshunt::rules {
namespace {

bool is_meta(char c) { return std::string_view(".^$*+?()[]{}|\\").find(c) != std::string_view::npos; }
bool is_punct(char c) { return c > ' ' && c < 0x7f && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z'); }

}  // namespace

Lead lead_of(std::string_view e, bool multiline) {
  Lead out;
  if (e.find('|') != std::string_view::npos) return out;  // an alternation: any branch may match
  std::size_t i = 0;
  if (!e.empty() && e[0] == '^') {
    out.at_start = !multiline;  // multiline: ^ also matches after each line break
    i = 1;
  }
  while (i < e.size()) {
    const char c = e[i];
    if (c == '\\' && i + 1 < e.size() && is_punct(e[i + 1])) {
      out.text += e[i + 1];
      i += 2;
    } else if (c >= ' ' && c < 0x7f && !is_meta(c)) {
      out.text += c;
      ++i;
    } else {
      break;
    }
  }
  // A quantifier after the last literal makes it optional or repeated ({ may be a literal brace
  // in PCRE; dropping the character is right either way).
  if (i < e.size() && std::string_view("?*+{").find(e[i]) != std::string_view::npos && !out.text.empty()) {
    out.text.pop_back();
  }
  if (out.text.empty()) out.at_start = false;
  return out;
}

Prefilter Prefilter::of(std::span<const Lead> leads, bool caseless) {
  Prefilter p;
  if (leads.empty()) return p;
  const auto folded = [caseless](std::string s) {
    if (caseless) std::transform(s.begin(), s.end(), s.begin(), ascii_lower);
    return s;
  };
  std::string common = folded(leads[0].text);
  bool at_start = true;
  for (const Lead& l : leads) {
    const std::string t = folded(l.text);
    const auto stop = std::mismatch(common.begin(), common.end(), t.begin(), t.end());
    common.erase(stop.first, common.end());
    at_start = at_start && l.at_start;
  }
  if (common.empty()) return p;
  p.lead = std::move(common);
  p.at_start = at_start;
  p.caseless = caseless;
  const auto fold = [caseless](char c) -> char { return caseless && c >= 'a' && c <= 'z' ? 0x20 : 0; };
  p.first = p.lead.front();
  p.last = p.lead.back();
  p.fold_first = fold(p.first);
  p.fold_last = fold(p.last);
  return p;
}

}  // namespace sipshunt::rules
