// hot path
// Internet checksum (RFC 1071) for IPv4 headers, UDP over both families, ICMP and ICMPv6, in software. Used when a port does
// not offload checksums (af_packet, pcap, tap) and by the unit tests as the reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace sipshunt::net {

// One's-complement running sum over `len` bytes, added to `sum`. Byte-order neutral: the folded
// result is stored back with a plain (native) 16-bit store. Not folded: feed it to checksum_fold.
[[nodiscard]] std::uint64_t checksum_add(const void* data, std::size_t len, std::uint64_t sum = 0) noexcept;

// Folds a running sum into 16 bits and complements it: the value to store in a checksum field.
[[nodiscard]] inline std::uint16_t checksum_fold(std::uint64_t sum) noexcept {
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffffu);
}

// Checksum of an IPv4 header of `len` bytes whose checksum field holds zero (or verify: a header
// with its checksum in place sums to 0).
// The common 20-octet header (no options) is five 32-bit words added inline: a call to the
// general sum costs more than the sum.
[[nodiscard]] inline std::uint16_t ipv4_header_checksum(const void* header, std::size_t len) noexcept {
  if (len != 20) return checksum_fold(checksum_add(header, len));
  std::uint32_t w[5];
  std::memcpy(w, header, sizeof w);
  return checksum_fold(std::uint64_t{w[0]} + w[1] + w[2] + w[3] + w[4]);
}

// Sum of the IPv4 pseudo header for UDP: addresses as they sit in the packet (network order).
[[nodiscard]] std::uint64_t udp_pseudo_sum(const void* src_addr, const void* dst_addr, std::uint16_t udp_length) noexcept;

// Checksum to store in a UDP header: the datagram's checksum field must hold zero. Never 0 (RFC 768:
// a computed zero is sent as 0xffff).
[[nodiscard]] std::uint16_t udp_checksum(const void* src_addr, const void* dst_addr, const void* udp,
                                         std::size_t udp_length) noexcept;

// True when a received UDP datagram's checksum is absent (zero) or correct.
[[nodiscard]] bool udp_checksum_ok(const void* src_addr, const void* dst_addr, const void* udp,
                                   std::size_t udp_length) noexcept;

// ---- IPv6 (RFC 8200 §8.1): the pseudo header has both 16-byte addresses, the upper-layer length
// and the next header; the checksum is mandatory for UDP (a zero one is an error).
[[nodiscard]] std::uint64_t ipv6_pseudo_sum(const void* src_addr, const void* dst_addr, std::uint32_t length,
                                            std::uint8_t next_header) noexcept;
// Checksum to store in a UDP header over IPv6 (field zero while computing). Never 0 (RFC 8200 §8.1).
[[nodiscard]] std::uint16_t udp6_checksum(const void* src_addr, const void* dst_addr, const void* udp,
                                          std::size_t udp_length) noexcept;
// True when a received UDP datagram over IPv6 has a correct, nonzero checksum.
[[nodiscard]] bool udp6_checksum_ok(const void* src_addr, const void* dst_addr, const void* udp,
                                    std::size_t udp_length) noexcept;
// Checksum of an ICMPv6 message (its checksum field zero while computing); a received message
// with its checksum in place folds to zero: checksum_fold(checksum_add(msg, len, pseudo)) == 0.
[[nodiscard]] std::uint16_t icmpv6_checksum(const void* src_addr, const void* dst_addr, const void* msg,
                                            std::size_t length) noexcept;

}  // namespace sipshunt::net
