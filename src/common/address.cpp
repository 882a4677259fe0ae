#include "sipshunt/common/address.hpp"

#include "ipv6_text.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/decimal_octet.hpp"
#include "sipshunt/common/hex.hpp"
#include "sipshunt/common/octets.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace sipshunt {

bool IpAddress::is_unsendable_other() const noexcept {
  if (family == Family::kIPv6) {
    if (bytes[0] == 0xff) return true;  // multicast
    for (auto b : bytes)
      if (b != 0) return false;
    return true;  // ::
  }
  return true;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) noexcept {
  IpAddress a;
  if (!parse_ip_literal(text, a)) return std::nullopt;
  return a;
}

namespace {

[[nodiscard]] int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// RFC 4291 §2.2: groups of 1..4 hex digits separated by ':', one "::" standing for one or more
// zero groups, optionally a dotted quad in place of the last two groups. Every text the fast path
// below hands on, valid or not, is decided here.
bool detail::parse_ipv6_general(std::string_view text, IpAddress& out) noexcept {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.size() < 2 || text.size() > 45) return false;
  std::array<std::uint8_t, 16> b{};
  std::size_t n = 0;           // octets written
  int gap = -1;                // octet index of the "::", -1 none
  std::size_t i = 0;
  if (text[0] == ':') {
    if (text[1] != ':') return false;
    gap = 0;
    i = 2;
    if (i == text.size()) {
      out.family = Family::kIPv6;
      out.bytes = b;
      return true;
    }
  }
  while (true) {
    // One group (or the final dotted quad) starting at i.
    std::size_t j = i;
    std::uint32_t v = 0;
    while (j < text.size() && j - i < 5) {
      const int h = hex_value(text[j]);
      if (h < 0) break;
      v = (v << 4) | static_cast<std::uint32_t>(h);
      ++j;
    }
    if (j < text.size() && text[j] == '.') {
      std::uint32_t quad;
      if (n > 12 || !parse_ipv4(text.substr(i), quad)) return false;
      for (int k = 3; k >= 0; --k) b[n++] = static_cast<std::uint8_t>(quad >> (8 * k));
      break;
    }
    if (j == i || j - i > 4 || n > 14) return false;
    b[n++] = static_cast<std::uint8_t>(v >> 8);
    b[n++] = static_cast<std::uint8_t>(v);
    if (j == text.size()) break;
    if (text[j] != ':' || j + 1 == text.size()) return false;
    i = j + 1;
    if (text[i] == ':') {
      if (gap >= 0) return false;
      gap = static_cast<int>(n);
      ++i;
      if (i == text.size()) break;
    }
  }
  if (gap >= 0) {
    if (n == 16) return false;  // "::" must stand for at least one group
    const std::size_t tail = n - static_cast<std::size_t>(gap);
    std::array<std::uint8_t, 16> full{};
    for (std::size_t k = 0; k < static_cast<std::size_t>(gap); ++k) full[k] = b[k];
    for (std::size_t k = 0; k < tail; ++k) full[16 - tail + k] = b[static_cast<std::size_t>(gap) + k];
    b = full;
  } else if (n != 16) {
    return false;
  }
  out.family = Family::kIPv6;
  out.bytes = b;
  return true;
}

namespace {

// Hex digit values, -1 for any other octet: one load per octet in the fast path.
constexpr std::array<std::int8_t, 256> make_hex_digits() {
  std::array<std::int8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] = static_cast<std::int8_t>(
        c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1);
  }
  return t;
}
constexpr std::array<std::int8_t, 256> kHexDigit = make_hex_digits();

}  // namespace

// The shape SIP traffic carries (RFC 5952 text: hex groups, at most one "::", no dotted quad), in
// one pass with one table load per octet and the groups placed once. Anything else (a dotted quad,
// a malformed text) is left to the general parser, so both readings agree by construction: this
// one only ever accepts a text the general parser reads the same way (tested on random texts).
bool detail::parse_ipv6_groups(std::string_view text, IpAddress& out) noexcept {
  const char* p = text.data();
  const char* e = p + text.size();
  if (text.size() >= 2 && *p == '[' && e[-1] == ']') {
    ++p;
    --e;
  }
  if (e - p < 2) return false;
  std::uint32_t groups[8];
  std::size_t n = 0;
  std::size_t gap = 8;  // group index of the "::", 8 none
  if (*p == ':') {
    if (p[1] != ':') return false;
    gap = 0;
    p += 2;
  }
  while (p != e) {
    const char* const start = p;
    std::uint32_t v = 0;
    for (int h; p != e && (h = kHexDigit[static_cast<unsigned char>(*p)]) >= 0; ++p) v = (v << 4) | static_cast<std::uint32_t>(h);
    if (p == start || p - start > 4 || n == 8) return false;
    groups[n++] = v;
    if (p == e) break;
    if (*p != ':' || ++p == e) return false;  // a '.' (dotted quad) or any other octet; a trailing ':'
    if (*p == ':') {
      if (gap != 8) return false;
      gap = n;
      ++p;
    }
  }
  if (gap == 8 ? n != 8 : n == 8) return false;  // "::" stands for at least one group
  std::array<std::uint8_t, 16> b{};
  const std::size_t head = gap == 8 ? n : gap;
  for (std::size_t k = 0; k < head; ++k) {
    b[2 * k] = static_cast<std::uint8_t>(groups[k] >> 8);
    b[2 * k + 1] = static_cast<std::uint8_t>(groups[k]);
  }
  for (std::size_t k = head, at = 8 - (n - head); k < n; ++k, ++at) {
    b[2 * at] = static_cast<std::uint8_t>(groups[k] >> 8);
    b[2 * at + 1] = static_cast<std::uint8_t>(groups[k]);
  }
  out.family = Family::kIPv6;
  out.bytes = b;
  return true;
}

bool parse_ipv6(std::string_view text, IpAddress& out) noexcept {
  return detail::parse_ipv6_groups(text, out) || detail::parse_ipv6_general(text, out);
}

namespace {

using detail::kDecimalOctet;  // common/decimal_octet.hpp

// Dotted quad; writes up to 4 octets past the returned length (callers give 46, format_ip).
std::size_t format_ipv4(const std::uint8_t* b, char* out) noexcept {
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t e = kDecimalOctet[b[i]];
    std::memcpy(out + n, &e, 4);
    n += e >> 24;
    if (i != 3) out[n++] = '.';
  }
  return n;
}

// The eight 16-bit groups of an IPv6 address as text: which are zero, and each one's hex digits
// without leading zeros (1 to 4) followed by ':', as one 64-bit word that put() stores whole (the
// caller keeps the ':' or not). With AVX2 all eight words come from vector steps: the 32 digits
// from one table shuffle, each group's leading zero digits dropped by a shift of its own 64-bit
// lane; else a loop over the groups with two table loads each (hex.hpp).
class Ipv6Groups {
 public:
  explicit Ipv6Groups(const std::uint8_t* b) noexcept {
#if defined(__AVX2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i nibble = _mm_set1_epi8(0x0f);
    const __m128i high = _mm_and_si128(_mm_srli_epi16(v, 4), nibble), low = _mm_and_si128(v, nibble);
    const __m128i d0 = _mm_unpacklo_epi8(high, low), d1 = _mm_unpackhi_epi8(high, low);  // digit values, in order
    const __m128i table = _mm_setr_epi8('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f');
    const __m128i z = _mm_setzero_si128();
    // Each group's leading zero digits, at most 3 (a 0 group is "0"), by shifts (no mask
    // constants): in the word as loaded the first octet is the low one, so the first digit is
    // zero when `high`'s low octet is, the first two when the word's low octet is, the first three
    // when that octet and the word's top four bits are. Each true compare is -1: the three summed
    // are minus the count.
    const __m128i first_octet = _mm_slli_epi16(v, 8);
    const __m128i minus_skip =
        _mm_add_epi16(_mm_add_epi16(_mm_cmpeq_epi16(_mm_slli_epi16(high, 8), z), _mm_cmpeq_epi16(first_octet, z)),
                      _mm_cmpeq_epi16(_mm_or_si128(first_octet, _mm_srli_epi16(v, 12)), z));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(minus_skip_), _mm_packs_epi16(minus_skip, z));
    // Group i's four digits in the low half of lane i, the ':' above them, shifted right by the
    // digits to drop.
    const __m128i bits = _mm_slli_epi16(_mm_sub_epi16(z, minus_skip), 3);
    const __m256i colon = _mm256_set1_epi64x(std::int64_t{':'} << 32);
    const auto words = [&](__m128i digits, __m128i shift) {
      const __m256i text = _mm256_or_si256(_mm256_cvtepu32_epi64(_mm_shuffle_epi8(table, digits)), colon);
      return _mm256_srlv_epi64(text, _mm256_cvtepu16_epi64(shift));
    };
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(text_), words(d0, bits));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(text_ + 4), words(d1, _mm_unpackhi_epi64(bits, bits)));
    zero_ = static_cast<unsigned>(_mm_movemask_epi8(_mm_packs_epi16(_mm_cmpeq_epi16(v, z), z)));
#else
    for (int i = 0; i < 8; ++i) {
      const unsigned w = unsigned{b[2 * i]} << 8 | b[2 * i + 1];
      const unsigned digits = (35 - static_cast<unsigned>(__builtin_clz(w | 1))) / 4;
      const std::uint32_t text = (std::uint32_t{hex_pair(b[2 * i])} | (std::uint32_t{hex_pair(b[2 * i + 1])} << 16)) >>
                                 (8 * (4 - digits));
      text_[i] = text | (std::uint64_t{':'} << (8 * digits));
      minus_skip_[i] = static_cast<std::int8_t>(digits - 4);
      zero_ |= unsigned{w == 0} << i;
    }
#endif
  }
  // Bit i: group i is 0.
  [[nodiscard]] unsigned zero() const noexcept { return zero_; }
  [[nodiscard]] bool is_ffff(int i) const noexcept { return text_[i] == kFfff; }
  // Group i and a ':' at out (eight octets stored); the length of the group's digits and the ':'.
  SIPSHUNT_ALWAYS_INLINE std::size_t put(int i, char* out) const noexcept {
    std::memcpy(out, &text_[i], 8);
    return static_cast<std::size_t>(std::ptrdiff_t{minus_skip_[i]} + 5);  // one sign-extending load, no 32-bit step
  }

 private:
  static constexpr std::uint64_t kFfff = 0x3a66666666;  // "ffff:" as put() stores it (little-endian)
  std::uint64_t text_[8];        // group i's digits and ':', the first digit in the low octet
  std::int8_t minus_skip_[8];    // minus group i's leading zero digits (0 to -3)
  unsigned zero_ = 0;
};

// For each mask of zero groups (bit i: group i is 0), the run RFC 5952 §4.2.2-4.2.3 writes as
// "::": the longest of two or more zero groups, the first of equal ones. Its start in the low
// nibble and its length in the high one; start 8 and length 0 when there is none.
constexpr auto kZeroRuns = [] {
  struct Table {
    std::uint8_t run[256];
  } t{};
  for (unsigned mask = 0; mask < 256; ++mask) {
    unsigned best = 8, best_len = 0;
    for (unsigned i = 0; i < 8;) {
      unsigned len = 0;
      while (i + len < 8 && ((mask >> (i + len)) & 1) != 0) ++len;
      if (len >= 2 && len > best_len) {
        best = i;
        best_len = len;
      }
      i += len == 0 ? 1 : len;
    }
    t.run[mask] = static_cast<std::uint8_t>(best | best_len << 4);
  }
  return t;
}();

// RFC 5952 text (what inet_ntop writes, without its printf): lowercase hex, no leading zeros, the
// longest run of two or more zero groups (the first of equal runs) as "::", and the last 32 bits
// dotted for IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses as glibc does.
// Written by hand because the proxy formats an IPv6 source for every IPv6 message it forwards:
// the run from a table on the mask of the zero groups, each group is one store (Ipv6Groups).
// Writes up to 8 octets past the returned length (46 given: the longest text is 39).
std::size_t format_ipv6(const std::uint8_t* b, char* out) noexcept {
  const Ipv6Groups groups(b);
  const unsigned run = kZeroRuns.run[groups.zero()];
  const int best = static_cast<int>(run & 0x0f), best_len = static_cast<int>(run >> 4);
  std::size_t n = 0;
  if (best == 0 && (best_len == 6 || (best_len == 5 && groups.is_ffff(5)))) {
    n = best_len == 6 ? 2 : 7;
    std::memcpy(out, "::ffff:", n);
    return n + format_ipv4(b + 12, out + n);
  }
  for (int i = 0; i < best; ++i) n += groups.put(i, out + n);  // each group with its ':' after it
  if (best == 8) return n - 1;
  if (best == 0) out[n++] = ':';  // "::" (else the head's last ':' is its first half)
  out[n++] = ':';
  for (int i = best + best_len; i < 8; ++i) n += groups.put(i, out + n);
  return best + best_len == 8 ? n : n - 1;
}

}  // namespace

std::size_t format_ip(const IpAddress& ip, char* out) noexcept {
  if (ip.family == Family::kIPv4) return format_ipv4(ip.bytes.data(), out);
  if (ip.family == Family::kIPv6) return format_ipv6(ip.bytes.data(), out);
  return 0;
}

std::string IpAddress::to_string() const {
  char buf[64];
  return std::string(buf, format_ip(*this, buf));
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) noexcept {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = text.substr(0, close + 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6 needs brackets
  }
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    p = p * 10 + static_cast<unsigned>(c - '0');
  }
  if (p > 65535) return std::nullopt;
  auto ip = IpAddress::parse(host);
  if (!ip) return std::nullopt;
  return Endpoint{*ip, static_cast<std::uint16_t>(p)};
}

std::size_t format_endpoint(const Endpoint& e, char* out) noexcept {
  const bool v6 = e.ip.family == Family::kIPv6;
  std::size_t n = 0;
  if (v6) out[n++] = '[';
  n += format_ip(e.ip, out + n);
  if (v6) out[n++] = ']';
  out[n++] = ':';
  std::size_t digits = 1;
  for (std::uint32_t t = e.port; t >= 10; t /= 10) ++digits;
  std::uint32_t v = e.port;
  for (std::size_t i = digits; i-- > 0; v /= 10) out[n + i] = static_cast<char>('0' + v % 10);
  return n + digits;
}

std::string Endpoint::to_string() const {
  char buf[kMaxEndpointText];
  return std::string(buf, format_endpoint(*this, buf));
}

}  // namespace sipshunt
