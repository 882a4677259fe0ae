// Per-worker data-plane counters: written by one worker only, with bump() (no atomic
// read-modify-write, no sharing of cache lines), summed by the control lcore with read() for
// logs, the stats file and metrics (common/counter.hpp says why both).
// The SIP-level counters (reasons, replies per status, per backend, per rule) live in the
// proxy's Worker::counters beside these.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/common/counter.hpp"
#include "sipshunt/common/histogram.hpp"

namespace sipshunt::dataplane {

inline constexpr std::size_t kMaxPorts = 8;
inline constexpr std::size_t kMaxNetworks = 32;      // networks (ports' links of either family)
inline constexpr std::size_t kMaxLinksPerPort = 16;  // untagged + VLANs on one port

// Why the data plane discarded a packet before or after the proxy saw it. Stable tokens.
enum class Drop : std::uint8_t {
  kRunt = 0,             // "runt": shorter than an Ethernet header
  kNotForUs,             // "not-for-us": destination MAC neither ours, broadcast nor IPv6 multicast
  kUnsupportedEtherType, // "unsupported-ethertype": neither IPv4, IPv6 nor ARP
  kBadArp,               // "bad-arp": not an Ethernet/IPv4 ARP packet
  kArpNotForUs,          // "arp-not-for-us": ARP for another address (normal on a shared link)
  kBadIpv4,              // "bad-ipv4": version, header or total length wrong
  kBadIpv4Checksum,      // "bad-ipv4-checksum"
  kNotOurAddress,        // "not-our-address": IP destination is none of our networks' addresses
  kUnsupportedProtocol,  // "unsupported-protocol": neither UDP nor ICMP
  kIcmpIgnored,          // "icmp-ignored": ICMP other than a valid echo request
  kBadUdp,               // "bad-udp": UDP length inconsistent with the IP length
  kBadUdpChecksum,       // "bad-udp-checksum"
  kClosedPort,           // "closed-port": UDP to a port other than our SIP port
  kFragmentDropped,      // "fragment-dropped": reassembly gave up (timeout, overlap, too many)
  kTooBig,               // "too-big": datagram beyond our buffers or an IP datagram
  kNoRoute,              // "no-route": no route to the destination
  kHoldOverflow,         // "hold-overflow": ARP resolution queue full
  kNeighbourTimeout,     // "neighbour-timeout": next hop did not answer ARP in time
  kNoMbuf,               // "no-mbuf": mbuf pool exhausted
  kTxFull,               // "tx-full": the port's tx queue refused the packet
  kProbeNotOurs,         // "probe-not-ours": a probe-prefixed response our codec rejects
  kProbeMailboxFull,     // "probe-mailbox-full"
  kNoSnapshot,           // "no-snapshot": SIP before the first snapshot was published
  kUnsupportedVlan,      // "unsupported-vlan": a second 802.1Q tag (QinQ), or 802.1ad
  kNoNetwork,            // "no-network": no network of the frame's family on its port and VLAN
  kBadIpv6,              // "bad-ipv6": version or payload length wrong
  kBadNeighbourDiscovery,// "bad-nd": an NS or NA that RFC 4861 §7.1 says to discard
  kNdNotForUs,           // "nd-not-for-us": a solicitation for another address (normal on a shared link)
  kCount
};
[[nodiscard]] std::string_view to_string(Drop d) noexcept;

struct PortCounters {
  std::uint64_t rx_packets = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_packets = 0;
  std::uint64_t tx_bytes = 0;
};

struct SIPSHUNT_CACHE_ALIGNED WorkerCounters {
  std::array<PortCounters, kMaxPorts> ports{};
  std::array<PortCounters, kMaxNetworks> networks{};  // rx: arrived on it; tx: handed to its port
  std::array<std::uint64_t, static_cast<std::size_t>(Drop::kCount)> drops{};
  std::uint64_t arp_in = 0;             // ARP packets received
  std::uint64_t arp_replies = 0;        // ARP replies we sent for our addresses
  std::uint64_t nd_in = 0;              // neighbour solicitations and advertisements received
  std::uint64_t nd_replies = 0;         // advertisements we sent for our addresses
  std::uint64_t icmp_echo_replies = 0;  // ICMP and ICMPv6
  std::uint64_t fragments_in = 0;       // IPv4 and IPv6 fragments received
  std::uint64_t reassembled = 0;        // datagrams rebuilt from them
  std::uint64_t fragments_out = 0;      // fragments sent (datagrams above the MTU)
  std::uint64_t sip_in = 0;             // datagrams handed to the proxy
  std::uint64_t sip_forwarded = 0;      // Verdict::kForward
  std::uint64_t sip_replied = 0;        // Verdict::kReply (stateless replies sent)
  std::uint64_t sip_dropped = 0;        // Verdict::kDrop (reason in the proxy's counters)
  std::uint64_t probe_replies = 0;      // Verdict::kLocal posted to the health mailbox
  std::uint64_t held = 0;               // packets that waited for ARP
  std::uint64_t released = 0;           // ... and were sent when it resolved
  std::uint64_t events_lost = 0;        // neighbour events the control ring had no room for
  std::uint64_t control_tx = 0;         // packets sent for the control lcore (worker 0)
  std::uint64_t busy_cycles = 0;        // TSC cycles in iterations that received packets
  std::uint64_t idle_cycles = 0;        // TSC cycles in empty polls
  std::uint64_t loops = 0;
  std::uint64_t naps = 0;               // idle sleeps (adaptive polling, off by default)
  // proxy::process time of 1 SIP datagram in kProcessingSampleEvery (kProcessingBoundsNs buckets)
  LatencyHistogram processing;
};

// One datagram in this many is timed (two rdtsc): the histogram costs nothing measurable.
inline constexpr std::uint64_t kProcessingSampleEvery = 1024;

// Sum of every worker's counters (control lcore).
void accumulate(WorkerCounters& total, const WorkerCounters& one) noexcept;

}  // namespace sipshunt::dataplane
