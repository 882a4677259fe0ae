#include "sipshunt/dataplane/counters.hpp"

namespace sipshunt::dataplane {

std::string_view to_string(Drop d) noexcept {
  switch (d) {
    case Drop::kRunt: return "runt";
    case Drop::kNotForUs: return "not-for-us";
    case Drop::kUnsupportedEtherType: return "unsupported-ethertype";
    case Drop::kBadArp: return "bad-arp";
    case Drop::kArpNotForUs: return "arp-not-for-us";
    case Drop::kBadIpv4: return "bad-ipv4";
    case Drop::kBadIpv4Checksum: return "bad-ipv4-checksum";
    case Drop::kNotOurAddress: return "not-our-address";
    case Drop::kUnsupportedProtocol: return "unsupported-protocol";
    case Drop::kIcmpIgnored: return "icmp-ignored";
    case Drop::kBadUdp: return "bad-udp";
    case Drop::kBadUdpChecksum: return "bad-udp-checksum";
    case Drop::kClosedPort: return "closed-port";
    case Drop::kFragmentDropped: return "fragment-dropped";
    case Drop::kTooBig: return "too-big";
    case Drop::kNoRoute: return "no-route";
    case Drop::kHoldOverflow: return "hold-overflow";
    case Drop::kNeighbourTimeout: return "neighbour-timeout";
    case Drop::kNoMbuf: return "no-mbuf";
    case Drop::kTxFull: return "tx-full";
    case Drop::kProbeNotOurs: return "probe-not-ours";
    case Drop::kProbeMailboxFull: return "probe-mailbox-full";
    case Drop::kNoSnapshot: return "no-snapshot";
    case Drop::kUnsupportedVlan: return "unsupported-vlan";
    case Drop::kNoNetwork: return "no-network";
    case Drop::kBadIpv6: return "bad-ipv6";
    case Drop::kBadNeighbourDiscovery: return "bad-nd";
    case Drop::kNdNotForUs: return "nd-not-for-us";
    case Drop::kCount: break;
  }
  return "unknown";
}

void accumulate(WorkerCounters& t, const WorkerCounters& w) noexcept {
  for (std::size_t p = 0; p < kMaxPorts; ++p) {
    t.ports[p].rx_packets += read(w.ports[p].rx_packets);
    t.ports[p].rx_bytes += read(w.ports[p].rx_bytes);
    t.ports[p].tx_packets += read(w.ports[p].tx_packets);
    t.ports[p].tx_bytes += read(w.ports[p].tx_bytes);
  }
  for (std::size_t n = 0; n < kMaxNetworks; ++n) {
    t.networks[n].rx_packets += read(w.networks[n].rx_packets);
    t.networks[n].rx_bytes += read(w.networks[n].rx_bytes);
    t.networks[n].tx_packets += read(w.networks[n].tx_packets);
    t.networks[n].tx_bytes += read(w.networks[n].tx_bytes);
  }
  for (std::size_t i = 0; i < t.drops.size(); ++i) t.drops[i] += read(w.drops[i]);
  t.arp_in += read(w.arp_in);
  t.arp_replies += read(w.arp_replies);
  t.nd_in += read(w.nd_in);
  t.nd_replies += read(w.nd_replies);
  t.icmp_echo_replies += read(w.icmp_echo_replies);
  t.fragments_in += read(w.fragments_in);
  t.reassembled += read(w.reassembled);
  t.fragments_out += read(w.fragments_out);
  t.sip_in += read(w.sip_in);
  t.sip_forwarded += read(w.sip_forwarded);
  t.sip_replied += read(w.sip_replied);
  t.sip_dropped += read(w.sip_dropped);
  t.probe_replies += read(w.probe_replies);
  t.held += read(w.held);
  t.released += read(w.released);
  t.events_lost += read(w.events_lost);
  t.control_tx += read(w.control_tx);
  t.busy_cycles += read(w.busy_cycles);
  t.idle_cycles += read(w.idle_cycles);
  t.loops += read(w.loops);
  t.naps += read(w.naps);
  t.processing.add(w.processing);
}

}  // namespace sipshunt::dataplane
