// Ethernet on a worker: every received frame starts in handle() (destination MAC ours, broadcast
// or IPv6 multicast; the 802.1Q tag, in band or already stripped into the mbuf by the device,
// taken off to find the network the frame arrived on; then ARP, IPv4 or IPv6), and every frame
// leaves through transmit() (the network's VLAN tag pushed, counted per network).
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

#include "packet.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::dataplane {

void Worker::handle(rte_mbuf* m, std::uint16_t port) noexcept {
  // The usual frame: untagged IPv4 or IPv6 (neither in band nor stripped by the device) on a port
  // whose first link is the untagged one with a network of that family. It needs few registers,
  // so the call on to handle_ipv4 or handle_ipv6 is a jump without a frame of its own; anything
  // else (or in doubt) takes handle_frame, which decides the same for this frame and counts every drop.
  // The untagged link's network of each family is read from the port (PortContext::untagged_v4,
  // untagged_v6), one test each.
  const PortContext& pc = shared_.ports[port];
  const auto* eth = rte_pktmbuf_mtod(m, const unsigned char*);
  const auto plain = [&](std::uint16_t type, std::uint16_t network) {
    return m->data_len >= net::kEthernetHeaderLen && net::load_be16(eth + 12) == type &&
           (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) == 0 && network != kNoNetwork &&
           detail::mac_accepted(eth, pc.mac);
  };
  const auto count_in = [&](std::uint16_t network) {
    PortCounters& on = counters_.networks[network];
    bump(on.rx_packets);
    bump(on.rx_bytes, m->pkt_len);
  };
  if (const std::uint16_t v4 = pc.untagged_v4; SIPSHUNT_LIKELY(plain(net::kEtherTypeIpv4, v4))) {
    count_in(v4);
    return handle_ipv4(m, v4);
  }
  if (const std::uint16_t v6 = pc.untagged_v6; plain(net::kEtherTypeIpv6, v6)) {
    count_in(v6);
    return handle_ipv6(m, v6);
  }
  handle_frame(m, port);
}

void Worker::handle_frame(rte_mbuf* m, std::uint16_t port) noexcept {
  if (SIPSHUNT_UNLIKELY(m->data_len < net::kEthernetHeaderLen)) return drop(m, Drop::kRunt);
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  const PortContext& pc = shared_.ports[port];
  if (SIPSHUNT_UNLIKELY(!detail::mac_accepted(eth, pc.mac))) return drop(m, Drop::kNotForUs);
  std::uint16_t type = net::load_be16(eth + 12);
  // A device that strips the tag (af_packet: the kernel hands it over as auxdata) says so in the
  // mbuf; otherwise the tag is in band. Either way one tag is all we take (no QinQ).
  const bool stripped = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
  std::uint16_t vlan = stripped ? net::vlan_of_tci(m->vlan_tci) : 0;
  if (SIPSHUNT_UNLIKELY(type == net::kEtherTypeVlan || type == net::kEtherTypeQinQ)) {
    if (stripped || type == net::kEtherTypeQinQ) return drop(m, Drop::kUnsupportedVlan);
    if (m->data_len < net::kEthernetHeaderLen + net::kVlanTagLen) return drop(m, Drop::kRunt);
    vlan = net::vlan_of_tci(net::load_be16(eth + 14));
    type = net::load_be16(eth + 16);
    if (type == net::kEtherTypeVlan || type == net::kEtherTypeQinQ) return drop(m, Drop::kUnsupportedVlan);
    // Take the tag out (the MACs move up 4 bytes), so everything after sees a plain Ethernet header.
    if (!detail::writable(m)) return drop(m, Drop::kUnsupportedVlan);
    std::memmove(eth + net::kVlanTagLen, eth, 12);
    rte_pktmbuf_adj(m, net::kVlanTagLen);
  }
  m->ol_flags &= ~RTE_MBUF_F_RX_VLAN_STRIPPED;
  const PortLink* link = SIPSHUNT_LIKELY(pc.link_count != 0 && pc.links[0].vlan == vlan) ? &pc.links[0] : pc.link(vlan);
  if (SIPSHUNT_UNLIKELY(link == nullptr)) return drop(m, Drop::kNoNetwork);
  std::uint16_t network = kNoNetwork;
  if (SIPSHUNT_LIKELY(type == net::kEtherTypeIpv4 || type == net::kEtherTypeArp)) {
    network = link->v4;
  } else if (type == net::kEtherTypeIpv6) {
    network = link->v6;
  } else {
    return drop(m, Drop::kUnsupportedEtherType);
  }
  if (SIPSHUNT_UNLIKELY(network == kNoNetwork)) return drop(m, Drop::kNoNetwork);
  PortCounters& on = counters_.networks[network];
  bump(on.rx_packets);
  bump(on.rx_bytes, m->pkt_len);
  if (SIPSHUNT_LIKELY(type == net::kEtherTypeIpv4)) return handle_ipv4(m, network);
  if (type == net::kEtherTypeIpv6) return handle_ipv6(m, network);
  handle_arp(m, network);
}

void Worker::transmit(std::uint16_t network, rte_mbuf* m) noexcept {
  const NetworkContext& n = shared_.networks[network];
  if (n.vlan != 0) {
    // In software: every device takes it, and the tag is not counted against the IP MTU.
    m->vlan_tci = n.vlan;
    if (SIPSHUNT_UNLIKELY(rte_vlan_insert(&m) != 0)) return drop(m, Drop::kNoMbuf);
  }
  PortCounters& c = counters_.networks[network];
  bump(c.tx_packets);
  bump(c.tx_bytes, m->pkt_len);
  tx(n.port, m);
}

bool Worker::is_ours(const IpAddress& a, std::uint16_t network) const noexcept {
  if (SIPSHUNT_LIKELY(shared_.networks[network].sip_address == a)) return true;
  for (std::uint16_t i = 0; i < shared_.network_count; ++i) {
    if (shared_.networks[i].address == a || shared_.networks[i].sip_address == a) return true;
  }
  return false;
}

}  // namespace sipshunt::dataplane
