// Control plane. HEP version 3 (the Homer Encapsulation Protocol, "HEP3"/EEP): one SIP datagram
// with its addresses, ports, capture time and our capture agent id, as the chunks Homer,
// heplify-server and Wireshark's HEP dissector read. Layout: "HEP3", the total length (16 bits),
// then chunks of vendor id 0 (16 bits), type (16 bits), length including these 6 octets (16 bits)
// and the value, every integer in network byte order. See src/mirror/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sipshunt/common/address.hpp"

namespace sipshunt::mirror {

// The chunk types sipshunt writes.
enum class HepChunk : std::uint16_t {
  kIpFamily = 0x0001,        // 8 bits: 2 (AF_INET) or 10 (AF_INET6)
  kIpProtocol = 0x0002,      // 8 bits: 17 (UDP)
  kIpv4Source = 0x0003,
  kIpv4Destination = 0x0004,
  kIpv6Source = 0x0005,
  kIpv6Destination = 0x0006,
  kSourcePort = 0x0007,      // 16 bits
  kDestinationPort = 0x0008,
  kSeconds = 0x0009,         // 32 bits, Unix time
  kMicroseconds = 0x000a,    // 32 bits
  kProtocolType = 0x000b,    // 8 bits: 1 (SIP)
  kCaptureAgentId = 0x000c,  // 32 bits
  kAuthKey = 0x000e,         // octets: the collector's password
  kPayload = 0x000f,         // octets: the SIP message
  kCorrelationId = 0x0011,   // octets
};

inline constexpr std::uint8_t kHepFamilyIpv4 = 2;
inline constexpr std::uint8_t kHepFamilyIpv6 = 10;
inline constexpr std::uint8_t kHepProtocolUdp = 17;
inline constexpr std::uint8_t kHepTypeSip = 1;

struct HepMessage {
  Endpoint source;
  Endpoint destination;
  std::uint32_t seconds = 0;
  std::uint32_t microseconds = 0;
  std::uint32_t agent_id = 0;
  std::string_view auth_key;        // chunk 0x000e when not empty
  std::string_view correlation_id;  // chunk 0x0011 when not empty
  std::string_view payload;
};

// The HEP3 packet for `m` in `out` (replaced). Both addresses go in one family: when only one
// is IPv6, the other is written IPv4-mapped (RFC 4291 §2.5.5.2). False, `out` empty, when the
// packet would not fit HEP's 16-bit length or an address has no family.
[[nodiscard]] bool encode_hep3(const HepMessage& m, std::string& out);

}  // namespace sipshunt::mirror
