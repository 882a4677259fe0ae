// hot path (write); the constructor runs when a worker sees a new snapshot.
// The headers in front of a UDP datagram we send, from a template built once per network: Ethernet
// from our MAC (with the network's 802.1Q tag), IPv4 or IPv6 from the network's address, UDP from
// our port. Per datagram only the destination MAC, the lengths, the IPv4 id, the destination
// address and port are patched in, and both checksums start from the constant fields' sum
// computed once (RFC 1071 §2: the one's-complement sum is commutative and associative).
#pragma once

#include <array>
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
    std::uint64_t pseudo = pseudo_sum_;
    if (family_ == Family::kIPv4) {
      store_be16(l3 + 2, static_cast<std::uint16_t>(kIpv4HeaderLen + udp_len));
      store_be16(l3 + 4, ipv4_id);
      std::memcpy(l3 + 16, dst.bytes.data(), 4);
      if (ipv4_checksum) {
        const std::uint16_t c =
            checksum_fold(ipv4_sum_ + load4(l3) + load4(l3 + 4) + load4(l3 + 16));
        std::memcpy(l3 + 10, &c, 2);
      }
      pseudo += load4(l3 + 16);
    } else {
      store_be16(l3 + 4, udp_len);
      std::memcpy(l3 + 24, dst.bytes.data(), 16);
      for (std::size_t i = 0; i < 16; i += 4) pseudo += load4(l3 + 24 + i);
    }
    store_be16(udp + 2, dst_port);
    store_be16(udp + 4, udp_len);
    if (udp_checksum) {
      // Pseudo-header length (RFC 768; RFC 8200 §8.1: its 32-bit length's upper half is zero here)
      // and the UDP header's four words: ports, length, the zero checksum.
      std::uint16_t len_word;
      std::memcpy(&len_word, udp + 4, 2);
      pseudo += std::uint64_t{len_word} + load4(udp) + load4(udp + 4);
      std::uint16_t c = checksum_fold(checksum_add(payload, length, pseudo));
      if (c == 0) c = 0xffff;  // RFC 768: a computed zero is sent as all ones
      std::memcpy(udp + 6, &c, 2);
    }
    return frame;
  }

 private:
  std::array<unsigned char, kRoom> bytes_{};  // right-aligned: the headers are the last size_ octets
  Family family_ = Family::kNone;
  std::uint8_t size_ = 0;
  std::uint8_t l2_len_ = 0;
  std::uint8_t l3_len_ = 0;
  std::uint64_t ipv4_sum_ = 0;    // IPv4 header words 2 and 3 (TTL, protocol, zero checksum; source)
  std::uint64_t pseudo_sum_ = 0;  // UDP pseudo header: source address and protocol
};

}  // namespace sipshunt::net
