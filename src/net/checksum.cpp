// Software Internet checksum (RFC 1071): 16-bit words accumulated into a 64-bit sum with no
// carry handling in the loop, folded once at the end. With AVX2, 32 octets per instruction
// triple: each word is biased to a signed one (x - 0x8000, an XOR) so that VPMADDWD adds word
// pairs into 32-bit lanes, and the bias (0x8000 per word loaded) is added back once; the last
// 4..31 octets (or a short input) come from one masked load (whole 32-bit words, nothing read past
// them), the last 1..3 from the 32-bit word that ends the input.
#include "sipshunt/net/checksum.hpp"

#include <bit>
#include <cstring>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/octets.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace sipshunt::net {

namespace {

#if defined(__AVX2__)
// A lane of all ones per 32-bit word to load: the window starting at 8 - k keeps k words.
alignas(64) constexpr std::int32_t kTailMask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// The sum of the 16-bit words of p[0, len), len >= 4, less the last len % 4 octets, which the
// caller adds: `*done` is set to the octets summed. A lane gains at most 0xffff per vector and
// the 64 KiB of a datagram are 2048 vectors: no lane comes near 2^31.
SIPSHUNT_ALWAYS_INLINE std::uint64_t sum_words_avx2(const unsigned char* p, std::size_t len, std::size_t* done) noexcept {
  __m256i bias = _mm256_set1_epi16(static_cast<short>(0x8000));
  __m256i ones = _mm256_set1_epi16(1);
  // Built once and kept in registers: GCC otherwise builds both constants again (six
  // instructions) in every block below the loop.
  asm("" : "+x"(bias), "+x"(ones));
  __m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
  std::uint64_t vectors = 0;
  const unsigned char* q = p;
  std::size_t n = len;
  const auto pair = [&](const unsigned char* at) {  // 64 octets: their word pairs, lane by lane
    const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)), bias);
    const __m256i y = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 32)), bias);
    return _mm256_add_epi32(_mm256_madd_epi16(x, ones), _mm256_madd_epi16(y, ones));
  };
  // 256 octets a turn (a SIP datagram is ~1 KiB: the loop's own three instructions count), then
  // 128 and 64.
  for (; n >= 256; n -= 256, q += 256) {
    a = _mm256_add_epi32(a, _mm256_add_epi32(pair(q), pair(q + 64)));
    b = _mm256_add_epi32(b, _mm256_add_epi32(pair(q + 128), pair(q + 192)));
  }
  if (n >= 128) {
    a = _mm256_add_epi32(a, pair(q));
    b = _mm256_add_epi32(b, pair(q + 64));
    q += 128;
    n -= 128;
  }
  if (n >= 64) {
    a = _mm256_add_epi32(a, pair(q));
    q += 64;
    n -= 64;
  }
  vectors = 2 * static_cast<std::uint64_t>(q - p) / 64;
  if (n >= 32) {
    const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), bias);
    a = _mm256_add_epi32(a, _mm256_madd_epi16(x, ones));
    q += 32;
    n -= 32;
    ++vectors;
  }
  if (n >= 4) {
    const __m256i mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kTailMask + 8 - n / 4));
    // Masked-off words read as zero and are biased like the others.
    const __m256i x = _mm256_xor_si256(_mm256_maskload_epi32(reinterpret_cast<const int*>(q), mask), bias);
    b = _mm256_add_epi32(b, _mm256_madd_epi16(x, ones));
    q += n & ~std::size_t{3};
    ++vectors;
  }
  *done = static_cast<std::size_t>(q - p);
  // Signed lanes widened to 64 bits and added; then the bias of the 16 words of every vector.
  const __m256i s = _mm256_add_epi32(a, b);
  const __m256i w = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(s)),
                                     _mm256_cvtepi32_epi64(_mm256_extracti128_si256(s, 1)));
  const __m128i h = _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
  const auto total = _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
  return static_cast<std::uint64_t>(total) + vectors * 16 * 0x8000;
}
#endif

}  // namespace

std::uint64_t checksum_add(const void* data, std::size_t len, std::uint64_t sum) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__AVX2__)
  if (len >= 4) {
    std::size_t done;
    sum += sum_words_avx2(p, len, &done);
    // The last 0..3 octets from the four that end the input, shifted so that only they remain, at
    // the start of their 32-bit word: one load, not the byte loop below.
    const std::size_t rest = len - done;
    if (rest != 0) {
      const std::uint32_t w = load4(p + len - 4);
      const auto drop = static_cast<unsigned>(8 * (4 - rest));
      sum += std::endian::native == std::endian::little ? w >> drop : static_cast<std::uint32_t>(w << drop);
    }
    return sum;
  }
#else
  std::uint64_t a = 0, b = 0;  // two chains for instruction-level parallelism
  for (; len >= 8; len -= 8, p += 8) {
    a += load4(p);
    b += load4(p + 4);
  }
  if (len >= 4) {
    a += load4(p);
    p += 4;
    len -= 4;
  }
  sum += a + b;
#endif
  // 32-bit words and 16-bit words fold to the same 16-bit one's-complement sum; the last 0..3
  // octets are a word padded with zero (an odd last octet is the first octet of its word), built
  // in a register (in a byte array it took a stack frame and a call to memcpy).
  std::uint32_t w = 0;
  for (std::size_t i = 0; i < len; ++i)
    w |= std::uint32_t{p[i]} << (std::endian::native == std::endian::little ? 8 * i : 24 - 8 * i);
  return sum + w;
}

std::uint16_t udp_checksum(const void* src_addr, const void* dst_addr, const void* udp, std::size_t udp_length) noexcept {
  const std::uint16_t c =
      checksum_fold(checksum_add(udp, udp_length, udp_pseudo_sum(src_addr, dst_addr, static_cast<std::uint16_t>(udp_length))));
  return c == 0 ? 0xffff : c;
}

std::uint16_t udp6_checksum(const void* src_addr, const void* dst_addr, const void* udp, std::size_t udp_length) noexcept {
  const std::uint16_t c = checksum_fold(
      checksum_add(udp, udp_length, ipv6_pseudo_sum(src_addr, dst_addr, static_cast<std::uint32_t>(udp_length), 17)));
  return c == 0 ? 0xffff : c;
}

std::uint16_t icmpv6_checksum(const void* src_addr, const void* dst_addr, const void* msg, std::size_t length) noexcept {
  return checksum_fold(
      checksum_add(msg, length, ipv6_pseudo_sum(src_addr, dst_addr, static_cast<std::uint32_t>(length), 58)));
}

}  // namespace sipshunt::net
