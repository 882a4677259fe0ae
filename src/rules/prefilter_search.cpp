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
#include "sipshunt/common/compiler.hpp"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace sipshunt::rules {

namespace {

#if defined(__SSE2__)
// One block of places as the search sees it: sixteen (SSE2) or thirty-two (AVX2) octets, their
// OR with a fold, and the places where two compares both hold.
struct Lanes16 {
  using V = __m128i;
  static constexpr std::size_t kWidth = 16;
  static V splat(char c) noexcept { return _mm_set1_epi8(c); }
  static V load_folded(const char* p, V fold) noexcept {
    return _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), fold);
  }
  static bool any_both(V a, V want_a, V b, V want_b) noexcept {
    return _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, want_a), _mm_cmpeq_epi8(b, want_b))) != 0;
  }
};
#endif
#if defined(__AVX2__)
struct Lanes32 {
  using V = __m256i;
  static constexpr std::size_t kWidth = 32;
  static V splat(char c) noexcept { return _mm256_set1_epi8(c); }
  static V load_folded(const char* p, V fold) noexcept {
    return _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), fold);
  }
  static bool any_both(V a, V want_a, V b, V want_b) noexcept {
    return _mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(a, want_a), _mm256_cmpeq_epi8(b, want_b))) != 0;
  }
};
#endif

}  // namespace

// The search by blocks of L::kWidth places (places >= L::kWidth): the first block where some
// place has both octets goes to found_from. Inlined into contains(), which stays a leaf.
template <class L>
SIPSHUNT_ALWAYS_INLINE bool Prefilter::search_blocks(std::string_view value, std::size_t places) const noexcept {
  const char* const p = value.data();
  const std::size_t k = lead.size();
  const typename L::V want_first = L::splat(first), want_last = L::splat(last);
  const typename L::V fold_f = L::splat(fold_first), fold_l = L::splat(fold_last);
  // Whether one of the places from `at` has both octets: both loads end inside the value
  // (at + kWidth - 1 < places).
  const auto candidates = [&](std::size_t at) noexcept {
    return L::any_both(L::load_folded(p + at, fold_f), want_first, L::load_folded(p + at + k - 1, fold_l), want_last);
  };
  std::size_t at = 0;
  for (; at + L::kWidth <= places; at += L::kWidth) {
    if (candidates(at)) return found_from(value, at, L::kWidth);
  }
  // The last places, in a block overlapping the one before (testing some places twice is harmless).
  if (at < places && candidates(places - L::kWidth)) return found_from(value, places - L::kWidth, L::kWidth);
  return false;
}

bool Prefilter::contains(std::string_view value) const noexcept {
  const std::size_t places = value.size() - lead.size() + 1;  // where the lead can start; admits() checked size
#if defined(__AVX2__)
  if (places >= Lanes32::kWidth) return search_blocks<Lanes32>(value, places);
#endif
#if defined(__SSE2__)
  if (places >= Lanes16::kWidth) return search_blocks<Lanes16>(value, places);
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
