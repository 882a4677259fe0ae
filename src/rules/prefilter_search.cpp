// hot path
// Finding a prefilter's lead anywhere in a field's value (prefilter.hpp). A value is refused on
// most fields that have a prefilter, so the search usually runs to the end without a find: it
// tests sixteen places at once (thirty-two with AVX2) for the lead's first and last octets (two
// compares of two loads, the second load offset by the lead's length), and compares the whole
// lead only where both agree. A search for the first octet alone (memchr) stops at every '<' or
// 's' of a URI. The usual search, which finds no place where both agree, saves no register and
// calls nothing; the first block with such a place hands over to found_from.
#include <algorithm>
#include <cstddef>

#include "prefilter.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace sipshunt::rules {

bool Prefilter::contains(std::string_view value) const noexcept {
  const std::size_t k = lead.size();
  const std::size_t places = value.size() - k + 1;  // where the lead can start; admits() checked size
  const char* const p = value.data();
#if defined(__AVX2__)
  if (places >= 32) {
    const __m256i want_first = _mm256_set1_epi8(first), want_last = _mm256_set1_epi8(last);
    const __m256i fold_f = _mm256_set1_epi8(fold_first), fold_l = _mm256_set1_epi8(fold_last);
    // Whether one of the thirty-two places from `at` has both octets: both loads end inside the
    // value (at + 31 < places).
    const auto candidates = [&](std::size_t at) noexcept {
      const __m256i f = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at)), fold_f);
      const __m256i l = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + at + k - 1)), fold_l);
      return _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(f, want_first), _mm256_cmpeq_epi8(l, want_last))) != 0;
    };
    std::size_t at = 0;
    for (; at + 32 <= places; at += 32) {
      if (candidates(at)) return found_from(value, at, 32);
    }
    // The last places, in a block overlapping the one before (testing some places twice is
    // harmless).
    if (at < places && candidates(places - 32)) return found_from(value, places - 32, 32);
    return false;
  }
#endif
#if defined(__SSE2__)
  if (places >= 16) {
    const __m128i want_first = _mm_set1_epi8(first), want_last = _mm_set1_epi8(last);
    const __m128i fold_f = _mm_set1_epi8(fold_first), fold_l = _mm_set1_epi8(fold_last);
    const auto candidates = [&](std::size_t at) noexcept {
      const __m128i f = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)), fold_f);
      const __m128i l = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at + k - 1)), fold_l);
      return _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(f, want_first), _mm_cmpeq_epi8(l, want_last))) != 0;
    };
    std::size_t at = 0;
    for (; at + 16 <= places; at += 16) {
      if (candidates(at)) return found_from(value, at, 16);
    }
    if (at < places && candidates(places - 16)) return found_from(value, places - 16, 16);
    return false;
  }
#endif
  return found_from(value, 0, places);
}

// Out of line, so that contains() stays a leaf: the `width` places from `from`, each tested for
// the lead's first and last octets, then compared whole; the places after them are searched by
// contains() again.
bool Prefilter::found_from(std::string_view value, std::size_t from, std::size_t width) const noexcept {
  const std::size_t k = lead.size();
  const std::size_t places = value.size() - k + 1;
  const char* const p = value.data();
  const std::size_t end = std::min(from + width, places);
  for (std::size_t at = from; at < end; ++at) {
    if (static_cast<char>(p[at] | fold_first) == first && static_cast<char>(p[at + k - 1] | fold_last) == last &&
        equal(p + at)) {
      return true;
    }
  }
  return end < places && contains(value.substr(end));
}

}  // namespace sipshunt::rules
