// The HEP3 encoder: chunk by chunk, in the order Homer's own agents (captagent, Kamailio's
// siptrace) write them, so a collector that expects that order is served too.
#include "sipshunt/mirror/hep.hpp"

#include <array>

namespace sipshunt::mirror {

namespace {

constexpr std::size_t kChunkHeader = 6;

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

void chunk(std::string& out, HepChunk type, std::size_t value_length) {
  put16(out, 0x0000);  // generic vendor
  put16(out, static_cast<std::uint16_t>(type));
  put16(out, static_cast<std::uint16_t>(kChunkHeader + value_length));
}

void chunk_bytes(std::string& out, HepChunk type, const void* value, std::size_t length) {
  chunk(out, type, length);
  out.append(static_cast<const char*>(value), length);
}

// The 16 octets of `ip` as IPv6, IPv4 mapped into ::ffff:0:0/96.
std::array<std::uint8_t, 16> as_ipv6(const IpAddress& ip) {
  if (ip.family == Family::kIPv6) return ip.bytes;
  std::array<std::uint8_t, 16> b{};
  b[10] = 0xff;
  b[11] = 0xff;
  for (int i = 0; i < 4; ++i) b[12 + i] = ip.bytes[i];
  return b;
}

}  // namespace

bool encode_hep3(const HepMessage& m, std::string& out) {
  out.clear();
  if (m.source.ip.family == Family::kNone || m.destination.ip.family == Family::kNone) return false;
  const bool v4 = m.source.ip.family == Family::kIPv4 && m.destination.ip.family == Family::kIPv4;
  const std::size_t address = v4 ? 4 : 16;
  std::size_t total = 6 + (kChunkHeader + 1) * 3 + (kChunkHeader + address) * 2 + (kChunkHeader + 2) * 2 +
                      (kChunkHeader + 4) * 3 + kChunkHeader + m.payload.size();
  if (!m.auth_key.empty()) total += kChunkHeader + m.auth_key.size();
  if (!m.correlation_id.empty()) total += kChunkHeader + m.correlation_id.size();
  if (total > 0xffff) return false;

  out.reserve(total);
  out.append("HEP3", 4);
  put16(out, static_cast<std::uint16_t>(total));
  chunk(out, HepChunk::kIpFamily, 1);
  out.push_back(static_cast<char>(v4 ? kHepFamilyIpv4 : kHepFamilyIpv6));
  chunk(out, HepChunk::kIpProtocol, 1);
  out.push_back(static_cast<char>(kHepProtocolUdp));
  if (v4) {
    chunk_bytes(out, HepChunk::kIpv4Source, m.source.ip.bytes.data(), 4);
    chunk_bytes(out, HepChunk::kIpv4Destination, m.destination.ip.bytes.data(), 4);
  } else {
    const auto src = as_ipv6(m.source.ip), dst = as_ipv6(m.destination.ip);
    chunk_bytes(out, HepChunk::kIpv6Source, src.data(), 16);
    chunk_bytes(out, HepChunk::kIpv6Destination, dst.data(), 16);
  }
  chunk(out, HepChunk::kSourcePort, 2);
  put16(out, m.source.port);
  chunk(out, HepChunk::kDestinationPort, 2);
  put16(out, m.destination.port);
  chunk(out, HepChunk::kSeconds, 4);
  put32(out, m.seconds);
  chunk(out, HepChunk::kMicroseconds, 4);
  put32(out, m.microseconds);
  chunk(out, HepChunk::kProtocolType, 1);
  out.push_back(static_cast<char>(kHepTypeSip));
  chunk(out, HepChunk::kCaptureAgentId, 4);
  put32(out, m.agent_id);
  if (!m.auth_key.empty()) chunk_bytes(out, HepChunk::kAuthKey, m.auth_key.data(), m.auth_key.size());
  if (!m.correlation_id.empty())
    chunk_bytes(out, HepChunk::kCorrelationId, m.correlation_id.data(), m.correlation_id.size());
  chunk_bytes(out, HepChunk::kPayload, m.payload.data(), m.payload.size());
  return true;
}

}  // namespace sipshunt::mirror
