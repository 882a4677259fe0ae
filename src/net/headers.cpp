#include "sipshunt/net/headers.hpp"

#include <cstdio>

#include "sipshunt/net/checksum.hpp"

namespace sipshunt::net {

std::optional<MacAddress> MacAddress::parse(std::string_view text) noexcept {
  if (text.size() != 17) return std::nullopt;
  MacAddress m;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 6; ++i) {
    const int hi = hex(text[i * 3]), lo = hex(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') return std::nullopt;
    m.bytes[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return m;
}

std::string MacAddress::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                bytes[5]);
  return buf;
}

bool parse_arp(const unsigned char* p, std::size_t len, Arp& out) noexcept {
  if (len < kArpLen) return false;
  if (load_be16(p) != 1 || load_be16(p + 2) != kEtherTypeIpv4 || p[4] != 6 || p[5] != 4) return false;
  out.op = load_be16(p + 6);
  std::memcpy(out.sender_mac.bytes.data(), p + 8, 6);
  out.sender_ip = load_ipv4(p + 14);
  std::memcpy(out.target_mac.bytes.data(), p + 18, 6);
  out.target_ip = load_ipv4(p + 24);
  return true;
}

void write_arp(unsigned char* p, const Arp& arp) noexcept {
  store_be16(p, 1);
  store_be16(p + 2, kEtherTypeIpv4);
  p[4] = 6;
  p[5] = 4;
  store_be16(p + 6, arp.op);
  std::memcpy(p + 8, arp.sender_mac.bytes.data(), 6);
  store_ip(p + 14, arp.sender_ip);
  std::memcpy(p + 18, arp.target_mac.bytes.data(), 6);
  if (arp.target_ip.family == Family::kIPv4) {
    store_ip(p + 24, arp.target_ip);
  } else {
    std::memset(p + 24, 0, 4);
  }
}

std::size_t build_arp_request(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip,
                              const IpAddress& target_ip, const MacAddress* dst) noexcept {
  write_ethernet(frame, dst != nullptr ? *dst : MacAddress::broadcast(), our_mac, kEtherTypeArp);
  Arp arp;
  arp.op = kArpRequest;
  arp.sender_mac = our_mac;
  arp.sender_ip = our_ip;
  arp.target_ip = target_ip;  // target MAC unknown: zero
  write_arp(frame + kEthernetHeaderLen, arp);
  return kEthernetHeaderLen + kArpLen;
}

std::size_t build_gratuitous_arp(unsigned char* frame, const MacAddress& our_mac, const IpAddress& our_ip) noexcept {
  return build_arp_request(frame, our_mac, our_ip, our_ip);
}

std::size_t arp_request_to_reply(unsigned char* frame, const Arp& request, const MacAddress& our_mac) noexcept {
  write_ethernet(frame, request.sender_mac, our_mac, kEtherTypeArp);
  Arp reply;
  reply.op = kArpReply;
  reply.sender_mac = our_mac;
  reply.sender_ip = request.target_ip;
  reply.target_mac = request.sender_mac;
  reply.target_ip = request.sender_ip;
  write_arp(frame + kEthernetHeaderLen, reply);
  return kEthernetHeaderLen + kArpLen;
}

void write_ipv4(unsigned char* p, const Ipv4Out& h, bool checksum) noexcept {
  p[0] = 0x45;
  p[1] = 0;
  store_be16(p + 2, h.total_len);
  store_be16(p + 4, h.id);
  store_be16(p + 6, static_cast<std::uint16_t>((h.more_fragments ? 0x2000 : 0) | (h.fragment_offset / 8)));
  p[8] = h.ttl;
  p[9] = h.protocol;
  p[10] = 0;
  p[11] = 0;
  store_ip(p + 12, h.src);
  store_ip(p + 16, h.dst);
  if (checksum) {
    const std::uint16_t c = ipv4_header_checksum(p, kIpv4HeaderLen);
    std::memcpy(p + 10, &c, 2);
  }
}

bool icmp_echo_to_reply(unsigned char* icmp, std::size_t len) noexcept {
  if (len < kIcmpHeaderLen || icmp[0] != 8 || icmp[1] != 0) return false;
  if (checksum_fold(checksum_add(icmp, len)) != 0) return false;
  icmp[0] = 0;  // echo reply; identifier, sequence and data are returned unchanged
  icmp[2] = 0;
  icmp[3] = 0;
  const std::uint16_t c = checksum_fold(checksum_add(icmp, len));
  std::memcpy(icmp + 2, &c, 2);
  return true;
}

}  // namespace sipshunt::net
