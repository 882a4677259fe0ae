// hot path
// Private to src/dataplane: the per-packet helpers (and Worker::tx) and buffer sizes that the
// worker's files share. Inline here so that splitting dataplane::Worker over several files adds no call on the
// per-packet path.
#pragma once

#include <rte_mbuf.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "sipshunt/common/compiler.hpp"
#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"

namespace sipshunt::dataplane::detail {

// The per-worker linear buffers (Worker::linear_in_, linear_out_): the largest datagram the
// proxy reads plus what its rewrite may add; linear_out_ keeps kOutHeadroom bytes in front for
// the headers written in front of the datagram (net::kMaxUdpFrameOverhead), rounded up.
inline constexpr std::size_t kLinearSize = proxy::kMaxDatagram + proxy::kMaxGrowth + 128;
inline constexpr std::size_t kOutHeadroom = 128;
static_assert(kOutHeadroom >= net::kMaxUdpFrameOverhead);

SIPSHUNT_ALWAYS_INLINE bool mac_is(const unsigned char* p, const net::MacAddress& m) noexcept {
  return std::memcmp(p, m.bytes.data(), 6) == 0;
}
// Two overlapping 32-bit loads (octets 0-3 and 2-5) rather than six octet loads.
SIPSHUNT_ALWAYS_INLINE bool mac_is_broadcast(const unsigned char* p) noexcept {
  std::uint32_t head, tail;
  std::memcpy(&head, p, 4);
  std::memcpy(&tail, p + 2, 4);
  return (head & tail) == 0xffffffffu;
}
// 33:33:xx:xx:xx:xx, an IPv6 multicast group (RFC 2464 §7): which groups is the IPv6 layer's check.
SIPSHUNT_ALWAYS_INLINE bool mac_is_ipv6_multicast(const unsigned char* p) noexcept {
  return p[0] == 0x33 && p[1] == 0x33;
}
// A frame a worker takes: to the port's MAC, broadcast, or an IPv6 multicast group.
SIPSHUNT_ALWAYS_INLINE bool mac_accepted(const unsigned char* p, const net::MacAddress& ours) noexcept {
  return mac_is(p, ours) || mac_is_broadcast(p) || mac_is_ipv6_multicast(p);
}
SIPSHUNT_ALWAYS_INLINE void count_drop(WorkerCounters& c, Drop why, std::uint64_t n = 1) noexcept {
  bump(c.drops[static_cast<std::size_t>(why)], n);
}
// May we write into this received mbuf (replies in place, the proxy's output behind the input)?
// Not when a PMD hands out an indirect or shared buffer.
SIPSHUNT_ALWAYS_INLINE bool writable(const rte_mbuf* m) noexcept {
  return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1;
}

}  // namespace sipshunt::dataplane::detail

namespace sipshunt::dataplane {

// Queues a whole frame on `port`'s tx buffer (sent after the burst, or now when it is full).
// Inline: once per frame sent, and a call costs as much as the queueing.
SIPSHUNT_ALWAYS_INLINE void Worker::tx(std::uint16_t port, rte_mbuf* m) noexcept {
  TxBuffer& b = tx_[port];
  b.pkts[b.count++] = m;
  b.bytes += m->pkt_len;
  if (SIPSHUNT_UNLIKELY(b.count == kTxBuffer)) flush(port);
}

}  // namespace sipshunt::dataplane
