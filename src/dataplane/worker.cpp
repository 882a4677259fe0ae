// The worker loop. Everything below run() is hot path: no allocation, lock, syscall or log.
#include "sipshunt/dataplane/worker.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <csignal>
#include <ctime>
#include <cstring>
#include <stdexcept>

#include "sipshunt/health/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/fragment.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::dataplane {

namespace {

constexpr std::size_t kLinearSize = proxy::kMaxDatagram + proxy::kMaxGrowth + 128;
constexpr std::size_t kOutHeadroom = 64;  // in linear_out_: room for the UDP header in front
constexpr unsigned kPrefetchAhead = 3;

SIPSHUNT_ALWAYS_INLINE bool mac_is(const unsigned char* p, const net::MacAddress& m) noexcept {
  return std::memcmp(p, m.bytes.data(), 6) == 0;
}
SIPSHUNT_ALWAYS_INLINE bool mac_is_broadcast(const unsigned char* p) noexcept {
  return (p[0] & p[1] & p[2] & p[3] & p[4] & p[5]) == 0xff;
}
// May we write into this received mbuf (replies in place, the proxy's output behind the input)?
// Not when a PMD hands out an indirect or shared buffer.
SIPSHUNT_ALWAYS_INLINE bool writable(const rte_mbuf* m) noexcept {
  return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
}

}  // namespace

Worker::Worker(Shared& shared, std::uint32_t index)
    : shared_(shared),
      index_(index),
      proxy_(std::make_unique<proxy::Worker>()),
      tx_(std::make_unique<TxBuffer[]>(kMaxPorts)),
      hold_(kHoldCapacity),
      death_row_(std::make_unique<rte_ip_frag_death_row>()),
      linear_in_(std::make_unique<char[]>(kLinearSize)),
      linear_out_(std::make_unique<char[]>(kLinearSize + kOutHeadroom)),
      ip_id_(static_cast<std::uint16_t>(index)) {
  std::memset(death_row_.get(), 0, sizeof(rte_ip_frag_death_row));
  // 1024 buckets x 8 entries, at most 4096 datagrams in reassembly per worker at once.
  frag_table_ = rte_ip_frag_table_create(1024, 8, 4096, shared.reassembly_cycles, static_cast<int>(rte_socket_id()));
  if (frag_table_ == nullptr) throw std::runtime_error("cannot create the IPv4 reassembly table");
}

Worker::~Worker() {
  drain();
  if (frag_table_ != nullptr) rte_ip_frag_table_destroy(frag_table_);
  delete pending_scratch_.load(std::memory_order_acquire);
  delete retired_scratch_;
}

void Worker::offer_scratch(std::unique_ptr<rules::Scratch> s) noexcept {
  // One offer at a time (the control plane waits for scratch_taken() before the next); an offer
  // still pending is replaced and freed, since the worker never touched it.
  delete pending_scratch_.exchange(s.release(), std::memory_order_acq_rel);
}

std::unique_ptr<rules::Scratch> Worker::take_retired_scratch() noexcept {
  if (!scratch_taken()) return nullptr;  // the acquire orders the read of retired_scratch_
  rules::Scratch* r = retired_scratch_;
  retired_scratch_ = nullptr;
  return std::unique_ptr<rules::Scratch>(r);
}

int Worker::run() noexcept {
  thread_ = pthread_self();
  running_.store(true, std::memory_order_release);
  if (shared_.qsbr != nullptr) {
    rte_rcu_qsbr_thread_register(shared_.qsbr, index_);
    rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
    online_ = true;
  }
  last_tsc_ = last_timer_ = rte_rdtsc();
  while (!shared_.quit.load(std::memory_order_relaxed)) poll_once();
  // Shutdown: stop reading, send what is buffered, release what waits, leave RCU.
  drain();
  if (online_) {
    rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
    rte_rcu_qsbr_thread_unregister(shared_.qsbr, index_);
    online_ = false;
  }
  running_.store(false, std::memory_order_release);
  return 0;
}

void Worker::interrupt() noexcept {
  if (running_.load(std::memory_order_acquire)) pthread_kill(thread_, SIGURG);
}

void Worker::drain() noexcept {
  flush_all();
  hold_.sweep([&](auto& item) {
    rte_pktmbuf_free(item.packet);
    bump(counters_.drops[static_cast<std::size_t>(Drop::kNeighbourTimeout)]);
    return false;
  });
  if (death_row_->cnt != 0) rte_ip_frag_free_death_row(death_row_.get(), 0);
}

void Worker::poll_once() noexcept {
  if (shared_.qsbr != nullptr) rte_rcu_qsbr_quiescent(shared_.qsbr, index_);
  const proxy::Snapshot* snap = shared_.snapshot.load(std::memory_order_acquire);
  if (SIPSHUNT_UNLIKELY(pending_scratch_.load(std::memory_order_relaxed) != nullptr)) {
    // A scratch for a new rule set (offered before that snapshot was stored, and prepared for
    // the previous rule set too, so it serves whichever of the two `snap` is). Swapped in here,
    // between two datagrams; the old one goes back to the control plane to be freed.
    rules::Scratch* next = pending_scratch_.load(std::memory_order_acquire);
    proxy_->scratch.swap(*next);
    retired_scratch_ = next;
    pending_scratch_.store(nullptr, std::memory_order_release);
  }
  const std::uint64_t now = rte_rdtsc();
  bump(last_busy_ ? counters_.busy_cycles : counters_.idle_cycles, now - last_tsc_);
  bump(counters_.loops);
  last_tsc_ = now;
  now_ns_ = shared_.clock.ns(now);
  if (now - last_timer_ >= shared_.drain_cycles) {
    last_timer_ = now;
    timer(now);
  }

  std::uint32_t total = 0;
  rte_mbuf* pkts[kBurst];
  for (std::uint16_t p = 0; p < shared_.port_count; ++p) {
    const std::uint16_t n = rte_eth_rx_burst(shared_.ports[p].id, static_cast<std::uint16_t>(index_), pkts, kBurst);
    if (n == 0) continue;
    total += n;
    for (unsigned i = 0; i < n && i < kPrefetchAhead; ++i) rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
    for (unsigned i = 0; i < n; ++i) {
      if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void*));
      handle(pkts[i], p, now, snap);
    }
  }
  last_busy_ = total != 0;
  if (total != 0) {
    empty_polls_ = 0;
    flush_all();
    if (death_row_->cnt != 0) {
      bump(counters_.drops[static_cast<std::size_t>(Drop::kFragmentDropped)], death_row_->cnt);
      rte_ip_frag_free_death_row(death_row_.get(), kPrefetchAhead);
    }
  } else if (SIPSHUNT_UNLIKELY(shared_.idle_sleep_ns != 0) && ++empty_polls_ >= shared_.idle_polls) {
    empty_polls_ = 0;
    nap();
  }
}

// Idle only (adaptive polling, opt-in): the one system call of the loop, never taken while packets
// arrive. Offline for RCU meanwhile, so a publish does not wait for the sleep.
void Worker::nap() noexcept {
  flush_all();
  if (shared_.qsbr != nullptr && online_) rte_rcu_qsbr_thread_offline(shared_.qsbr, index_);
  const timespec ts{0, static_cast<long>(shared_.idle_sleep_ns)};
  nanosleep(&ts, nullptr);
  if (shared_.qsbr != nullptr && online_) rte_rcu_qsbr_thread_online(shared_.qsbr, index_);
  bump(counters_.naps);
}

void Worker::timer(std::uint64_t now) noexcept {
  flush_all();
  if (!hold_.empty()) service_hold(now);
  if (index_ == 0 && shared_.control_tx != nullptr) drain_control_tx(now);
  flush_all();
}

void Worker::drop(rte_mbuf* m, Drop why) noexcept {
  bump(counters_.drops[static_cast<std::size_t>(why)]);
  rte_pktmbuf_free(m);
}

void Worker::handle(rte_mbuf* m, std::uint16_t port, std::uint64_t now, const proxy::Snapshot* snap) noexcept {
  PortCounters& pc = counters_.ports[port];
  bump(pc.rx_packets);
  bump(pc.rx_bytes, m->pkt_len);
  if (SIPSHUNT_UNLIKELY(m->data_len < net::kEthernetHeaderLen)) return drop(m, Drop::kRunt);
  const auto* eth = rte_pktmbuf_mtod(m, const unsigned char*);
  if (SIPSHUNT_UNLIKELY(!mac_is(eth, shared_.ports[port].mac) && !mac_is_broadcast(eth))) {
    return drop(m, Drop::kNotForUs);
  }
  const std::uint16_t type = net::load_be16(eth + 12);
  if (SIPSHUNT_LIKELY(type == net::kEtherTypeIpv4)) return handle_ipv4(m, port, now, snap);
  if (type == net::kEtherTypeArp) return handle_arp(m, port);
  drop(m, Drop::kUnsupportedEtherType);
}

void Worker::post(NeighbourEvent::Kind kind, std::uint16_t port, std::uint32_t ip, std::uint64_t mac) noexcept {
  if (shared_.events == nullptr) return;
  NeighbourEvent e;
  e.kind = kind;
  e.port = port;
  e.ip = ip;
  e.mac = mac;
  if (rte_ring_mp_enqueue_elem(shared_.events, &e, sizeof e) != 0) bump(counters_.events_lost);
}

void Worker::handle_arp(rte_mbuf* m, std::uint16_t port) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  net::Arp arp;
  if (!net::parse_arp(eth + net::kEthernetHeaderLen, m->data_len - net::kEthernetHeaderLen, arp)) {
    return drop(m, Drop::kBadArp);
  }
  bump(counters_.arp_in);
  const PortContext& pc = shared_.ports[port];
  const std::uint32_t mask = net::prefix_mask(pc.prefix_len);
  const bool sender_on_link = (arp.sender_ip & mask) == (pc.address & mask) && arp.sender_ip != pc.address &&
                              !arp.sender_mac.is_multicast();
  if (arp.target_ip == pc.address) {
    if (sender_on_link) post(NeighbourEvent::Kind::kLearn, port, arp.sender_ip, arp.sender_mac.to_u64());
    if (arp.op == net::kArpRequest && writable(m)) {
      net::arp_request_to_reply(eth, arp, pc.mac);
      // Pad to the Ethernet minimum: some links do not do it for us.
      std::memset(eth + net::kEthernetHeaderLen + net::kArpLen, 0, 60 - net::kEthernetHeaderLen - net::kArpLen);
      m->data_len = 60;
      m->pkt_len = 60;
      m->ol_flags = 0;
      bump(counters_.arp_replies);
      return tx(port, m);
    }
    rte_pktmbuf_free(m);
    return;
  }
  if (arp.sender_ip == arp.target_ip && sender_on_link) {
    // Gratuitous ARP from a neighbour: refresh an entry we have, never create one.
    post(NeighbourEvent::Kind::kUpdate, port, arp.sender_ip, arp.sender_mac.to_u64());
  }
  drop(m, Drop::kArpNotForUs);
}

void Worker::handle_ipv4(rte_mbuf* m, std::uint16_t port, std::uint64_t now, const proxy::Snapshot* snap) noexcept {
  const PortContext& pc = shared_.ports[port];
  auto* l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
  bool verify = true;
  if (pc.rx_ipv4_checksum) {
    const std::uint64_t f = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
    if (f == RTE_MBUF_F_RX_IP_CKSUM_BAD) return drop(m, Drop::kBadIpv4Checksum);
    verify = f != RTE_MBUF_F_RX_IP_CKSUM_GOOD;
  }
  net::Ipv4 ip;
  switch (net::parse_ipv4(l3, m->data_len - net::kEthernetHeaderLen, verify, ip)) {
    case net::Ipv4Check::kOk: break;
    case net::Ipv4Check::kBadChecksum: return drop(m, Drop::kBadIpv4Checksum);
    default: return drop(m, Drop::kBadIpv4);
  }
  if (SIPSHUNT_UNLIKELY(ip.dst != pc.address)) return drop(m, Drop::kNotOurAddress);
  // Ethernet padding beyond the IP datagram is not part of it.
  const std::uint32_t frame = net::kEthernetHeaderLen + ip.total_len;
  if (m->pkt_len > frame) rte_pktmbuf_trim(m, static_cast<std::uint16_t>(m->pkt_len - frame));

  if (SIPSHUNT_UNLIKELY(ip.is_fragment())) {
    bump(counters_.fragments_in);
    m->l2_len = net::kEthernetHeaderLen;
    m->l3_len = ip.header_len;
    rte_mbuf* whole = rte_ipv4_frag_reassemble_packet(frag_table_, death_row_.get(), m, now,
                                                      reinterpret_cast<rte_ipv4_hdr*>(l3));
    if (whole == nullptr) return;  // kept until the rest arrives (or on death row)
    bump(counters_.reassembled);
    m = whole;
    l3 = rte_pktmbuf_mtod_offset(m, unsigned char*, net::kEthernetHeaderLen);
    ip.total_len = static_cast<std::uint16_t>(m->pkt_len - net::kEthernetHeaderLen);
    ip.header_len = static_cast<std::uint8_t>((l3[0] & 0x0f) * 4);
  }

  if (ip.protocol == net::kIpProtoUdp) {
    const std::uint32_t l4_avail = ip.total_len - ip.header_len;
    if (SIPSHUNT_UNLIKELY(l4_avail < net::kUdpHeaderLen)) return drop(m, Drop::kBadUdp);
    unsigned char udp_hdr[net::kUdpHeaderLen];
    const auto* udp = static_cast<const unsigned char*>(
        rte_pktmbuf_read(m, net::kEthernetHeaderLen + ip.header_len, net::kUdpHeaderLen, udp_hdr));
    const std::uint16_t ulen = net::load_be16(udp + 4);
    if (SIPSHUNT_UNLIKELY(ulen < net::kUdpHeaderLen || ulen > l4_avail)) return drop(m, Drop::kBadUdp);
    if (net::load_be16(udp + 2) != shared_.sip_port) return drop(m, Drop::kClosedPort);
    const std::uint16_t sport = net::load_be16(udp);
    bool check = true;
    if (pc.rx_udp_checksum && m->nb_segs == 1) {
      const std::uint64_t f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
      if (f == RTE_MBUF_F_RX_L4_CKSUM_BAD) return drop(m, Drop::kBadUdpChecksum);
      check = f != RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    }
    if (SIPSHUNT_LIKELY(m->nb_segs == 1)) {
      auto* u = l3 + ip.header_len;
      if (check && !net::udp_checksum_ok(l3 + 12, l3 + 16, u, ulen)) return drop(m, Drop::kBadUdpChecksum);
      return handle_sip(m, true, reinterpret_cast<const char*>(u + net::kUdpHeaderLen), ulen - net::kUdpHeaderLen,
                        ip.src, sport, now, snap);
    }
    // A reassembled datagram spans segments: copy it out once (any UDP length fits).
    static_assert(kLinearSize >= 0xffff, "linear_in_ holds the largest UDP datagram");
    const auto* u = static_cast<const unsigned char*>(
        rte_pktmbuf_read(m, net::kEthernetHeaderLen + ip.header_len, ulen, linear_in_.get()));
    if (u == nullptr) return drop(m, Drop::kBadUdp);
    if (check && !net::udp_checksum_ok(l3 + 12, l3 + 16, u, ulen)) return drop(m, Drop::kBadUdpChecksum);
    rte_pktmbuf_free(m);
    return handle_sip(nullptr, false, reinterpret_cast<const char*>(u + net::kUdpHeaderLen), ulen - net::kUdpHeaderLen,
                      ip.src, sport, now, snap);
  }
  if (ip.protocol == net::kIpProtoIcmp && m->nb_segs == 1 && writable(m)) {
    return handle_icmp(m, port, l3, ip.header_len, ip.total_len);
  }
  drop(m, ip.protocol == net::kIpProtoIcmp ? Drop::kIcmpIgnored : Drop::kUnsupportedProtocol);
}

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

void Worker::handle_sip(rte_mbuf* m, bool payload_in_m, const char* payload, std::uint32_t length,
                        std::uint32_t src_ip, std::uint16_t src_port, std::uint64_t now,
                        const proxy::Snapshot* snap) noexcept {
  if (SIPSHUNT_UNLIKELY(snap == nullptr)) {
    bump(counters_.drops[static_cast<std::size_t>(Drop::kNoSnapshot)]);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  bump(counters_.sip_in);
  // Output goes behind the input in the same buffer when it fits (no second mbuf, no copy),
  // leaving 42 bytes in front of it for the new Ethernet/IPv4/UDP headers.
  char* out = nullptr;
  std::size_t capacity = 0;
  bool out_in_m = false;
  if (payload_in_m && writable(m)) {
    const auto end = reinterpret_cast<std::uintptr_t>(payload) + length + net::kUdpFrameOverhead;
    const auto start = (end + 63) & ~std::uintptr_t{63};
    const auto buf_end = reinterpret_cast<std::uintptr_t>(m->buf_addr) + m->buf_len;
    if (buf_end > start && buf_end - start >= length + proxy::kMaxGrowth) {
      out = reinterpret_cast<char*>(start);
      capacity = buf_end - start;
      out_in_m = true;
    }
  }
  if (!out_in_m) {
    out = linear_out_.get() + kOutHeadroom;
    capacity = kLinearSize;
  }
  const Endpoint source{IpAddress::v4(src_ip), src_port};
  const std::uint64_t now_ns = now_ns_;  // once per burst: the TSC-to-ns division is not free
  const proxy::Result r = proxy::process(*snap, *proxy_, payload, length, source, out, capacity, now_ns);
  switch (r.verdict) {
    case proxy::Verdict::kForward:
    case proxy::Verdict::kReply: {
      bump(r.verdict == proxy::Verdict::kForward ? counters_.sip_forwarded : counters_.sip_replied);
      if (r.next_hop.ip.family != Family::kIPv4) {
        if (m != nullptr) rte_pktmbuf_free(m);
        bump(counters_.drops[static_cast<std::size_t>(Drop::kNoRoute)]);
        return;
      }
      if (!out_in_m && m != nullptr) {
        rte_pktmbuf_free(m);
        m = nullptr;
      }
      return send_udp(m, out_in_m, out, r.length, r.next_hop.ip.v4_host_order(), r.next_hop.port, now);
    }
    case proxy::Verdict::kProbeReply: {
      const health::ProbeCodec* codec = shared_.probe_codec.load(std::memory_order_acquire);
      health::ReplyMailbox* box = shared_.probe_mailbox.load(std::memory_order_acquire);
      if (codec == nullptr || box == nullptr) {
        bump(counters_.drops[static_cast<std::size_t>(Drop::kProbeNotOurs)]);
      } else {
        switch (health::post_reply(*codec, *box, payload, length, now_ns)) {
          case health::PostResult::kPosted: bump(counters_.probe_replies); break;
          case health::PostResult::kMailboxFull:
            bump(counters_.drops[static_cast<std::size_t>(Drop::kProbeMailboxFull)]);
            break;
          case health::PostResult::kNotOurs:
            bump(counters_.drops[static_cast<std::size_t>(Drop::kProbeNotOurs)]);
            break;
        }
      }
      if (m != nullptr) rte_pktmbuf_free(m);
      return;
    }
    case proxy::Verdict::kDrop:
      bump(counters_.sip_dropped);
      if (m != nullptr) rte_pktmbuf_free(m);
      return;
  }
}

void Worker::send_udp(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, std::uint32_t dst_ip,
                      std::uint16_t dst_port, std::uint64_t now) noexcept {
  const auto nh = shared_.routes.lookup(dst_ip);
  if (SIPSHUNT_UNLIKELY(!nh)) {
    bump(counters_.drops[static_cast<std::size_t>(Drop::kNoRoute)]);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  const PortContext& pc = shared_.ports[nh->port];
  const std::uint32_t udp_len = net::kUdpHeaderLen + length;
  const net::FragmentPlan plan = net::plan_fragments(udp_len, pc.mtu);
  if (SIPSHUNT_UNLIKELY(plan.count == 0)) {
    bump(counters_.drops[static_cast<std::size_t>(Drop::kTooBig)]);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  if (SIPSHUNT_LIKELY(plan.count == 1)) {
    if (!payload_in_m) {
      if (m == nullptr) m = rte_pktmbuf_alloc(shared_.pool);
      if (SIPSHUNT_UNLIKELY(m == nullptr)) {
        bump(counters_.drops[static_cast<std::size_t>(Drop::kNoMbuf)]);
        return;
      }
      char* dst = rte_pktmbuf_mtod_offset(m, char*, net::kUdpFrameOverhead);
      std::memcpy(dst, payload, length);
      payload = dst;
    }
    auto* udp = reinterpret_cast<unsigned char*>(payload) - net::kUdpHeaderLen;
    auto* l3 = udp - net::kIpv4HeaderLen;
    auto* eth = l3 - net::kEthernetHeaderLen;
    net::write_udp(udp, shared_.sip_port, dst_port, static_cast<std::uint16_t>(udp_len));
    net::Ipv4Out h;
    h.src = pc.address;
    h.dst = dst_ip;
    h.total_len = static_cast<std::uint16_t>(net::kIpv4HeaderLen + udp_len);
    h.id = next_ip_id();
    net::write_ipv4(l3, h, !pc.tx_ipv4_checksum);
    std::uint64_t flags = 0;
    if (pc.tx_udp_checksum) {
      flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM | (pc.tx_ipv4_checksum ? RTE_MBUF_F_TX_IP_CKSUM : 0);
      const std::uint16_t ph = rte_ipv4_phdr_cksum(reinterpret_cast<const rte_ipv4_hdr*>(l3), flags);
      std::memcpy(udp + 6, &ph, 2);
    } else {
      const std::uint16_t c = net::udp_checksum(l3 + 12, l3 + 16, udp, udp_len);
      std::memcpy(udp + 6, &c, 2);
      if (pc.tx_ipv4_checksum) flags = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
    }
    m->ol_flags = flags;
    m->l2_len = net::kEthernetHeaderLen;
    m->l3_len = net::kIpv4HeaderLen;
    m->data_off = static_cast<std::uint16_t>(eth - static_cast<unsigned char*>(m->buf_addr));
    m->data_len = static_cast<std::uint16_t>(net::kEthernetHeaderLen + net::kIpv4HeaderLen + udp_len);
    m->pkt_len = m->data_len;
    return send_frame(m, nh->port, nh->address, now);
  }

  // Above the MTU: checksum the whole UDP datagram once, then cut it into fragments (RFC 791).
  auto* udp = reinterpret_cast<unsigned char*>(payload) - net::kUdpHeaderLen;
  net::write_udp(udp, shared_.sip_port, dst_port, static_cast<std::uint16_t>(udp_len));
  unsigned char src_be[4], dst_be[4];
  net::store_be32(src_be, pc.address);
  net::store_be32(dst_be, dst_ip);
  const std::uint16_t c = net::udp_checksum(src_be, dst_be, udp, udp_len);
  std::memcpy(udp + 6, &c, 2);
  const std::uint16_t id = next_ip_id();
  for (std::uint32_t i = 0; i < plan.count; ++i) {
    const net::FragmentPlan::Slice s = plan.slice(i);
    rte_mbuf* f = rte_pktmbuf_alloc(shared_.pool);
    if (SIPSHUNT_UNLIKELY(f == nullptr)) {
      bump(counters_.drops[static_cast<std::size_t>(Drop::kNoMbuf)], plan.count - i);
      break;
    }
    auto* eth = reinterpret_cast<unsigned char*>(
        rte_pktmbuf_append(f, static_cast<std::uint16_t>(net::kEthernetHeaderLen + net::kIpv4HeaderLen + s.length)));
    net::Ipv4Out h;
    h.src = pc.address;
    h.dst = dst_ip;
    h.total_len = static_cast<std::uint16_t>(net::kIpv4HeaderLen + s.length);
    h.id = id;
    h.fragment_offset = static_cast<std::uint16_t>(s.offset);
    h.more_fragments = s.more;
    net::write_ipv4(eth + net::kEthernetHeaderLen, h, true);
    std::memcpy(eth + net::kEthernetHeaderLen + net::kIpv4HeaderLen, udp + s.offset, s.length);
    bump(counters_.fragments_out);
    send_frame(f, nh->port, nh->address, now);
  }
  if (m != nullptr) rte_pktmbuf_free(m);
}

void Worker::send_frame(rte_mbuf* m, std::uint16_t port, std::uint32_t next_hop, std::uint64_t now) noexcept {
  auto* eth = rte_pktmbuf_mtod(m, unsigned char*);
  const PortContext& pc = shared_.ports[port];
  net::MacAddress mac;
  if (SIPSHUNT_LIKELY(shared_.neighbours != nullptr && shared_.neighbours->lookup(port, next_hop, mac))) {
    net::write_ethernet(eth, mac, pc.mac, net::kEtherTypeIpv4);
    return tx(port, m);
  }
  // Unresolved: hold it (bounded) and ask the control lcore to resolve, once per next hop.
  net::write_ethernet(eth, net::MacAddress{}, pc.mac, net::kEtherTypeIpv4);
  if (!hold_.waiting_for(port, next_hop)) post(NeighbourEvent::Kind::kDemand, port, next_hop, 0);
  if (!hold_.push({m, next_hop, port, now + shared_.hold_cycles})) return drop(m, Drop::kHoldOverflow);
  bump(counters_.held);
}

void Worker::service_hold(std::uint64_t now) noexcept {
  hold_.sweep([&](auto& item) {
    net::MacAddress mac;
    if (shared_.neighbours->lookup(item.port, item.next_hop, mac)) {
      std::memcpy(rte_pktmbuf_mtod(item.packet, unsigned char*), mac.bytes.data(), 6);
      bump(counters_.released);
      tx(item.port, item.packet);
      return false;
    }
    if (now >= item.deadline) {
      drop(item.packet, Drop::kNeighbourTimeout);
      return false;
    }
    return true;
  });
}

void Worker::drain_control_tx(std::uint64_t now) noexcept {
  void* objs[kBurst];
  const unsigned n = rte_ring_sc_dequeue_burst(shared_.control_tx, objs, kBurst, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    auto* m = static_cast<rte_mbuf*>(objs[i]);
    ControlTxMeta meta;
    std::memcpy(&meta, rte_mbuf_to_priv(m), sizeof meta);
    bump(counters_.control_tx);
    if (meta.kind == ControlTxMeta::Kind::kFrame) {
      if (meta.port >= shared_.port_count) {
        drop(m, Drop::kNoRoute);
        continue;
      }
      tx(meta.port, m);
    } else {
      send_udp(m, true, rte_pktmbuf_mtod(m, char*), m->data_len, meta.dst_ip, meta.dst_port, now);
    }
  }
}

void Worker::tx(std::uint16_t port, rte_mbuf* m) noexcept {
  TxBuffer& b = tx_[port];
  b.pkts[b.count++] = m;
  b.bytes += m->pkt_len;
  if (b.count == kTxBuffer) flush(port);
}

void Worker::flush(std::uint16_t port) noexcept {
  TxBuffer& b = tx_[port];
  if (b.count == 0) return;
  const std::uint16_t sent = rte_eth_tx_burst(shared_.ports[port].id, static_cast<std::uint16_t>(index_), b.pkts, b.count);
  std::uint64_t bytes = b.bytes;
  for (std::uint16_t i = sent; i < b.count; ++i) {
    bytes -= b.pkts[i]->pkt_len;
    drop(b.pkts[i], Drop::kTxFull);
  }
  bump(counters_.ports[port].tx_packets, sent);
  bump(counters_.ports[port].tx_bytes, bytes);
  b.count = 0;
  b.bytes = 0;
}

void Worker::flush_all() noexcept {
  for (std::uint16_t p = 0; p < shared_.port_count; ++p) flush(p);
}

}  // namespace sipshunt::dataplane
