// ICMP echo on a worker (RFC 792): an echo request to the port's address is turned into the
// reply in place and sent back where it came from; any other ICMP is counted and dropped.
#include <rte_mbuf.h>

#include <cstring>

#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::handle_icmp(rte_mbuf* m, std::uint16_t port, unsigned char* l3, std::uint8_t ihl, std::uint16_t total) noexcept {
  if (!net::icmp_echo_to_reply(l3 + ihl, total - ihl)) return drop(m, Drop::kIcmpIgnored);
  // Back to where it came from: swap addresses, fresh TTL and header checksum.
  unsigned char tmp[6];
  std::memcpy(tmp, l3 + 12, 4);
  std::memcpy(l3 + 12, l3 + 16, 4);
  std::memcpy(l3 + 16, tmp, 4);
  l3[8] = net::kDefaultTtl;
  l3[10] = l3[11] = 0;
  const std::uint16_t c = net::ipv4_header_checksum(l3, ihl);
  std::memcpy(l3 + 10, &c, 2);
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  std::memcpy(eth, eth + 6, 6);
  std::memcpy(eth + 6, shared_.ports[port].mac.bytes.data(), 6);
  m->ol_flags = 0;
  bump(counters_.icmp_echo_replies);
  tx(port, m);
}

}  // namespace sipshunt::dataplane
