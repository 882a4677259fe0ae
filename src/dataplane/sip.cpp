// SIP on a worker: the hand-off of a datagram to proxy::process, with its output placed behind
// the input in the same mbuf when it fits (else in the per-worker linear buffer), then either
// sent on (udp_send.hpp, udp_send.cpp), or, for a health probe's reply, posted to the health mailbox.
#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "packet.hpp"
#include "udp_send.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/health/post_reply.hpp"
#include "sipshunt/common/address.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::dataplane {

void Worker::handle_sip(rte_mbuf* m, const char* payload, std::uint32_t length, std::uint16_t network) noexcept {
  const proxy::Snapshot* snap = snap_;
  if (SIPSHUNT_UNLIKELY(snap == nullptr)) {
    bump(counters_.drops[static_cast<std::size_t>(Drop::kNoSnapshot)]);
    if (m != nullptr) rte_pktmbuf_free(m);
    return;
  }
  // Sampled timing (dataplane/counters.hpp): the count before this datagram's bump, so the first
  // datagram is timed, from the one load the bump makes.
  const bool timed = (bump(counters_.sip_in) & (kProcessingSampleEvery - 1)) == 0;
  // Output goes behind the input in the same buffer when it fits (no second mbuf, no copy),
  // leaving room in front of it for the new headers (Ethernet, a VLAN tag, IPv4 or IPv6, UDP).
  char* out = nullptr;
  std::size_t capacity = 0;
  bool out_in_m = false;
  if (m != nullptr && detail::writable(m)) {
    const auto end = reinterpret_cast<std::uintptr_t>(payload) + length + net::kMaxUdpFrameOverhead;
    const auto start = (end + 63) & ~std::uintptr_t{63};
    const auto buf_end = reinterpret_cast<std::uintptr_t>(m->buf_addr) + m->buf_len;
    if (buf_end > start && buf_end - start >= length + proxy::kMaxGrowth) {
      out = reinterpret_cast<char*>(start);
      capacity = buf_end - start;
      out_in_m = true;
    }
  }
  if (!out_in_m) {
    out = linear_out_.get() + detail::kOutHeadroom;
    capacity = detail::kLinearSize;
  }
  // The source and the clock are in datagram_ already; after the call its fields are read from
  // there rather than kept in registers across it.
  proxy::Datagram& d = datagram_;
  d.data = payload;
  d.size = length;
  d.network = network;
  d.out = out;
  d.out_capacity = capacity;
  const std::uint64_t t0 = timed ? rte_rdtsc() : 0;
  const proxy::Outcome r = proxy::process(*snap, *proxy_, d);
  if (SIPSHUNT_UNLIKELY(timed)) counters_.processing.record(shared_.clock.ns(rte_rdtsc() - t0), kProcessingBoundsNs);
  if (SIPSHUNT_UNLIKELY(mirror_taps_ != nullptr)) mirror(r, *snap);
  // The usual verdict first: a forward of output already in m, sent from the template.
  if (SIPSHUNT_LIKELY(r.verdict == proxy::Verdict::kForward && out_in_m)) {
    bump(counters_.sip_forwarded);
    if (SIPSHUNT_LIKELY(send_udp_templated(m, true, d.out, r.length, r.next_hop, r.route))) return;
    return send_udp(m, true, d.out, r.length, r.next_hop, r.route, From::kSipAddress, last_tsc_);
  }
  switch (r.verdict) {
    case proxy::Verdict::kForward:
    case proxy::Verdict::kReply: {
      bump(r.verdict == proxy::Verdict::kForward ? counters_.sip_forwarded : counters_.sip_replied);
      if (!out_in_m && m != nullptr) {
        rte_pktmbuf_free(m);
        m = nullptr;
      }
      // The proxy looked the route up (its network's SIP address is in our Via): send by it, from it,
      // from the network's header template when it applies (no call), else header by header.
      if (SIPSHUNT_LIKELY(send_udp_templated(m, out_in_m, d.out, r.length, r.next_hop, r.route))) return;
      return send_udp(m, out_in_m, d.out, r.length, r.next_hop, r.route, From::kSipAddress, last_tsc_);
    }
    case proxy::Verdict::kLocal: {
      const health::ProbeCodec* codec = shared_.probe_codec.load(std::memory_order_acquire);
      health::ReplyMailbox* box = shared_.probe_mailbox.load(std::memory_order_acquire);
      if (codec == nullptr || box == nullptr) {
        bump(counters_.drops[static_cast<std::size_t>(Drop::kProbeNotOurs)]);
      } else {
        switch (health::post_reply(*codec, *box, d.data, d.size, d.now_ns)) {
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

}  // namespace sipshunt::dataplane
