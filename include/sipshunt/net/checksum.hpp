// hot path
// Internet checksum (RFC 1071) for IPv4 headers, UDP over both families, ICMP and ICMPv6, in software. Used when a port does
// not offload checksums (af_packet, pcap, tap) and by the unit tests as the reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sipshunt/common/octets.hpp"

namespace sipshunt::net {

// One's-complement running sum over `len` bytes, added to `sum`. Byte-order neutral: the folded
// result is stored back with a plain (native) 16-bit store. Not folded: feed it to checksum_fold.
[[nodiscard]] std::uint64_t checksum_add(const void* data, std::size_t len, std::uint64_t sum = 0) noexcept;

// Folds a running sum into 16 bits and complements it: the value to store in a checksum field.
// Each step adds the halves and puts the carry back (an end-around carry, RFC 1071 §2). The
// 32-to-16 step adds the word to itself rotated by 16: the upper half of that sum is hi + lo with
// the carry out of lo + hi (the lower half) already in it, one rotate and one add.
[[nodiscard]] inline std::uint16_t checksum_fold(std::uint64_t sum) noexcept {
  const auto lo = static_cast<std::uint32_t>(sum);
  std::uint32_t s32 = lo + static_cast<std::uint32_t>(sum >> 32);
  s32 += s32 < lo;  // the carry out of the 32-bit add
  s32 += (s32 >> 16) | (s32 << 16);
  return static_cast<std::uint16_t>(~s32 >> 16);
}

// Checksum of an IPv4 header of `len` bytes whose checksum field holds zero (or verify: a header
// with its checksum in place sums to 0).
// The common 20-octet header (no options) is five 32-bit words added inline: a call to the
// general sum costs more than the sum.
[[nodiscard]] inline std::uint16_t ipv4_header_checksum(const void* header, std::size_t len) noexcept {
  if (len != 20) return checksum_fold(checksum_add(header, len));
  // Five loads (a copy into a local array went through the stack: a 16-byte store and reloads).
  const auto* h = static_cast<const unsigned char*>(header);
  return checksum_fold(std::uint64_t{load4(h)} + load4(h + 4) + load4(h + 8) + load4(h + 12) + load4(h + 16));
}

// Sum of the IPv4 pseudo header for UDP: addresses as they sit in the packet (network order).
// This and the other wrappers of checksum_add below are inline: each runs per datagram, and a call
// costs as much as what they add to the sum.
[[nodiscard]] inline std::uint64_t udp_pseudo_sum(const void* src_addr, const void* dst_addr,
                                                  std::uint16_t udp_length) noexcept {
  const unsigned char rest[4] = {0, 17, static_cast<unsigned char>(udp_length >> 8),  // zero, IPPROTO_UDP, length
                                 static_cast<unsigned char>(udp_length)};
  return std::uint64_t{load4(src_addr)} + load4(dst_addr) + load4(rest);
}

// Checksum to store in a UDP header: the datagram's checksum field must hold zero. Never 0 (RFC 768:
// a computed zero is sent as 0xffff).
[[nodiscard]] std::uint16_t udp_checksum(const void* src_addr, const void* dst_addr, const void* udp,
                                         std::size_t udp_length) noexcept;

// True when a received UDP datagram's checksum is absent (zero) or correct.
[[nodiscard]] inline bool udp_checksum_ok(const void* src_addr, const void* dst_addr, const void* udp,
                                          std::size_t udp_length) noexcept {
  const auto* u = static_cast<const unsigned char*>(udp);
  if (udp_length >= 8 && u[6] == 0 && u[7] == 0) return true;  // sender did not compute one
  return checksum_fold(checksum_add(udp, udp_length,
                                    udp_pseudo_sum(src_addr, dst_addr, static_cast<std::uint16_t>(udp_length)))) == 0;
}

// ---- IPv6 (RFC 8200 §8.1): the pseudo header has both 16-byte addresses, the upper-layer length
// and the next header; the checksum is mandatory for UDP (a zero one is an error).
[[nodiscard]] inline std::uint64_t ipv6_pseudo_sum(const void* src_addr, const void* dst_addr, std::uint32_t length,
                                                   std::uint8_t next_header) noexcept {
  const unsigned char rest[8] = {static_cast<unsigned char>(length >> 24), static_cast<unsigned char>(length >> 16),
                                 static_cast<unsigned char>(length >> 8),  static_cast<unsigned char>(length),
                                 0, 0, 0, next_header};
  const auto* s = static_cast<const unsigned char*>(src_addr);
  const auto* d = static_cast<const unsigned char*>(dst_addr);
  std::uint64_t sum = std::uint64_t{load4(rest)} + load4(rest + 4);
  for (int i = 0; i < 16; i += 4) sum += std::uint64_t{load4(s + i)} + load4(d + i);
  return sum;
}
// Checksum to store in a UDP header over IPv6 (field zero while computing). Never 0 (RFC 8200 §8.1).
[[nodiscard]] std::uint16_t udp6_checksum(const void* src_addr, const void* dst_addr, const void* udp,
                                          std::size_t udp_length) noexcept;
// True when a received UDP datagram over IPv6 has a correct, nonzero checksum.
[[nodiscard]] inline bool udp6_checksum_ok(const void* src_addr, const void* dst_addr, const void* udp,
                                           std::size_t udp_length) noexcept {
  const auto* u = static_cast<const unsigned char*>(udp);
  if (udp_length < 8 || (u[6] == 0 && u[7] == 0)) return false;  // mandatory over IPv6
  return checksum_fold(checksum_add(
             udp, udp_length, ipv6_pseudo_sum(src_addr, dst_addr, static_cast<std::uint32_t>(udp_length), 17))) == 0;
}
// Checksum of an ICMPv6 message (its checksum field zero while computing); a received message
// with its checksum in place folds to zero: checksum_fold(checksum_add(msg, len, pseudo)) == 0.
[[nodiscard]] std::uint16_t icmpv6_checksum(const void* src_addr, const void* dst_addr, const void* msg,
                                            std::size_t length) noexcept;

}  // namespace sipshunt::net
