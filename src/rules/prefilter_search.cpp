// hot path
// Finding a prefilter's lead anywhere in a field's value (prefilter.hpp). A value is refused on
// most fields that have a prefilter, so the search usually runs to the end without a find: it
// tests sixteen places at once for the lead's first and last octets (two compares of two loads,
// the second load offset by the lead's length), and compares the whole lead only where both
// agree. A search for the first octet alone (memchr) stops at every '<' or 's' of a URI.
#include <cstddef>

#include "prefilter.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipshunt::rules {

bool Prefilter::contains(std::string_view value) const noexcept {
  const std::size_t k = lead.size();
  const std::size_t places = value.size() - k + 1;  // where the lead can start; admits() checked size
  const char* const p = value.data();
#if defined(__SSE2__)
  if (places >= 16) {
    const __m128i want_first = _mm_set1_epi8(first), want_last = _mm_set1_epi8(last);
    const __m128i fold_f = _mm_set1_epi8(fold_first), fold_l = _mm_set1_epi8(fold_last);
    // The sixteen places from `at`: both loads end inside the value (at + 15 < places).
    const auto block = [&](std::size_t at) noexcept {
      const __m128i f = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)), fold_f);
      const __m128i l = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at + k - 1)), fold_l);
      auto candidates = static_cast<unsigned>(
          _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(f, want_first), _mm_cmpeq_epi8(l, want_last))));
      for (; candidates != 0; candidates &= candidates - 1) {
        if (equal(p + at + static_cast<unsigned>(__builtin_ctz(candidates)))) return true;
      }
      return false;
    };
    std::size_t at = 0;
    for (; at + 16 <= places; at += 16) {
      if (block(at)) return true;
    }
    // The last places, in a block overlapping the one before (testing some places twice is
    // harmless).
    return at < places && block(places - 16);
  }
#endif
  for (std::size_t at = 0; at < places; ++at) {
    if (static_cast<char>(p[at] | fold_first) == first && static_cast<char>(p[at + k - 1] | fold_last) == last &&
        equal(p + at)) {
      return true;
    }
  }
  return false;
}

}  // namespace sipshunt::rules
