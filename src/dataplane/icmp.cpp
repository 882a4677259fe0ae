// ICMP and ICMPv6 echo on a worker (RFC 792, RFC 4443 §4): an echo request to one of our
// addresses is turned into the reply in place and sent back where it came from, out of the network
// it arrived on; any other ICMP is counted and dropped (neighbour discovery is nd.cpp's).
#include <rte_mbuf.h>

#include <cstring>

#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::dataplane {

namespace {

// Back to the sender: its MAC becomes the destination, ours the source.
void reverse_ethernet(rte_mbuf* m, const net::MacAddress& ours) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  std::memcpy(eth, eth + 6, 6);
  std::memcpy(eth + 6, ours.bytes.data(), 6);
  m->ol_flags = 0;
}

}  // namespace

void Worker::handle_icmp(rte_mbuf* m, std::uint16_t network, unsigned char* l3, std::uint8_t ihl,
                         std::uint16_t total) noexcept {
  if (!net::icmp_echo_to_reply(l3 + ihl, total - ihl)) return drop(m, Drop::kIcmpIgnored);
  // Swap addresses, fresh TTL and header checksum.
  unsigned char tmp[4];
  std::memcpy(tmp, l3 + 12, 4);
  std::memcpy(l3 + 12, l3 + 16, 4);
  std::memcpy(l3 + 16, tmp, 4);
  l3[8] = net::kDefaultTtl;
  l3[10] = l3[11] = 0;
  const std::uint16_t c = net::ipv4_header_checksum(l3, ihl);
  std::memcpy(l3 + 10, &c, 2);
  reverse_ethernet(m, shared_.ports[shared_.networks[network].port].mac);
  bump(counters_.icmp_echo_replies);
  transmit(network, m);
}

void Worker::handle_icmpv6_echo(rte_mbuf* m, std::uint16_t network, unsigned char* l3, std::uint16_t length) noexcept {
  if (!net::icmpv6_echo_to_reply(l3, length)) return drop(m, Drop::kIcmpIgnored);
  reverse_ethernet(m, shared_.ports[shared_.networks[network].port].mac);
  bump(counters_.icmp_echo_replies);
  transmit(network, m);
}

}  // namespace sipshunt::dataplane
