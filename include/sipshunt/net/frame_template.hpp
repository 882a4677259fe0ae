// hot path (write); the constructor runs when a worker sees a new snapshot.
// The headers in front of a UDP datagram we send, from a template built once per network: Ethernet
// from our MAC (with the network's 802.1Q tag), IPv4 or IPv6 from the network's address, UDP from
// our port. Per datagram only the destination MAC, the lengths, the IPv4 id, the destination
// address and port are patched in, and both checksums start from the constant fields' sum
// computed once (RFC 1071 §2: the one's-complement sum is commutative and associative).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/octets.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::net {

class FrameTemplate {
 public:
  // The template's bytes sit right-aligned in a block of this size, which write() copies whole
  // (one fixed-size copy): the caller leaves this much writable room in front of the payload.
  static constexpr std::size_t kRoom = kMaxUdpFrameOverhead;

  FrameTemplate() = default;
  // `vlan` 0: untagged. `src` of either family.
  FrameTemplate(const MacAddress& src_mac, std::uint16_t vlan, const IpAddress& src, std::uint16_t src_port) noexcept;

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }  // header octets in front of the payload
  [[nodiscard]] std::uint8_t l2_len() const noexcept { return l2_len_; }
  [[nodiscard]] std::uint8_t l3_len() const noexcept { return l3_len_; }

  // Writes the headers into the size() octets in front of `payload` (of `length` octets, the
  // whole datagram fitting one frame) and returns the frame's start. The kRoom - size() octets
  // before the frame are overwritten with don't-care bytes. `ipv4_checksum` false: the header
  // checksum is left zero (offloaded). `udp_checksum` false: the UDP checksum field is left zero
  // for the caller (the offload's pseudo-header sum goes there).
  unsigned char* write(unsigned char* payload, std::size_t length, const MacAddress& dst_mac, const IpAddress& dst,
                       std::uint16_t dst_port, std::uint16_t ipv4_id, bool ipv4_checksum,
                       bool udp_checksum) const noexcept {
    unsigned char* const block = payload - kRoom;
    std::memcpy(block, bytes_.data(), kRoom);
    unsigned char* const frame = payload - size_;
    unsigned char* const l3 = frame + l2_len_;
    unsigned char* const udp = payload - kUdpHeaderLen;
    std::memcpy(frame, dst_mac.bytes.data(), 6);
    const auto udp_len = static_cast<std::uint16_t>(kUdpHeaderLen + length);
    // The per-datagram fields go in from registers and are added to the sums from there (no
    // reload of what was just stored); two big-endian fields side by side are one 32-bit store.
    std::uint64_t pseudo = pseudo_sum_;
    if (family_ == Family::kIPv4) {
      const std::uint32_t len_id = be16_pair(static_cast<std::uint16_t>(kIpv4HeaderLen + udp_len), ipv4_id);
      const std::uint32_t dst4 = load4(dst.bytes.data());
      std::memcpy(l3 + 2, &len_id, 4);
      std::memcpy(l3 + 16, &dst4, 4);
      if (ipv4_checksum) {
        const std::uint16_t c = checksum_fold(ipv4_sum_ + len_id + dst4);
        std::memcpy(l3 + 10, &c, 2);
      }
      pseudo += dst4;
    } else {
      store_be16(l3 + 4, udp_len);
      std::memcpy(l3 + 24, dst.bytes.data(), 16);
      for (std::size_t i = 0; i < 16; i += 4) pseudo += load4(dst.bytes.data() + i);
    }
    const std::uint32_t port_len = be16_pair(dst_port, udp_len);
    std::memcpy(udp + 2, &port_len, 4);
    if (udp_checksum) {
      // The UDP header's destination port and length, and the pseudo header's length (RFC 768;
      // RFC 8200 §8.1: its 32-bit length's upper half is zero here); the source port is in
      // pseudo_sum_, the checksum field is zero.
      pseudo += std::uint64_t{port_len} + be16_native(udp_len);
      std::uint16_t c = checksum_fold(checksum_add(payload, length, pseudo));
      if (c == 0) c = 0xffff;  // RFC 768: a computed zero is sent as all ones
      std::memcpy(udp + 6, &c, 2);
    }
    return frame;
  }

 private:
  // The value a native 16-bit load gives of `v` stored big-endian, and of `a` then `b` so stored
  // as a 32-bit load gives (RFC 1071 §2: the sum is byte-order independent, so these add as loaded).
  static std::uint16_t be16_native(std::uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::little) return __builtin_bswap16(v);
    return v;
  }
  static std::uint32_t be16_pair(std::uint16_t a, std::uint16_t b) noexcept {
    if constexpr (std::endian::native == std::endian::little)
      return std::uint32_t{be16_native(a)} | std::uint32_t{be16_native(b)} << 16;
    return std::uint32_t{a} << 16 | b;
  }

  std::array<unsigned char, kRoom> bytes_{};  // right-aligned: the headers are the last size_ octets
  Family family_ = Family::kNone;
  std::uint8_t size_ = 0;
  std::uint8_t l2_len_ = 0;
  std::uint8_t l3_len_ = 0;
  std::uint64_t ipv4_sum_ = 0;    // the template's IPv4 header (total length, id, checksum, destination zero)
  std::uint64_t pseudo_sum_ = 0;  // UDP pseudo header's source address and protocol, and the UDP source port
};

}  // namespace sipshunt::net
