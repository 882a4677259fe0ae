// ARP on a worker (RFC 826): answer requests for the arrival network's address in place, and tell
// the control lcore what a neighbour's request or gratuitous ARP taught us (it owns the neighbour
// table; see neighbour.cpp for the worker's side of resolution).
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "sipshunt/common/prefix.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::handle_arp(rte_mbuf* m, std::uint16_t network) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  net::Arp arp;
  if (!net::parse_arp(eth + net::kEthernetHeaderLen, m->data_len - net::kEthernetHeaderLen, arp)) {
    return drop(m, Drop::kBadArp);
  }
  bump(counters_.arp_in);
  const NetworkContext& nc = shared_.networks[network];
  const bool sender_on_link = contains(Prefix{nc.address, nc.prefix_len}, arp.sender_ip) &&
                              arp.sender_ip != nc.address && !arp.sender_mac.is_multicast();
  if (arp.target_ip == nc.address) {
    if (sender_on_link) post(NeighbourEvent::Kind::kLearn, network, arp.sender_ip, arp.sender_mac.to_u64());
    if (arp.op == net::kArpRequest && detail::writable(m)) {
      net::arp_request_to_reply(eth, arp, shared_.ports[nc.port].mac);
      // Pad to the Ethernet minimum: some links do not do it for us.
      std::memset(eth + net::kEthernetHeaderLen + net::kArpLen, 0, 60 - net::kEthernetHeaderLen - net::kArpLen);
      m->data_len = 60;
      m->pkt_len = 60;
      m->ol_flags = 0;
      bump(counters_.arp_replies);
      return transmit(network, m);
    }
    rte_pktmbuf_free(m);
    return;
  }
  if (arp.sender_ip == arp.target_ip && sender_on_link) {
    // Gratuitous ARP from a neighbour: refresh an entry we have, never create one.
    post(NeighbourEvent::Kind::kUpdate, network, arp.sender_ip, arp.sender_mac.to_u64());
  }
  drop(m, Drop::kArpNotForUs);
}

}  // namespace sipshunt::dataplane
