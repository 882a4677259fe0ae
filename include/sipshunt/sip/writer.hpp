// hot path
// Writing SIP text into a caller's buffer: the bounded Writer, digits, the branch magic cookie
// and host:port. One set for every module that writes SIP (the proxy's replies and forwarded
// requests, the health probes). Header-only, noexcept, no allocation.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

#if defined(__SSSE3__) || defined(__AVX__)
#include <immintrin.h>
#endif

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/hex.hpp"

namespace sipshunt::sip {

// The Via branch prefix of an RFC 3261 transaction (RFC 3261 §8.1.1.7).
inline constexpr std::string_view kBranchCookie = "z9hG4bK";

namespace detail {
// n octets (sizeof(T) <= n <= 2 sizeof(T)) as two possibly overlapping moves of a T.
template <class T>
SIPSHUNT_ALWAYS_INLINE void copy_overlapping(char* dst, const char* src, std::size_t n) noexcept {
  T a, b;
  std::memcpy(&a, src, sizeof a);
  std::memcpy(&b, src + n - sizeof b, sizeof b);
  std::memcpy(dst, &a, sizeof a);
  std::memcpy(dst + n - sizeof b, &b, sizeof b);
}
struct Octets16 {
  char c[16];
};
#if defined(__AVX__)
// One 32-octet move in a register (through a struct GCC 12 moves two halves via the stack).
SIPSHUNT_ALWAYS_INLINE void copy32(char* dst, const char* src) noexcept {
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src)));
}
#endif
}  // namespace detail

// memcpy for the short pieces a rewrite inserts (a libc call each otherwise): overlapping
// fixed-size moves up to 32 octets.
SIPSHUNT_ALWAYS_INLINE void copy_bytes(char* dst, const char* src, std::size_t n) noexcept {
  if (n <= 16) {
    if (n >= 8) {
      detail::copy_overlapping<std::uint64_t>(dst, src, n);
    } else if (n >= 4) {
      detail::copy_overlapping<std::uint32_t>(dst, src, n);
    } else if (n >= 2) {
      detail::copy_overlapping<std::uint16_t>(dst, src, n);
    } else if (n == 1) {
      *dst = *src;
    }
  } else if (n <= 32) {
    detail::copy_overlapping<detail::Octets16>(dst, src, n);
  } else {
    std::memcpy(dst, src, n);
  }
}

// copy_bytes, and with AVX longer copies as 32-octet moves too: the rewrite's pieces and runs
// (a start line, our Via and Record-Route lines, the client's Via, the rest of the message),
// where the libc call's entry and size dispatch cost more than the moves. Past 128 octets, four
// moves per turn and the last 128 octets as four more (overlapping what the turns wrote): no
// branch on the remainder. Nothing read or written past n.
SIPSHUNT_ALWAYS_INLINE void copy_bytes_wide(char* dst, const char* src, std::size_t n) noexcept {
#if defined(__AVX__)
  if (n > 32) {
    if (n <= 64) {
      detail::copy32(dst, src);
      detail::copy32(dst + n - 32, src + n - 32);
      return;
    }
    if (n > 128) {
      for (std::size_t i = 0; i + 128 < n; i += 128) {
        detail::copy32(dst + i, src + i);
        detail::copy32(dst + i + 32, src + i + 32);
        detail::copy32(dst + i + 64, src + i + 64);
        detail::copy32(dst + i + 96, src + i + 96);
      }
      dst += n - 128;
      src += n - 128;
      n = 128;
    }
    detail::copy32(dst, src);
    detail::copy32(dst + 32, src + 32);
    detail::copy32(dst + n - 64, src + n - 64);
    detail::copy32(dst + n - 32, src + n - 32);
    return;
  }
#endif
  copy_bytes(dst, src, n);
}

// Octets write_decimal() may write for a T (10 for 32 bits, 20 for 64).
template <std::unsigned_integral T>
inline constexpr std::size_t kMaxDecimal = std::numeric_limits<T>::digits10 + 1;

// Length of the decimal form of `v`: four digits per division, since the values written
// (Max-Forwards, ports, CSeq, lengths) mostly have at most four.
template <std::unsigned_integral T>
[[nodiscard]] inline std::size_t decimal_length(T v) noexcept {
  for (std::size_t n = 1;; n += 4) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v = static_cast<T>(v / 10000);
  }
}

namespace detail {
// "00".."99": the two digits of i at 2i.
inline constexpr auto kDecimalPairs = [] {
  struct Table {
    char c[200];
  } t{};
  for (int i = 0; i < 100; ++i) {
    t.c[2 * i] = static_cast<char>('0' + i / 10);
    t.c[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();
}  // namespace detail

// Writes the decimal form of `v` (no sign, no leading zeros); returns the length. Digits go
// straight to their place, two per table load (no reversal through a temporary: that cost a
// store-forwarding stall per call).
template <std::unsigned_integral T>
inline std::size_t write_decimal(T v, char* out) noexcept {
  const std::size_t n = decimal_length(v);
  char* p = out + n;
  while (v >= 100) {
    p -= 2;
    std::memcpy(p, detail::kDecimalPairs.c + 2 * (v % 100), 2);
    v = static_cast<T>(v / 100);
  }
  if (v >= 10) {
    std::memcpy(p - 2, detail::kDecimalPairs.c + 2 * v, 2);
  } else {
    p[-1] = static_cast<char>('0' + v);
  }
  return n;
}

// Writes 16 lowercase hex digits of `v`, most significant first. With SSSE3 the 16 nibbles are
// spread to one octet each (the octets byte-swapped, high and low nibbles interleaved) and turned
// into digits by one shuffle of "0123456789abcdef": a dozen instructions instead of eight table
// loads and stores (the branch of every forwarded request, perf/README.md).
inline void write_hex16(std::uint64_t v, char* out) noexcept {
#if defined(__SSSE3__)
  const __m128i octets = _mm_cvtsi64_si128(static_cast<long long>(__builtin_bswap64(v)));
  const __m128i low4 = _mm_set1_epi8(0x0f);
  const __m128i nibbles =
      _mm_unpacklo_epi8(_mm_and_si128(_mm_srli_epi64(octets, 4), low4), _mm_and_si128(octets, low4));
  const __m128i digits = _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_shuffle_epi8(digits, nibbles));
#else
  for (int i = 7; i >= 0; --i) {
    const std::uint16_t pair = hex_pair(static_cast<std::uint8_t>(v));
    std::memcpy(out + 2 * i, &pair, 2);
    v >>= 8;
  }
#endif
}

// Bounded output into a caller's buffer: a write past the capacity sets overflow() and writes
// nothing more, so callers check once at the end instead of at every call.
class Writer {
 public:
  Writer(char* out, std::size_t capacity) noexcept : begin_(out), p_(out), end_(out + capacity) {}

  SIPSHUNT_ALWAYS_INLINE void put(const char* s, std::size_t n) noexcept {
    if (overflow_ || n > static_cast<std::size_t>(end_ - p_)) {
      overflow_ = true;
      return;
    }
    copy_bytes(p_, s, n);
    p_ += n;
  }
  SIPSHUNT_ALWAYS_INLINE void put(std::string_view s) noexcept { put(s.data(), s.size()); }

  template <std::unsigned_integral T>
  void put_decimal(T v) noexcept {
    if (overflow_ || decimal_length(v) > static_cast<std::size_t>(end_ - p_)) {
      overflow_ = true;
      return;
    }
    p_ += write_decimal(v, p_);
  }
  void put_hostport(const Endpoint& e) noexcept {
    char text[kMaxEndpointText];  // host:port, [v6]:port (common/address.hpp)
    put(text, format_endpoint(e, text));
  }

  // Marks the output unusable (a caller found its input inconsistent).
  void fail() noexcept { overflow_ = true; }
  [[nodiscard]] bool overflow() const noexcept { return overflow_; }
  // Octets written (meaningless once overflow() is set).
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(p_ - begin_); }

 private:
  char* begin_;
  char* p_;
  char* end_;
  bool overflow_ = false;
};

}  // namespace sipshunt::sip
