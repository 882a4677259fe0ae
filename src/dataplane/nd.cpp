// Neighbour discovery on a worker (RFC 4861): a solicitation for the arrival network's address is
// answered with an advertisement written over it, in place; what solicitations and advertisements
// tell about a neighbour goes to the control lcore, which owns the neighbour table (a solicitation
// we must send, and ageing, are the runtime's).
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/ipv6.hpp"

namespace sipshunt::dataplane {

void Worker::handle_nd(rte_mbuf* m, std::uint16_t network, unsigned char* l3, const net::Ipv6& ip) noexcept {
  net::NeighbourMessage nd;
  if (m->nb_segs != 1 || !net::parse_neighbour_message(ip, l3 + net::kIpv6HeaderLen, ip.payload_len, nd)) {
    return drop(m, Drop::kBadNeighbourDiscovery);
  }
  bump(counters_.nd_in);
  const NetworkContext& nc = shared_.networks[network];
  if (nd.type == net::kIcmpv6NeighbourAdvertisement) {
    // An answer to our solicitation (unicast to us) creates or refreshes the entry; an unsolicited
    // one (to all nodes) only refreshes one we have (RFC 4861 §7.2.5), like a gratuitous ARP.
    if (nd.has_link_layer && !nd.link_layer.is_multicast()) {
      post(net::is_multicast_v6(ip.dst) ? NeighbourEvent::Kind::kUpdate : NeighbourEvent::Kind::kLearn, network,
           nd.target, nd.link_layer.to_u64());
    }
    rte_pktmbuf_free(m);
    return;
  }
  if (nd.target != nc.address) return drop(m, Drop::kNdNotForUs);
  const bool dad = net::is_unspecified_v6(ip.src);
  // The sender's address is learned from its source link-layer option (RFC 4861 §7.2.3).
  if (!dad && nd.has_link_layer && !nd.link_layer.is_multicast()) {
    post(NeighbourEvent::Kind::kLearn, network, ip.src, nd.link_layer.to_u64());
  }
  if (!detail::writable(m) || std::size_t{m->buf_len} < std::size_t{m->data_off} + net::kNdFrameLen) {
    return drop(m, Drop::kBadNeighbourDiscovery);
  }
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  net::MacAddress dst_mac;
  IpAddress dst_ip;
  if (dad) {  // someone checks our address is free: tell every node it is not (RFC 4861 §7.2.4)
    dst_ip = net::all_nodes();
    dst_mac = net::multicast_mac(dst_ip);
  } else {
    dst_ip = ip.src;
    if (nd.has_link_layer) {
      dst_mac = nd.link_layer;
    } else {
      std::memcpy(dst_mac.bytes.data(), eth + 6, 6);
    }
  }
  net::build_neighbour_advertisement(eth, shared_.ports[nc.port].mac, nc.address, dst_mac, dst_ip, !dad);
  m->data_len = static_cast<std::uint16_t>(net::kNdFrameLen);
  m->pkt_len = net::kNdFrameLen;
  m->ol_flags = 0;
  bump(counters_.nd_replies);
  transmit(network, m);
}

}  // namespace sipshunt::dataplane
