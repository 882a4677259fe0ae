// hot path
// Private to the sip module: classifies the datagram in 64-octet blocks (line feeds, and octets
// that are not RFC 3261 token characters) so the decoders jump from delimiter to delimiter
// instead of testing every octet. Every read stays inside [base, base + size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "sipshunt/common/compiler.hpp"

// 512: AVX-512BW (fault-free masked load for the last block); 256: AVX2; 0: portable scalar.
// Tests may force a lower level to exercise the other paths.
#if !defined(SIPSHUNT_SIP_SIMD)
#if defined(__AVX512BW__)
#define SIPSHUNT_SIP_SIMD 512
#elif defined(__AVX2__)
#define SIPSHUNT_SIP_SIMD 256
#else
#define SIPSHUNT_SIP_SIMD 0
#endif
#endif

#if SIPSHUNT_SIP_SIMD > 0
#include <immintrin.h>
#endif

namespace sipshunt::sip::detail {

inline constexpr std::size_t kNpos = ~std::size_t{0};

struct CharTable {
  bool v[256];
  constexpr bool operator[](char c) const noexcept { return v[static_cast<unsigned char>(c)]; }
};

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr CharTable make_token_table() {
  CharTable t{};
  for (int c = '0'; c <= '9'; ++c) t.v[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t.v[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t.v[c] = true;
  for (char c : std::string_view("-.!%*_+`'~")) t.v[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr CharTable kToken = make_token_table();

// Octets never allowed unescaped in a URI (RFC 3986 / RFC 3261 §25): controls, SP, DEL, non-ASCII
// and the delimiters `"<>\^{}|`.
constexpr CharTable make_uri_bad_table() {
  CharTable t{};
  for (int c = 0; c <= 0x20; ++c) t.v[c] = true;
  for (int c = 0x7f; c <= 0xff; ++c) t.v[c] = true;
  for (char c : std::string_view("\"<>\\^{}|`")) t.v[static_cast<unsigned char>(c)] = true;
  return t;
}
inline constexpr CharTable kUriBad = make_uri_bad_table();

SIPSHUNT_ALWAYS_INLINE bool is_lws(char c) noexcept {
  // Inside a header value CR and LF only appear as folding (CRLF followed by SP/HT).
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
SIPSHUNT_ALWAYS_INLINE bool is_digit(char c) noexcept {
  return static_cast<unsigned char>(c - '0') < 10;
}
SIPSHUNT_ALWAYS_INLINE std::size_t skip_lws(const char* d, std::size_t p, std::size_t e) noexcept {
  while (p < e && is_lws(d[p])) ++p;
  return p;
}
SIPSHUNT_ALWAYS_INLINE std::string_view sv(const char* d, std::size_t b, std::size_t e) noexcept {
  return {d + b, e - b};
}

// Case-insensitive compare of `n` octets with a lowercase literal of the same length. Only the
// positions holding a letter in `lit` are folded, so the match is exact ('-' never equals CR).
template <std::size_t N>
SIPSHUNT_ALWAYS_INLINE bool ieq(const char* s, const char (&lit)[N]) noexcept {
  bool ok = true;
  for (std::size_t i = 0; i + 1 < N; ++i) {
    const char l = lit[i];
    const bool letter = l >= 'a' && l <= 'z';
    ok &= static_cast<char>(s[i] | (letter ? 0x20 : 0)) == l;
  }
  return ok;
}
inline bool ieq(std::string_view a, std::string_view lower) noexcept {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    if (c != lower[i]) return false;
  }
  return true;
}

// Nibble tables for "is a token character": octet c is a token iff
// kLo[c & 15] & kHi[c >> 4] != 0 (high nibbles 2..7 each own one bit; octets >= 0x80 map to 0).
struct Nibbles {
  alignas(64) std::uint8_t lo[64];  // the 16-entry table repeated for each 128-bit lane
  alignas(64) std::uint8_t hi[64];
};
constexpr Nibbles make_nibbles() {
  Nibbles t{};
  for (int h = 2; h <= 7; ++h) {
    for (int lane = 0; lane < 4; ++lane) {
      t.hi[lane * 16 + h] = static_cast<std::uint8_t>(1u << (h - 2));
      for (int l = 0; l < 16; ++l)
        if (kToken.v[h * 16 + l])
          t.lo[lane * 16 + l] = static_cast<std::uint8_t>(t.lo[lane * 16 + l] | (1u << (h - 2)));
    }
  }
  return t;
}
inline constexpr Nibbles kNib = make_nibbles();

// Bit i of `nl` is set when octet i of the block is '\n'; bit i of `sp` when it is not a token
// character. Octets past the end of the region count as special and never as '\n'.
class Scanner {
 public:
  Scanner(const char* base, std::size_t size) noexcept : base_(base), size_(size) {
    for (Block& b : ring_) b.tag = kNpos;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }

  // First '\n' at or after pos, or size() when there is none.
  SIPSHUNT_ALWAYS_INLINE std::size_t next_nl(std::size_t pos) noexcept {
    while (pos < size_) {
      const Block& b = block(pos >> 6);
      const std::uint64_t m = b.nl & (~std::uint64_t{0} << (pos & 63));
      if (m != 0) return (pos & ~std::size_t{63}) + static_cast<std::size_t>(__builtin_ctzll(m));
      pos = (pos | 63) + 1;
    }
    return size_;
  }

  // First non-token octet in [pos, lim), or lim when there is none. Requires lim <= size().
  SIPSHUNT_ALWAYS_INLINE std::size_t next_special(std::size_t pos, std::size_t lim) noexcept {
    while (pos < lim) {
      const Block& b = block(pos >> 6);
      const std::uint64_t m = b.sp & (~std::uint64_t{0} << (pos & 63));
      if (m != 0) {
        const std::size_t r = (pos & ~std::size_t{63}) + static_cast<std::size_t>(__builtin_ctzll(m));
        return r < lim ? r : lim;
      }
      pos = (pos | 63) + 1;
    }
    return lim;
  }

 private:
  struct Block {
    std::size_t tag;
    std::uint64_t nl;
    std::uint64_t sp;
  };

  SIPSHUNT_ALWAYS_INLINE const Block& block(std::size_t blk) noexcept {
    Block& b = ring_[blk & 3];
    if (b.tag != blk) fill(b, blk);
    return b;
  }

  void fill(Block& b, std::size_t blk) noexcept {
    b.tag = blk;
    const std::size_t off = blk << 6;
    const char* s = base_ + off;
    const std::size_t n = size_ - off;  // > 0: callers only ask for blocks below size_
#if SIPSHUNT_SIP_SIMD == 512
    // A masked load never touches the octets it leaves out, so the last block needs no copy.
    const __mmask64 k = n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
    classify(_mm512_maskz_loadu_epi8(k, s), b);
#else
    if (SIPSHUNT_LIKELY(n >= 64)) {
      classify(s, b);
    } else {
      alignas(64) char tail[64] = {};
      std::memcpy(tail, s, n);
      classify(tail, b);
    }
#endif
  }


#if SIPSHUNT_SIP_SIMD == 512
  static SIPSHUNT_ALWAYS_INLINE void classify(__m512i x, Block& b) noexcept {
    const __m512i lo_tbl = _mm512_load_si512(kNib.lo);
    const __m512i hi_tbl = _mm512_load_si512(kNib.hi);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), _mm512_set1_epi8(0x0f));
    const __m512i lo_c = _mm512_shuffle_epi8(lo_tbl, x);  // octets >= 0x80 give 0
    const __m512i hi_c = _mm512_shuffle_epi8(hi_tbl, hi);
    b.sp = _mm512_testn_epi8_mask(lo_c, hi_c);
    b.nl = _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8('\n'));
  }
#elif SIPSHUNT_SIP_SIMD == 256
  static SIPSHUNT_ALWAYS_INLINE void half(__m256i x, std::uint32_t& nl, std::uint32_t& sp) noexcept {
    const __m256i lo_tbl = _mm256_load_si256(reinterpret_cast<const __m256i*>(kNib.lo));
    const __m256i hi_tbl = _mm256_load_si256(reinterpret_cast<const __m256i*>(kNib.hi));
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0f));
    const __m256i tok = _mm256_and_si256(_mm256_shuffle_epi8(lo_tbl, x), _mm256_shuffle_epi8(hi_tbl, hi));
    sp = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(tok, _mm256_setzero_si256())));
    nl = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'))));
  }
  static SIPSHUNT_ALWAYS_INLINE void classify(const char* s, Block& b) noexcept {
    std::uint32_t nl0, sp0, nl1, sp1;
    half(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s)), nl0, sp0);
    half(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 32)), nl1, sp1);
    b.nl = std::uint64_t{nl0} | (std::uint64_t{nl1} << 32);
    b.sp = std::uint64_t{sp0} | (std::uint64_t{sp1} << 32);
  }
#else
  static void classify(const char* s, Block& b) noexcept {
    std::uint64_t nl = 0, sp = 0;
    for (unsigned i = 0; i < 64; ++i) {
      nl |= std::uint64_t{s[i] == '\n'} << i;
      sp |= std::uint64_t{!kToken[s[i]]} << i;
    }
    b.nl = nl;
    b.sp = sp;
  }
#endif

  const char* base_;
  std::size_t size_;
  Block ring_[4];
};

}  // namespace sipshunt::sip::detail
