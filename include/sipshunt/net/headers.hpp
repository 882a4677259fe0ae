// hot path
// Ethernet (with its 802.1Q tag), ARP, IPv4, UDP and ICMP echo headers read and written on raw
// bytes (network order on the wire; numbers in host order and addresses as sipshunt::IpAddress in
// the structs below). IPv6 and ICMPv6 are in ipv6.hpp. No DPDK: the data plane calls these on mbuf
// data, the unit tests on plain arrays.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/checksum.hpp"

namespace sipshunt::net {

inline constexpr std::size_t kEthernetHeaderLen = 14;
inline constexpr std::size_t kVlanTagLen = 4;  // 802.1Q: TPID 0x8100 + TCI, after the source MAC
inline constexpr std::size_t kIpv4HeaderLen = 20;  // without options (all we send)
inline constexpr std::size_t kUdpHeaderLen = 8;
inline constexpr std::size_t kArpLen = 28;
inline constexpr std::size_t kIcmpHeaderLen = 8;
inline constexpr std::size_t kIpv6HeaderLen = 40;
// Ethernet + IPv4 + UDP: the headers in front of an unfragmented IPv4 SIP datagram.
inline constexpr std::size_t kUdpFrameOverhead = kEthernetHeaderLen + kIpv4HeaderLen + kUdpHeaderLen;
// The most any datagram we send needs in front of its payload: a VLAN tag, IPv6 and UDP. The data
// plane leaves this much room when it places a SIP datagram it will send.
inline constexpr std::size_t kMaxUdpFrameOverhead = kEthernetHeaderLen + kVlanTagLen + kIpv6HeaderLen + kUdpHeaderLen;

inline constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr std::uint16_t kEtherTypeArp = 0x0806;
inline constexpr std::uint16_t kEtherTypeVlan = 0x8100;
inline constexpr std::uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr std::uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr std::uint8_t kIpProtoIcmp = 1;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint8_t kDefaultTtl = 64;

// One load or store and a byte swap (compilers do not always merge the byte-wise form).
inline std::uint16_t load_be16(const void* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap16(v);
  return v;
}
inline void store_be16(void* p, std::uint16_t v) noexcept {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
}
inline std::uint32_t load_be32(const void* p) noexcept {
  const auto* b = static_cast<const unsigned char*>(p);
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3];
}
inline void store_be32(void* p, std::uint32_t v) noexcept {
  auto* b = static_cast<unsigned char*>(p);
  b[0] = static_cast<unsigned char>(v >> 24);
  b[1] = static_cast<unsigned char>(v >> 16);
  b[2] = static_cast<unsigned char>(v >> 8);
  b[3] = static_cast<unsigned char>(v);
}

// IP addresses as they sit in a header (network order) <-> sipshunt::IpAddress.
[[nodiscard]] inline IpAddress load_ipv4(const void* p) noexcept {
  IpAddress a;
  a.family = Family::kIPv4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}
[[nodiscard]] inline IpAddress load_ipv6(const void* p) noexcept {
  IpAddress a;
  a.family = Family::kIPv6;
  std::memcpy(a.bytes.data(), p, 16);
  return a;
}
// Writes 4 or 16 bytes by the address's family.
inline void store_ip(void* p, const IpAddress& a) noexcept {
  std::memcpy(p, a.bytes.data(), a.family == Family::kIPv6 ? 16 : 4);
}

struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  [[nodiscard]] static MacAddress broadcast() noexcept { return MacAddress{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  [[nodiscard]] bool is_broadcast() const noexcept { return *this == broadcast(); }
  [[nodiscard]] bool is_multicast() const noexcept { return (bytes[0] & 1) != 0; }  // includes broadcast
  [[nodiscard]] bool is_zero() const noexcept { return *this == MacAddress{}; }
  // The 48 bits as an integer (first byte most significant), for lock-free storage.
  [[nodiscard]] std::uint64_t to_u64() const noexcept {
    std::uint64_t v = 0;
    for (auto b : bytes) v = (v << 8) | b;
    return v;
  }
  [[nodiscard]] static MacAddress from_u64(std::uint64_t v) noexcept {
    MacAddress m;
    for (int i = 5; i >= 0; --i) {
      m.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v);
      v >>= 8;
    }
    return m;
  }
  // "aa:bb:cc:dd:ee:ff" (also '-' separated). Control plane.
  [[nodiscard]] static std::optional<MacAddress> parse(std::string_view text) noexcept;
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

// ---- Ethernet
inline void write_ethernet(unsigned char* p, const MacAddress& dst, const MacAddress& src, std::uint16_t type) noexcept {
  std::memcpy(p, dst.bytes.data(), 6);
  std::memcpy(p + 6, src.bytes.data(), 6);
  store_be16(p + 12, type);
}

// ---- 802.1Q (one tag; IEEE 802.1Q-2018 9.6): the VLAN id is the TCI's low 12 bits.
[[nodiscard]] inline std::uint16_t vlan_of_tci(std::uint16_t tci) noexcept { return tci & 0x0fff; }

// ---- ARP (Ethernet/IPv4 only).
inline constexpr std::uint16_t kArpRequest = 1;
inline constexpr std::uint16_t kArpReply = 2;

struct Arp {
  std::uint16_t op = 0;
  MacAddress sender_mac;
  IpAddress sender_ip;
  MacAddress target_mac;
  IpAddress target_ip;
};

// Parses the ARP payload (after the Ethernet header); false unless Ethernet/IPv4 ARP.
[[nodiscard]] bool parse_arp(const unsigned char* p, std::size_t len, Arp& out) noexcept;
void write_arp(unsigned char* p, const Arp& arp) noexcept;
// A whole frame (Ethernet + ARP, 42 bytes; callers pad to 60 if their port needs it).
// Request for `target_ip`, broadcast unless `dst` is given (unicast refresh, RFC 1122 2.3.2.1).
std::size_t build_arp_request(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip,
                              const IpAddress& target_ip, const MacAddress* dst = nullptr) noexcept;
// Gratuitous ARP announcing `our_ip` (a request with sender = target = our address).
std::size_t build_gratuitous_arp(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip) noexcept;
// Turns a received request frame for `our_ip` into the reply, in place. Returns the frame length.
std::size_t arp_request_to_reply(unsigned char* frame, const Arp& request, const MacAddress& our_mac) noexcept;

// ---- IPv4
enum class Ipv4Check : std::uint8_t {
  kOk = 0,
  kTooShort,         // fewer bytes than a header
  kBadVersion,
  kBadHeaderLength,  // IHL < 5 or beyond the bytes present
  kBadTotalLength,   // total length < IHL*4 or beyond the bytes present
  kBadChecksum,
};

struct Ipv4 {
  std::uint8_t header_len = 0;   // bytes
  std::uint16_t total_len = 0;   // bytes (header + payload)
  std::uint16_t id = 0;
  bool more_fragments = false;
  bool dont_fragment = false;
  std::uint16_t fragment_offset = 0;  // bytes
  std::uint8_t ttl = 0;
  std::uint8_t protocol = 0;
  IpAddress src;
  IpAddress dst;
  [[nodiscard]] bool is_fragment() const noexcept { return more_fragments || fragment_offset != 0; }
};

// Validates and decodes the header at `p` with `avail` bytes after the Ethernet header (which may
// include Ethernet padding beyond total_len). `verify_checksum` false when the NIC checked it.
// Inline: on every received datagram, and the fields its caller does not read are never decoded.
[[nodiscard]] inline Ipv4Check parse_ipv4(const unsigned char* p, std::size_t avail, bool verify_checksum, Ipv4& out) noexcept {
  if (avail < kIpv4HeaderLen) return Ipv4Check::kTooShort;
  if ((p[0] >> 4) != 4) return Ipv4Check::kBadVersion;
  const std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0f) * 4;
  if (ihl < kIpv4HeaderLen || ihl > avail) return Ipv4Check::kBadHeaderLength;
  const std::uint16_t total = load_be16(p + 2);
  if (total < ihl || total > avail) return Ipv4Check::kBadTotalLength;
  if (verify_checksum && ipv4_header_checksum(p, ihl) != 0) return Ipv4Check::kBadChecksum;
  out.header_len = static_cast<std::uint8_t>(ihl);
  out.total_len = total;
  out.id = load_be16(p + 4);
  const std::uint16_t frag = load_be16(p + 6);
  out.dont_fragment = (frag & 0x4000) != 0;
  out.more_fragments = (frag & 0x2000) != 0;
  out.fragment_offset = static_cast<std::uint16_t>((frag & 0x1fff) * 8);
  out.ttl = p[8];
  out.protocol = p[9];
  out.src = load_ipv4(p + 12);
  out.dst = load_ipv4(p + 16);
  return Ipv4Check::kOk;
}


// Writes a 20-byte header. `fragment_offset` in bytes (multiple of 8). Checksum computed unless
// `checksum` is false (offloaded: the field is left zero).
struct Ipv4Out {
  IpAddress src;  // IPv4
  IpAddress dst;
  std::uint16_t total_len = 0;
  std::uint16_t id = 0;
  std::uint16_t fragment_offset = 0;
  bool more_fragments = false;
  std::uint8_t protocol = kIpProtoUdp;
  std::uint8_t ttl = kDefaultTtl;
};
void write_ipv4(unsigned char* p, const Ipv4Out& h, bool checksum = true) noexcept;

// ---- UDP
inline void write_udp(unsigned char* p, std::uint16_t src_port, std::uint16_t dst_port, std::uint16_t length) noexcept {
  store_be16(p, src_port);
  store_be16(p + 2, dst_port);
  store_be16(p + 4, length);
  p[6] = 0;
  p[7] = 0;
}

// ---- ICMP echo
// Turns an echo request (ICMP message of `len` bytes at `icmp`) into its reply in place, adjusting
// the checksum. False (untouched) if not a valid echo request (type 8 code 0, checksum ok).
[[nodiscard]] bool icmp_echo_to_reply(unsigned char* icmp, std::size_t len) noexcept;

}  // namespace sipshunt::net
