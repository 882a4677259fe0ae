// hot path
// One worker lcore: polls rx queue `index` of every port in bursts of 32, takes off an 802.1Q
// tag (in band or stripped by the device) to find the network a frame arrived on, handles ARP,
// IPv4 and IPv6 (reassembly), neighbour discovery, ICMP and ICMPv6 echo and UDP, hands SIP to
// proxy::process, and sends what it returns with fresh Ethernet/IP/UDP headers (fragmented above
// the MTU, tagged for a VLAN), holding packets whose next hop is still being resolved. Tx buffers
// are drained after every burst and on a ~100 us TSC timer.
// No lock, allocation, syscall or log line once run() has started.
// One class, its members defined in src/dataplane/ by job: loop.cpp (run, poll_once, timer, tx
// buffers, drain, scratch hand-off), ethernet.cpp (destination MAC, VLAN tag in and out, dispatch),
// arp.cpp, ipv4.cpp and ipv6.cpp (with reassembly), nd.cpp, icmp.cpp, sip.cpp (proxy hand-off,
// probe replies), mirror.cpp (HEP Tap), udp_send.hpp and udp_send.cpp (headers, fragmentation), neighbour.cpp (next-hop MAC, hold queue,
// events to the control lcore); see src/dataplane/README.md.
#pragma once

#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "sipshunt/common/address.hpp"
#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/dataplane/shared.hpp"
#include "sipshunt/net/frame_template.hpp"
#include "sipshunt/net/hold_queue.hpp"
#include "sipshunt/net/ipv6.hpp"
#include "sipshunt/net/neighbour_cache.hpp"
#include "sipshunt/proxy/datagram.hpp"
#include "sipshunt/rules/rules.hpp"

struct rte_mbuf;
struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

namespace sipshunt::proxy {
struct ThreadState;
struct Outcome;
}

namespace sipshunt::dataplane {

class Worker {
 public:
  static constexpr std::size_t kHoldCapacity = 1024;
  static constexpr std::uint16_t kTxBuffer = 64;

  // Control plane: allocates everything the loop needs. Throws std::runtime_error on failure.
  Worker(Shared& shared, std::uint32_t index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The lcore body: registers with RCU, loops until shared.quit, then stops reading, drains its
  // tx buffers, frees held packets and goes offline. Returns 0.
  int run() noexcept;
  // One loop iteration (run() and the tests call it).
  void poll_once() noexcept;
  // Sends what is buffered, frees what waits for ARP. Called at the end of run().
  void drain() noexcept;
  // Control plane: interrupts a system call the worker's thread may be blocked in (a PMD's
  // poll(), see net/port.cpp) with a signal whose handler does nothing, so a stop is never stuck.
  void interrupt() noexcept;

  [[nodiscard]] const WorkerCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] proxy::ThreadState& proxy_state() noexcept { return *proxy_; }
  [[nodiscard]] const proxy::ThreadState& proxy_state() const noexcept { return *proxy_; }
  [[nodiscard]] std::uint32_t index() const noexcept { return index_; }
  [[nodiscard]] std::size_t held() const noexcept { return hold_.size(); }

  // Rules scratch hand-off for a new rule set, without ever stopping the worker (control plane).
  // offer_scratch() leaves `s` (prepared for the current and the new rule set) for the worker,
  // which swaps it in at the top of its next loop iteration, right after loading the snapshot,
  // and leaves its old scratch behind; scratch_taken() says it has; take_retired_scratch() then
  // returns the old one for the control plane to free. Offer before storing the new snapshot:
  // a worker that sees the new snapshot is then bound to see the scratch too.
  void offer_scratch(std::unique_ptr<rules::Scratch> s) noexcept;
  [[nodiscard]] bool scratch_taken() const noexcept {
    return pending_scratch_.load(std::memory_order_acquire) == nullptr;
  }
  [[nodiscard]] std::unique_ptr<rules::Scratch> take_retired_scratch() noexcept;

 private:
  // loop.cpp
  void timer(std::uint64_t now) noexcept;
  void nap() noexcept;
  void drain_control_tx(std::uint64_t now) noexcept;
  void tx(std::uint16_t port, rte_mbuf* m) noexcept;
  void flush(std::uint16_t port) noexcept;
  void flush_all() noexcept;
  void drop(rte_mbuf* m, Drop why) noexcept;
  // ethernet.cpp: every received frame starts in handle(); transmit() sends a whole frame out
  // of `network` (its port, with its VLAN tag pushed).
  // The receive path takes the burst's snapshot and TSC from snap_ and last_tsc_ (set by
  // poll_once before it), not as arguments passed down through every layer.
  void handle(rte_mbuf* m, std::uint16_t port) noexcept;
  // Every frame handle() does not take on its short path (tagged, ARP, IPv6, not for us, runts).
  [[gnu::noinline]] void handle_frame(rte_mbuf* m, std::uint16_t port) noexcept;
  void transmit(std::uint16_t network, rte_mbuf* m) noexcept;
  // arp.cpp
  void handle_arp(rte_mbuf* m, std::uint16_t network) noexcept;
  // ipv4.cpp, ipv6.cpp
  void handle_ipv4(rte_mbuf* m, std::uint16_t network) noexcept;
  void handle_ipv6(rte_mbuf* m, std::uint16_t network) noexcept;
  // Is `a` the address of one of our networks (any network: SIP for any of our addresses is
  // accepted on any of them)? `network` is checked first.
  [[nodiscard]] bool is_ours(const IpAddress& a, std::uint16_t network) const noexcept;
  // nd.cpp: a neighbour solicitation or advertisement (RFC 4861) at l3 (the IPv6 header).
  void handle_nd(rte_mbuf* m, std::uint16_t network, unsigned char* l3, const net::Ipv6& ip) noexcept;
  // icmp.cpp
  void handle_icmp(rte_mbuf* m, std::uint16_t network, unsigned char* l3, std::uint8_t ihl, std::uint16_t total) noexcept;
  void handle_icmpv6_echo(rte_mbuf* m, std::uint16_t network, unsigned char* l3, std::uint16_t length) noexcept;
  // udp_in.hpp (inline, shared by ipv4.cpp and ipv6.cpp): the UDP datagram behind an IP header
  // of `family` and `l3_len` octets (its source address at the family's offset) with `l4_avail`
  // octets after it, arrived on `network` of port `pc`, checked and handed to handle_sip.
  void handle_udp(rte_mbuf* m, const unsigned char* l3, std::uint32_t l3_len, std::uint32_t l4_avail, Family family,
                  const PortContext& pc, std::uint16_t network) noexcept;
  // sip.cpp: a datagram from datagram_.source that arrived on `network`, in `m` (null: a copy, at `payload`).
  void handle_sip(rte_mbuf* m, const char* payload, std::uint32_t length, std::uint16_t network) noexcept;
  // mirror.cpp: hands the datagram that came in and, when the proxy sends one, the datagram
  // that goes out to this worker's HEP Tap when the call is sampled. Called only when mirroring is
  // on (mirror_taps_ set): the caller checks, so the usual datagram pays no call.
  // The datagram in is datagram_ (octets, source, clock); the one out, r's, at datagram_.out.
  void mirror(const proxy::Outcome& r, const proxy::Snapshot& snap) noexcept;
  // udp_send.cpp: sends `length` bytes of UDP payload at `payload` from our SIP port to `dst` by
  // `route` (its neighbour the next hop; the source is its network's SIP address, or its interface
  // address when `from` says so). `m` (may be null) is consumed: reused when `payload_in_m`
  // (net::kMaxUdpFrameOverhead bytes of headroom in front of payload).
  enum class From : std::uint8_t { kSipAddress, kInterfaceAddress };
  void send_udp(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, const Endpoint& dst,
                const net::NextHop& route, From from, std::uint64_t now) noexcept;
  // The same, routed here, from the interface address (health probes from the control lcore: their
  // answers must come back to this instance, not to a service address several instances share).
  void send_udp_routed(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, const Endpoint& dst,
                       std::uint64_t now) noexcept;
  // udp_send.hpp (inline, for handle_sip): the usual case of send_udp (from the SIP address, one
  // frame, next hop resolved), the headers from the network's template. False, `m` untouched, when
  // it does not apply: then send_udp.
  bool send_udp_templated(rte_mbuf* m, bool payload_in_m, char* payload, std::uint32_t length, const Endpoint& dst,
                          const net::NextHop& route) noexcept;
  // Rebuilds templates_ from shared_.networks (a new snapshot: networks are part
  // of the config); none (the general path) without a neighbour table or for an MTU below the headers.
  void build_templates(const proxy::Snapshot* snap) noexcept;
  // neighbour.cpp: send_frame fills the Ethernet addresses of an IP frame and queues it, or
  // holds it for resolution; service_hold retries what is held; post tells the control lcore.
  void send_frame(rte_mbuf* m, std::uint16_t network, const IpAddress& next_hop, std::uint64_t now) noexcept;
  void service_hold(std::uint64_t now) noexcept;
  void post(NeighbourEvent::Kind kind, std::uint16_t network, const IpAddress& ip, std::uint64_t mac) noexcept;
  std::uint16_t next_ip_id() noexcept {
    ip_id_ = static_cast<std::uint16_t>(ip_id_ + id_step_);
    return ip_id_;
  }
  std::uint32_t next_ipv6_id() noexcept {
    ipv6_id_ += id_step_;
    return ipv6_id_;
  }

  WorkerCounters counters_;  // first: its own cache lines
  Shared& shared_;
  std::uint32_t index_;
  std::unique_ptr<proxy::ThreadState> proxy_;
  struct SIPSHUNT_CACHE_ALIGNED TxBuffer {  // written per packet: lines of its own
    std::uint16_t count = 0;
    std::uint64_t bytes = 0;
    rte_mbuf* pkts[kTxBuffer];
  };
  std::unique_ptr<TxBuffer[]> tx_;
  net::HoldQueue<rte_mbuf*> hold_;
  rte_ip_frag_tbl* frag_table_ = nullptr;
  std::unique_ptr<rte_ip_frag_death_row> death_row_;
  // For datagrams that arrive in several segments (reassembled) or whose rewrite does not fit
  // behind them in their mbuf: a linear copy of the input and room for the output (with 64
  // bytes of headroom for the UDP header when fragmenting).
  std::unique_ptr<char[]> linear_in_;
  std::unique_ptr<char[]> linear_out_;
  // Per network: the headers of what we send from its SIP address (net/frame_template.hpp), and
  // the snapshot they were built for (rebuilt when a new one is seen).
  // Beside each template, what the templated send reads of its network and port, settled when the
  // templates are built (a port's offloads do not change while it runs), so the usual datagram
  // neither looks them up nor branches on them.
  struct TemplateUse {
    std::uint32_t max_length = 0;  // the largest payload that fits one frame (the network's MTU)
    std::uint16_t port = 0;
    std::uint16_t vlan = 0;        // the network's tag (in the template's bytes), for vlan_tci
    bool ipv4_checksum = false;    // the IPv4 header's checksum computed here, not by the device
    bool udp_offload = false;      // the device sums the datagram (the pseudo header's sum goes in)
    std::uint64_t ol_flags = 0;
    std::uint64_t tx_offload = 0;  // l2_len and l3_len
  };
  // Both in one entry of 128 octets: one base for the send, found by a shift.
  struct alignas(128) Template {
    net::FrameTemplate frame;
    TemplateUse use;
  };
  static_assert(sizeof(Template) == 128, "a template and its use fit one 128-octet entry");
  std::array<Template, kMaxNetworks> templates_{};
  const proxy::Snapshot* templates_for_ = nullptr;
  net::NeighbourCache neighbour_cache_;
  std::uint16_t ip_id_ = 0;
  std::uint32_t ipv6_id_ = 0;
  // shared_.workers, fixed before the workers are made: the ids step by it from the worker's index
  // (distinct per worker), read here without going through shared_ per datagram.
  std::uint32_t id_step_ = 1;
  std::uint64_t last_timer_ = 0;
  std::uint64_t last_tsc_ = 0;  // the TSC poll_once read for this burst
  const proxy::Snapshot* snap_ = nullptr;  // the snapshot poll_once loaded for this burst
  // shared_.mirror_taps as poll_once read it for this burst (null: mirroring off), and the
  // neighbour table the templates were built with (their sends read it): no load of shared_ first.
  mirror::Tap* const* mirror_taps_ = nullptr;
  const net::NeighbourTable* template_neighbours_ = nullptr;
  // What handle_sip hands to proxy::process: the source (set by handle_udp), the clock
  // (shared_.clock.ns(last_tsc_), set per burst by poll_once), the rest per datagram by handle_sip.
  proxy::Datagram datagram_;
  std::uint32_t empty_polls_ = 0;
  bool last_busy_ = false;
  bool online_ = false;
  std::atomic<bool> running_{false};
  pthread_t thread_{};
  std::atomic<rules::Scratch*> pending_scratch_{nullptr};  // control -> worker (owned by the worker
  rules::Scratch* retired_scratch_ = nullptr;             //   once taken); worker -> control
};

}  // namespace sipshunt::dataplane
