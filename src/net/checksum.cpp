// Software Internet checksum: 32-bit words accumulated into a 64-bit sum (no carry handling in
// the loop: 2^32 additions before overflow, far beyond a datagram), folded once at the end.
#include "sipshunt/net/checksum.hpp"

#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace sipshunt::net {

std::uint64_t checksum_add(const void* data, std::size_t len, std::uint64_t sum) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t a = 0, b = 0, c = 0, d = 0;  // independent chains for instruction-level parallelism
#if defined(__AVX2__)
  // 64 bytes per step: the 16-bit words zero-extended into 32-bit lanes and added. A lane gains
  // at most 4 x 0xffff per step, so 2^14 steps (1 MiB) fit; datagrams are at most 64 KiB.
  if (len >= 64) {
    const __m256i zero = _mm256_setzero_si256();
    __m256i acc = zero;
    while (len >= 64) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
      acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_unpacklo_epi16(x, zero), _mm256_unpackhi_epi16(x, zero)));
      acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_unpacklo_epi16(y, zero), _mm256_unpackhi_epi16(y, zero)));
      p += 64;
      len -= 64;
    }
    alignas(32) std::uint32_t lanes[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc);
    for (std::uint32_t v : lanes) a += v;
  }
#endif
  while (len >= 32) {
    std::uint32_t w[8];
    std::memcpy(w, p, 32);
    a += std::uint64_t{w[0]} + w[4];
    b += std::uint64_t{w[1]} + w[5];
    c += std::uint64_t{w[2]} + w[6];
    d += std::uint64_t{w[3]} + w[7];
    p += 32;
    len -= 32;
  }
  while (len >= 4) {
    std::uint32_t w;
    std::memcpy(&w, p, 4);
    a += w;
    p += 4;
    len -= 4;
  }
  if (len >= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    b += w;
    p += 2;
    len -= 2;
  }
  if (len == 1) {
    // The odd byte is the first byte of a 16-bit word padded with zero: load it as such.
    const unsigned char pad[2] = {*p, 0};
    std::uint16_t w;
    std::memcpy(&w, pad, 2);
    c += w;
  }
  // 32-bit words and 16-bit words fold to the same 16-bit one's-complement sum.
  return sum + a + b + c + d;
}

std::uint64_t udp_pseudo_sum(const void* src_addr, const void* dst_addr, std::uint16_t udp_length) noexcept {
  unsigned char pseudo[12];
  std::memcpy(pseudo, src_addr, 4);
  std::memcpy(pseudo + 4, dst_addr, 4);
  pseudo[8] = 0;
  pseudo[9] = 17;  // IPPROTO_UDP
  pseudo[10] = static_cast<unsigned char>(udp_length >> 8);
  pseudo[11] = static_cast<unsigned char>(udp_length);
  return checksum_add(pseudo, sizeof pseudo);
}

std::uint16_t udp_checksum(const void* src_addr, const void* dst_addr, const void* udp, std::size_t udp_length) noexcept {
  const std::uint16_t c =
      checksum_fold(checksum_add(udp, udp_length, udp_pseudo_sum(src_addr, dst_addr, static_cast<std::uint16_t>(udp_length))));
  return c == 0 ? 0xffff : c;
}

bool udp_checksum_ok(const void* src_addr, const void* dst_addr, const void* udp, std::size_t udp_length) noexcept {
  const auto* u = static_cast<const unsigned char*>(udp);
  if (udp_length >= 8 && u[6] == 0 && u[7] == 0) return true;  // sender did not compute one
  return checksum_fold(checksum_add(udp, udp_length, udp_pseudo_sum(src_addr, dst_addr, static_cast<std::uint16_t>(udp_length)))) == 0;
}

std::uint64_t ipv6_pseudo_sum(const void* src_addr, const void* dst_addr, std::uint32_t length,
                              std::uint8_t next_header) noexcept {
  unsigned char pseudo[40];
  std::memcpy(pseudo, src_addr, 16);
  std::memcpy(pseudo + 16, dst_addr, 16);
  pseudo[32] = static_cast<unsigned char>(length >> 24);
  pseudo[33] = static_cast<unsigned char>(length >> 16);
  pseudo[34] = static_cast<unsigned char>(length >> 8);
  pseudo[35] = static_cast<unsigned char>(length);
  pseudo[36] = pseudo[37] = pseudo[38] = 0;
  pseudo[39] = next_header;
  return checksum_add(pseudo, sizeof pseudo);
}

std::uint16_t udp6_checksum(const void* src_addr, const void* dst_addr, const void* udp, std::size_t udp_length) noexcept {
  const std::uint16_t c = checksum_fold(
      checksum_add(udp, udp_length, ipv6_pseudo_sum(src_addr, dst_addr, static_cast<std::uint32_t>(udp_length), 17)));
  return c == 0 ? 0xffff : c;
}

bool udp6_checksum_ok(const void* src_addr, const void* dst_addr, const void* udp, std::size_t udp_length) noexcept {
  const auto* u = static_cast<const unsigned char*>(udp);
  if (udp_length < 8 || (u[6] == 0 && u[7] == 0)) return false;  // mandatory over IPv6
  return checksum_fold(checksum_add(
             udp, udp_length, ipv6_pseudo_sum(src_addr, dst_addr, static_cast<std::uint32_t>(udp_length), 17))) == 0;
}

std::uint16_t icmpv6_checksum(const void* src_addr, const void* dst_addr, const void* msg, std::size_t length) noexcept {
  return checksum_fold(
      checksum_add(msg, length, ipv6_pseudo_sum(src_addr, dst_addr, static_cast<std::uint32_t>(length), 58)));
}

}  // namespace sipshunt::net
