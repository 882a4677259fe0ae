// hot path
// IPv6 (RFC 8200) and ICMPv6 (RFC 4443) on raw bytes: the fixed header and the fragment header,
// echo replies, and neighbour discovery (RFC 4861: solicitations, advertisements, the
// solicited-node groups and their multicast MACs). No DPDK: the data plane calls these on mbuf
// data, the runtime builds its solicitations and announcements with them, the tests on arrays.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::net {

inline constexpr std::size_t kIpv6FragmentHeaderLen = 8;
inline constexpr std::uint8_t kIpProtoIpv6Fragment = 44;
inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;
inline constexpr std::uint8_t kDefaultHopLimit = 64;
// RFC 4861 §7.1: neighbour discovery is sent with, and only accepted at, hop limit 255.
inline constexpr std::uint8_t kNdHopLimit = 255;

inline constexpr std::uint8_t kIcmpv6EchoRequest = 128;
inline constexpr std::uint8_t kIcmpv6EchoReply = 129;
inline constexpr std::uint8_t kIcmpv6NeighbourSolicitation = 135;
inline constexpr std::uint8_t kIcmpv6NeighbourAdvertisement = 136;
// NS/NA: 4 bytes of ICMPv6 header, 4 of flags/reserved, the 16-byte target; then options.
inline constexpr std::size_t kNdMessageLen = 24;
inline constexpr std::size_t kNdLinkLayerOptionLen = 8;  // type, length (in 8 bytes), the MAC
// Ethernet + IPv6 + NS/NA with one link-layer address option: every ND frame we build.
inline constexpr std::size_t kNdFrameLen = kEthernetHeaderLen + kIpv6HeaderLen + kNdMessageLen + kNdLinkLayerOptionLen;

enum class Ipv6Check : std::uint8_t {
  kOk = 0,
  kTooShort,           // fewer bytes than the fixed header
  kBadVersion,
  kBadPayloadLength,   // beyond the bytes present (or a jumbogram, RFC 2675, which we do not take)
};

struct Ipv6 {
  std::uint16_t payload_len = 0;  // bytes after the fixed header
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 0;
  IpAddress src;
  IpAddress dst;
};

// Validates and decodes the fixed header at `p` with `avail` bytes after the Ethernet header.
[[nodiscard]] Ipv6Check parse_ipv6(const unsigned char* p, std::size_t avail, Ipv6& out) noexcept;

struct Ipv6Out {
  IpAddress src;  // IPv6
  IpAddress dst;
  std::uint16_t payload_len = 0;
  std::uint8_t next_header = kIpProtoUdp;
  std::uint8_t hop_limit = kDefaultHopLimit;
};
void write_ipv6(unsigned char* p, const Ipv6Out& h) noexcept;

// RFC 8200 §4.5: the fragment header. `offset` in bytes (multiple of 8).
void write_ipv6_fragment_header(unsigned char* p, std::uint8_t next_header, std::uint32_t offset, bool more,
                                std::uint32_t id) noexcept;

// ---- multicast (RFC 4291 §2.7.1, RFC 2464 §7)
// ff02::1, every node on the link.
[[nodiscard]] IpAddress all_nodes() noexcept;
// ff02::1:ffXX:XXXX: the solicited-node group of `a` (its low 24 bits).
[[nodiscard]] IpAddress solicited_node(const IpAddress& a) noexcept;
// 33:33 and the group's low 32 bits: the Ethernet address an IPv6 multicast group is sent to.
[[nodiscard]] MacAddress multicast_mac(const IpAddress& group) noexcept;
[[nodiscard]] inline bool is_multicast_v6(const IpAddress& a) noexcept {
  return a.family == Family::kIPv6 && a.bytes[0] == 0xff;
}
[[nodiscard]] inline bool is_unspecified_v6(const IpAddress& a) noexcept {
  return a.family == Family::kIPv6 && a == IpAddress{Family::kIPv6, {}};
}

// ---- ICMPv6 (checksums over the RFC 8200 §8.1 pseudo header: see checksum.hpp)
// Turns an echo request (the IPv6 packet at `l3`, its ICMPv6 message of `len` bytes behind the
// fixed header) into the reply in place: type 129, addresses swapped, fresh hop limit and checksum.
// False (untouched) unless a valid echo request (type 128 code 0, checksum ok).
[[nodiscard]] bool icmpv6_echo_to_reply(unsigned char* l3, std::size_t len) noexcept;

// A neighbour solicitation or advertisement, validated as RFC 4861 §7.1.1 and §7.1.2 ask.
struct NeighbourMessage {
  std::uint8_t type = 0;       // kIcmpv6NeighbourSolicitation or kIcmpv6NeighbourAdvertisement
  IpAddress target;
  bool has_link_layer = false; // source (NS) or target (NA) link-layer address option present
  MacAddress link_layer;
  bool router = false;         // NA flags
  bool solicited = false;
  bool override_ = false;
};
// Parses the ICMPv6 message at `icmp` (`len` bytes) of a packet from `ip`. False unless a valid
// NS or NA: hop limit 255, checksum, code 0, length, a unicast target, options of nonzero
// length; an NS from the unspecified address (duplicate address detection) must be sent to a
// solicited-node group and carry no source link-layer option; an NA that answers one (solicited)
// must not be sent to a multicast group.
[[nodiscard]] bool parse_neighbour_message(const Ipv6& ip, const unsigned char* icmp, std::size_t len,
                                           NeighbourMessage& out) noexcept;

// Whole frames of kNdFrameLen bytes (callers add nothing; the VLAN tag is the data plane's).
// A solicitation for `target` from `our_ip`: to its solicited-node group, or to `unicast` (the
// MAC we know) and the target itself when refreshing a known entry (RFC 4861 §7.3.3).
std::size_t build_neighbour_solicitation(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip,
                                         const IpAddress& target, const MacAddress* unicast = nullptr) noexcept;
// An advertisement of `our_ip` at `our_mac` to `dst_ip` at `dst_mac`, override flag set:
// solicited answers an NS; unsolicited (to all nodes) announces us at start (RFC 4861 §7.2.6).
std::size_t build_neighbour_advertisement(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip,
                                          const MacAddress& dst_mac, const IpAddress& dst_ip, bool solicited) noexcept;
// The unsolicited advertisement of `our_ip` to every node.
std::size_t build_unsolicited_advertisement(unsigned char* frame, const MacAddress& our_mac,
                                            const IpAddress& our_ip) noexcept;

}  // namespace sipshunt::net
