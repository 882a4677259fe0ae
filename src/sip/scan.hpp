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
#include "sipshunt/common/lws.hpp"

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

// A level the target cannot run degrades to the next one down.
#if SIPSHUNT_SIP_SIMD == 512 && !defined(__AVX512BW__)
#undef SIPSHUNT_SIP_SIMD
#define SIPSHUNT_SIP_SIMD 256
#endif
#if SIPSHUNT_SIP_SIMD == 256 && !defined(__AVX2__)
#undef SIPSHUNT_SIP_SIMD
#define SIPSHUNT_SIP_SIMD 0
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

#if SIPSHUNT_SIP_SIMD > 0
// The splatted octets the classification compares with, read from memory: the driver's loop
// keeps few vector registers free, and a memory operand is one instruction where a broadcast
// rebuilt in every block is two or three. Defined in scan.cpp, out of the compiler's sight, so
// that it cannot fold the loads back into broadcasts.
struct Splats {
  alignas(64) std::uint8_t lf[64];
  alignas(64) std::uint8_t low_nibble[64];
};
extern const Splats kSplat;
#endif

#if SIPSHUNT_SIP_SIMD == 512
SIPSHUNT_ALWAYS_INLINE __m512i splat(const std::uint8_t (&v)[64]) noexcept {
  return _mm512_load_si512(v);
}
SIPSHUNT_ALWAYS_INLINE __mmask64 first_n(std::size_t n) noexcept {
  return n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}
// A masked load never touches the octets it leaves out, so nothing is read past the end.
SIPSHUNT_ALWAYS_INLINE __m512i load64(const char* s, std::size_t n) noexcept {
  return _mm512_maskz_loadu_epi8(first_n(n), s);
}
// Bit i set when octet i of x is not a token character.
SIPSHUNT_ALWAYS_INLINE std::uint64_t nontoken_bits(__m512i x) noexcept {
  const __m512i lo_tbl = _mm512_load_si512(kNib.lo);
  const __m512i hi_tbl = _mm512_load_si512(kNib.hi);
  const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), splat(kSplat.low_nibble));
  const __m512i lo_c = _mm512_shuffle_epi8(lo_tbl, x);  // octets >= 0x80 give 0
  const __m512i hi_c = _mm512_shuffle_epi8(hi_tbl, hi);
  return _mm512_testn_epi8_mask(lo_c, hi_c);
}
#elif SIPSHUNT_SIP_SIMD == 256
SIPSHUNT_ALWAYS_INLINE __m256i splat(const std::uint8_t (&v)[64]) noexcept {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(v));
}
// Bit i set when octet i of x is not a token character.
SIPSHUNT_ALWAYS_INLINE std::uint32_t nontoken_bits32(__m256i x) noexcept {
  const __m256i lo_tbl = _mm256_load_si256(reinterpret_cast<const __m256i*>(kNib.lo));
  const __m256i hi_tbl = _mm256_load_si256(reinterpret_cast<const __m256i*>(kNib.hi));
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), splat(kSplat.low_nibble));
  const __m256i tok = _mm256_and_si256(_mm256_shuffle_epi8(lo_tbl, x), _mm256_shuffle_epi8(hi_tbl, hi));
  return static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(tok, _mm256_setzero_si256())));
}
// Runs f on the 64 octets at s when they are all inside the region, else on a zero-padded copy.
template <class F>
SIPSHUNT_ALWAYS_INLINE std::uint64_t with_block(const char* s, std::size_t avail, F&& f) noexcept {
  if (SIPSHUNT_LIKELY(avail >= 64)) return f(s);
  alignas(64) char tail[64] = {};
  std::memcpy(tail, s, avail);
  return f(static_cast<const char*>(tail));
}
#endif

#if SIPSHUNT_SIP_SIMD > 0
// Nibble tables for "kUriBad but not '`'": octet c is one iff lo[c & 15] & hi[c >> 4] != 0.
// Bit 0: high nibble 0, 1 or 8..f (controls, non-ASCII), any low; bit 1: high 2, low 0 or 2 (SP
// '"'); bit 2: high 3 or 5, low c or e ("<>\\^"); bit 3: high 7, low b..d or f ("{|}" DEL). '`'
// is left out: a token character, which the parsers never test against kUriBad.
constexpr Nibbles make_uri_bad_nibbles() {
  Nibbles t{};
  for (int lane = 0; lane < 4; ++lane) {
    for (int x = 0; x < 16; ++x) {
      t.hi[lane * 16 + x] = static_cast<std::uint8_t>(x <= 1 || x >= 8 ? 1 : x == 2 ? 2 : x == 3 || x == 5 ? 4 : x == 7 ? 8 : 0);
      t.lo[lane * 16 + x] = static_cast<std::uint8_t>(1 | (x == 0 || x == 2 ? 2 : 0) | (x == 0xc || x == 0xe ? 4 : 0) |
                                                      (x == 0xb || x == 0xc || x == 0xd || x == 0xf ? 8 : 0));
    }
  }
  return t;
}
inline constexpr Nibbles kUriBadNib = make_uri_bad_nibbles();
constexpr bool uri_bad_nibbles_match() {
  for (int c = 0; c < 256; ++c) {
    const bool nib = (kUriBadNib.lo[c & 15] & kUriBadNib.hi[c >> 4]) != 0;
    if (nib != (kUriBad.v[c] && c != '`')) return false;
  }
  return true;
}
static_assert(uri_bad_nibbles_match());

// Two masks of the 64 octets at s (all readable), from one load: bit i of the result set when
// s[i] is a kUriBad octet other than '`', of `nontoken` when s[i] is not a token character (the
// start line's fast path takes both: parse_start_line). With AVX2, `nontoken` is computed for the
// first 32 octets only and marks every octet from 32 on: the start line reads it for the method's
// end, which is within them on any usual line (a 32-octet token then reads as ending at s[32],
// which is right when s[32] is a delimiter and is tested by the caller).
SIPSHUNT_ALWAYS_INLINE std::uint64_t uri_bad_bits(const char* s, std::uint64_t& nontoken) noexcept {
#if SIPSHUNT_SIP_SIMD == 512
  const __m512i x = _mm512_loadu_si512(s);
  const __m512i nib = splat(kSplat.low_nibble);
  const __m512i lo = _mm512_and_si512(x, nib);  // octets from 0x80 up: no bit in either hi table
  const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(x, 4), nib);
  nontoken = _mm512_testn_epi8_mask(_mm512_shuffle_epi8(_mm512_load_si512(kNib.lo), lo),
                                    _mm512_shuffle_epi8(_mm512_load_si512(kNib.hi), hi));
  return _mm512_test_epi8_mask(_mm512_shuffle_epi8(_mm512_load_si512(kUriBadNib.lo), lo),
                               _mm512_shuffle_epi8(_mm512_load_si512(kUriBadNib.hi), hi));
#else
  const auto table = [](const std::uint8_t (&t)[64]) {
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(t));
  };
  std::uint32_t bad[2];
  for (int k = 0; k < 2; ++k) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + 32 * k));
    const __m256i nib = splat(kSplat.low_nibble);
    const __m256i lo = _mm256_and_si256(x, nib);
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nib);
    const __m256i zero = _mm256_setzero_si256();
    if (k == 0) {
      const __m256i tok =
          _mm256_and_si256(_mm256_shuffle_epi8(table(kNib.lo), lo), _mm256_shuffle_epi8(table(kNib.hi), hi));
      nontoken = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(tok, zero))) |
                 (~std::uint64_t{0} << 32);
    }
    const __m256i ub =
        _mm256_and_si256(_mm256_shuffle_epi8(table(kUriBadNib.lo), lo), _mm256_shuffle_epi8(table(kUriBadNib.hi), hi));
    bad[k] = ~static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(ub, zero)));
  }
  return std::uint64_t{bad[0]} | (std::uint64_t{bad[1]} << 32);
#endif
}
#endif

// Bit i set when s[i] is '\n', for the 64 octets at s of which `avail` (> 0) are readable.
SIPSHUNT_ALWAYS_INLINE std::uint64_t newline_mask(const char* s, std::size_t avail) noexcept {
#if SIPSHUNT_SIP_SIMD == 512
  return _mm512_cmpeq_epi8_mask(load64(s, avail), splat(kSplat.lf));
#elif SIPSHUNT_SIP_SIMD == 256
  return with_block(s, avail, [](const char* b) {
    const __m256i nl = splat(kSplat.lf);
    const auto lo = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)), nl)));
    const auto hi = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32)), nl)));
    return std::uint64_t{lo} | (std::uint64_t{hi} << 32);
  });
#else
  std::uint64_t m = 0;
  const std::size_t n = avail < 64 ? avail : 64;
  for (std::size_t i = 0; i < n; ++i) m |= std::uint64_t{s[i] == '\n'} << i;
  return m;
#endif
}

// Bit i set when s[i] is not a token character or i >= n, for the 64 octets at s; reads only
// the first n octets when the region ends there (`avail` octets are readable from s).
SIPSHUNT_ALWAYS_INLINE std::uint64_t special_mask(const char* s, std::size_t n, std::size_t avail) noexcept {
  const std::uint64_t beyond = n >= 64 ? 0 : ~std::uint64_t{0} << n;
#if SIPSHUNT_SIP_SIMD == 512
  (void)avail;
  return nontoken_bits(load64(s, n)) | beyond;
#elif SIPSHUNT_SIP_SIMD == 256
  return with_block(s, avail, [](const char* b) {
    const std::uint32_t lo = nontoken_bits32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b)));
    const std::uint32_t hi = nontoken_bits32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32)));
    return std::uint64_t{lo} | (std::uint64_t{hi} << 32);
  }) | beyond;
#else
  (void)avail;
  std::uint64_t m = beyond;
  const std::size_t k = n < 64 ? n : 64;
  for (std::size_t i = 0; i < k; ++i) m |= std::uint64_t{!kToken[s[i]]} << i;
  return m;
#endif
}

// Both masks of one block at once (the driver's walk over the header section).
SIPSHUNT_ALWAYS_INLINE void classify_block(const char* s, std::size_t avail, std::uint64_t& nl,
                                           std::uint64_t& sp) noexcept {
#if SIPSHUNT_SIP_SIMD == 512
  const __m512i x = load64(s, avail);
  nl = _mm512_cmpeq_epi8_mask(x, splat(kSplat.lf));
  sp = nontoken_bits(x);
#elif SIPSHUNT_SIP_SIMD == 256
  // Both masks from the same two loads, and a short last block copied once.
  std::uint64_t other = 0;
  nl = with_block(s, avail, [&other](const char* b) {
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 32));
    other = nontoken_bits32(lo) | (std::uint64_t{nontoken_bits32(hi)} << 32);
    const __m256i lf = splat(kSplat.lf);
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, lf)))) |
           (std::uint64_t{static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, lf)))} << 32);
  });
  sp = other | (avail >= 64 ? 0 : ~std::uint64_t{0} << avail);
#else
  nl = newline_mask(s, avail);
  sp = special_mask(s, avail, avail);
#endif
}

SIPSHUNT_ALWAYS_INLINE std::uint64_t beyond(std::size_t n) noexcept {
  return n >= 64 ? 0 : ~std::uint64_t{0} << n;
}

// The datagram and the special masks the driver stored for its first `count` blocks
// (octets [64 i, 64 i + 64) for block i); later blocks are classified on demand.
struct Blocks {
  const char* d;
  std::size_t size;
  const std::uint64_t* sp;
  std::size_t count;

  // Special mask of block blk, with every octet from lim on marked. Requires lim > 64 * blk.
  SIPSHUNT_ALWAYS_INLINE std::uint64_t special(std::size_t blk, std::size_t lim) const noexcept {
    const std::size_t off = blk << 6;
    if (SIPSHUNT_LIKELY(blk < count)) return sp[blk] | beyond(lim - off);
    return special_mask(d + off, lim - off, size - off);
  }
};

// The delimiters of a short value as one register: bit i set when octet p + i is not a token
// character, and every bit from n (the value's length, < 64) up set, so the value's end reads as
// a delimiter. Built from the driver's stored block masks (two loads and shifts, no classification).
// False when those masks do not cover the value (header sections past 8 KiB).
SIPSHUNT_ALWAYS_INLINE bool window(const Blocks& b, std::size_t p, std::size_t n, std::uint64_t& out) noexcept {
  const std::size_t blk = p >> 6, off = p & 63;
  if (blk >= b.count) return false;
  std::uint64_t m = b.sp[blk] >> off;
  if (off + n > 64) {  // off > 0 here, since n < 64
    if (blk + 1 >= b.count) return false;
    m |= b.sp[blk + 1] << (64 - off);
  }
  out = m | (~std::uint64_t{0} << n);
  return true;
}

// The same for a value of 64 to 127 octets, in two registers (real traffic carries Via values
// with long branches and From values with display names past 64 octets; without this they all
// took the general decoders).
__extension__ typedef unsigned __int128 Mask128;

SIPSHUNT_ALWAYS_INLINE bool window(const Blocks& b, std::size_t p, std::size_t n, Mask128& out) noexcept {
  const std::size_t blk = p >> 6, off = p & 63;
  if (blk + 1 >= b.count) return false;  // n >= 64: the value always reaches the next block
  Mask128 m = ((Mask128{b.sp[blk + 1]} << 64) | b.sp[blk]) >> off;
  if (off + n > 128) {  // off > 0 here, since n < 128
    if (blk + 2 >= b.count) return false;
    m |= Mask128{b.sp[blk + 2]} << (128 - off);
  }
  out = m | (~Mask128{0} << n);
  return true;
}

// Offset of the next delimiter in a window, which it then forgets. Never called on an empty
// window: the bits from n up are set, and the fast paths stop at the first one.
SIPSHUNT_ALWAYS_INLINE std::size_t pop(std::uint64_t& m) noexcept {
  const auto t = static_cast<std::size_t>(__builtin_ctzll(m));
  m &= m - 1;
  return t;
}
SIPSHUNT_ALWAYS_INLINE std::size_t pop(Mask128& m) noexcept {
  const auto lo = static_cast<std::uint64_t>(m);
  const auto t = lo != 0 ? static_cast<std::size_t>(__builtin_ctzll(lo))
                         : 64 + static_cast<std::size_t>(__builtin_ctzll(static_cast<std::uint64_t>(m >> 64)));
  m &= m - 1;
  return t;
}

// The same window as two words, for the top Via's fast path (out of the driver's loop): a pop
// touches one word, not the carry chain of `m &= m - 1` on an __int128. The fast paths inlined
// into the driver keep Mask128: there this form made GCC allocate the driver's registers worse
// and the parse cost more (perf/README.md, "Parser").
struct Mask2x64 {
  std::uint64_t lo, hi;
};

SIPSHUNT_ALWAYS_INLINE bool window(const Blocks& b, std::size_t p, std::size_t n, Mask2x64& out) noexcept {
  const std::size_t blk = p >> 6, off = p & 63;
  if (blk + 1 >= b.count) return false;  // n >= 64 (shorter values take one word)
  const std::uint64_t w0 = b.sp[blk], w1 = b.sp[blk + 1];
  out.lo = (w0 >> off) | ((w1 << 1) << (63 - off));  // two shifts: none by 64 when off is 0
  out.hi = w1 >> off;
  if (off + n > 128) {  // off > 0 here, since n < 128
    if (blk + 2 >= b.count) return false;
    out.hi |= b.sp[blk + 2] << (64 - off);
  }
  out.hi |= ~std::uint64_t{0} << (n - 64);
  return true;
}
SIPSHUNT_ALWAYS_INLINE std::size_t pop(Mask2x64& m) noexcept {
  if (SIPSHUNT_LIKELY(m.lo != 0)) return pop(m.lo);
  return 64 + pop(m.hi);
}

// Forgets a window's delimiters before q (< its width).
template <class M>
SIPSHUNT_ALWAYS_INLINE void forget_below(M& m, std::size_t q) noexcept {
  m &= ~M{0} << q;
}
SIPSHUNT_ALWAYS_INLINE void forget_below(Mask2x64& m, std::size_t q) noexcept {
  if (q < 64) {
    m.lo &= ~std::uint64_t{0} << q;
  } else {
    m = {0, m.hi & (~std::uint64_t{0} << (q - 64))};
  }
}

// Finds delimiters (non-token octets) before lim, one 64-octet block at a time with the block's
// mask in a register, so stepping from one delimiter to the next is a shift and a tzcnt.
class Cursor {
 public:
  Cursor(const Blocks& b, std::size_t begin, std::size_t lim) noexcept
      : b_(&b), lim_(lim), base_(begin & ~std::size_t{63}) {
    mask_ = begin < lim ? b.special(begin >> 6, lim) : ~std::uint64_t{0};
  }

  // First non-token octet at or after p; lim when there is none before it. A p at or past lim
  // gives a value >= lim (the mask marks everything from lim on), which next(p, e) clamps.
  SIPSHUNT_ALWAYS_INLINE std::size_t next(std::size_t p) noexcept {
    const std::size_t off = p - base_;
    if (SIPSHUNT_LIKELY(off < 64)) {
      const std::uint64_t m = mask_ >> off;
      if (SIPSHUNT_LIKELY(m != 0)) return p + static_cast<std::size_t>(__builtin_ctzll(m));
      p = base_ + 64;
    }
    return refill(p);
  }
  [[nodiscard]] const Blocks* blocks() const noexcept { return b_; }

  // Same, bounded by e <= lim.
  SIPSHUNT_ALWAYS_INLINE std::size_t next(std::size_t p, std::size_t e) noexcept {
    const std::size_t r = next(p);
    return r < e ? r : e;
  }

 private:
  // p left the block (long values, or a step back): move to p's block, and on while empty.
  std::size_t refill(std::size_t p) noexcept {
    for (;;) {
      if (p >= lim_) return p;
      base_ = p & ~std::size_t{63};
      mask_ = b_->special(p >> 6, lim_);
      const std::uint64_t m = mask_ >> (p - base_);
      if (m != 0) return p + static_cast<std::size_t>(__builtin_ctzll(m));
      p = base_ + 64;
    }
  }

  const Blocks* b_;
  std::size_t lim_;
  std::size_t base_;
  std::uint64_t mask_;
};

}  // namespace sipshunt::sip::detail
