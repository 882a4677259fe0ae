// The worker loop driven by hand (poll_once) over a net_ring port built from two rte_rings: the
// test enqueues frames on the port's rx ring and reads what the worker transmitted from its tx
// ring. EAL runs with --no-huge and one lcore, so no hugepages and no worker threads are needed.
#include <gtest/gtest.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <vector>

#include "sipshunt/config/config.hpp"
#include "sipshunt/dataplane/shared.hpp"
#include "sipshunt/dataplane/worker.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/fragment.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/ipv6.hpp"
#include "sipshunt/net/port.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace sipshunt;
using namespace sipshunt::net;
using dataplane::Drop;

namespace {

constexpr std::uint32_t kOurIp = 0xc6120001;     // 198.18.0.1
constexpr std::uint32_t kClientIp = 0xc612000a;  // 198.18.0.10
constexpr std::uint32_t kVip = 0xc0000250;      // 192.0.2.80: a service address (use_service_address)
const MacAddress kClientMac = *MacAddress::parse("02:00:00:00:00:0a");
const MacAddress kB1Mac = *MacAddress::parse("02:00:00:00:00:15");
const MacAddress kB2Mac = *MacAddress::parse("02:00:00:00:00:16");

rte_mempool* g_pool = nullptr;

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const auto eal = init_eal({"dataplane_test", "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "--no-telemetry",
                               "-l", "0", "--log-level", "lib.*:error"});
    ASSERT_TRUE(eal) << eal.error().to_string();
    const auto pool = create_mbuf_pool("dp_test_pool", 8191);
    ASSERT_TRUE(pool) << pool.error().to_string();
    g_pool = *pool;
    ASSERT_NE(g_pool, nullptr);
  }
};
const auto* const g_env = ::testing::AddGlobalTestEnvironment(new EalEnvironment);

// Pool core of b1 and b2 at 198.18.0.21 and .22, not probed.
std::string config_text() {
  return test_support::ConfigFixture{.port = 5060,
                                     .pools = {{.name = "core",
                                                .backends = test_support::numbered_backends(2, "198.18.0.21"),
                                                .health = test_support::ConfigFixture::Health{.enabled = false}}}}
      .toml();
}

std::string invite(const std::string& call_id, std::size_t body = 0, int max_forwards = 70) {
  // append(), not operator+ chains: GCC 12 warns falsely (-Wrestrict) on those.
  std::string m = "INVITE sip:bob@198.18.0.1:5060 SIP/2.0\r\n";
  m.append("Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-").append(call_id).append("\r\n");
  m.append("From: <sip:alice@198.18.0.10>;tag=1\r\nTo: <sip:bob@198.18.0.1>\r\n");
  m.append("Call-ID: ").append(call_id).append("\r\nCSeq: 1 INVITE\r\n");
  m.append("Max-Forwards: ").append(std::to_string(max_forwards)).append("\r\n");
  m.append("Contact: <sip:alice@198.18.0.10:5060>\r\n");
  m.append("Content-Length: ").append(std::to_string(body)).append("\r\n\r\n").append(body, 'x');
  return m;
}

// A parsed transmitted frame.
struct Sent {
  std::vector<unsigned char> frame;
  MacAddress dst_mac, src_mac;
  std::uint16_t type = 0;
  Ipv4 ip{};
  std::uint16_t sport = 0, dport = 0;
  bool udp_ok = false;
  std::string payload;  // UDP payload (unfragmented only)
};

class Dataplane : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    const std::string name = "dp" + std::to_string(n++);
    rx_ = rte_ring_create((name + "rx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    tx_ = rte_ring_create((name + "tx").c_str(), 4096, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    ASSERT_TRUE(rx_ && tx_);
    const int id = rte_eth_from_rings(("net_ring_" + name).c_str(), &rx_, 1, &tx_, 1, 0);
    ASSERT_GE(id, 0);
    port_id_ = static_cast<std::uint16_t>(id);
    rte_eth_conf conf{};
    ASSERT_EQ(rte_eth_dev_configure(port_id_, 1, 1, &conf), 0);
    ASSERT_EQ(rte_eth_rx_queue_setup(port_id_, 0, 1024, 0, nullptr, g_pool), 0);
    ASSERT_EQ(rte_eth_tx_queue_setup(port_id_, 0, 1024, 0, nullptr), 0);
    ASSERT_EQ(rte_eth_dev_start(port_id_), 0);
    rte_ether_addr mac{};
    rte_eth_macaddr_get(port_id_, &mac);
    std::memcpy(our_mac_.bytes.data(), mac.addr_bytes, 6);

    shared_ = std::make_unique<dataplane::Shared>();
    auto& pc = shared_->ports[0];
    pc.id = port_id_;
    pc.mac = our_mac_;
    pc.link_count = 1;
    pc.links[0] = dataplane::PortLink{0, 0, dataplane::kNoNetwork};
    pc.settle();
    shared_->networks[0] = dataplane::NetworkContext{0, 0, IpAddress::v4(kOurIp), IpAddress::v4(kOurIp), 24, 1500};
    shared_->port_count = 1;
    shared_->network_count = 1;
    config::Network lan;
    lan.name = "lan";
    lan.address = IpAddress::v4(kOurIp);
    shared_->routes = *RouteTable::build({lan}, {});
    neighbours_ = std::make_unique<NeighbourTable>(256);
    shared_->neighbours = neighbours_.get();
    shared_->events = rte_ring_create_elem((name + "ev").c_str(), sizeof(dataplane::NeighbourEvent), 1024, 0, RING_F_SC_DEQ);
    shared_->control_tx = rte_ring_create((name + "ctl").c_str(), 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
    shared_->pool = g_pool;
    shared_->clock = TscClock::from_hz(rte_get_tsc_hz());
    shared_->drain_cycles = 0;  // the timer runs on every poll
    shared_->hold_cycles = shared_->clock.cycles(3'000'000'000);
    shared_->reassembly_cycles = shared_->clock.cycles(2'000'000'000);
    shared_->sip_port = 5060;

    auto loaded = config::load_string(config_text(), "/tmp/dp.toml");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    snapshot_ = proxy::build_snapshot(std::make_shared<const config::Config>(*loaded), nullptr, {}, 1);
    ASSERT_TRUE(snapshot_);
    shared_->snapshot.store(snapshot_.get());
    worker_ = std::make_unique<dataplane::Worker>(*shared_, 0);
  }

  void TearDown() override {
    worker_.reset();
    drain_tx();
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
    rte_ring_free(rx_);
    rte_ring_free(tx_);
    rte_ring_free(shared_->events);
    void* m;
    while (rte_ring_dequeue(shared_->control_tx, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
    rte_ring_free(shared_->control_tx);
  }

  void inject(const std::vector<unsigned char>& frame) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    ASSERT_NE(m, nullptr);
    char* d = rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size()));
    std::memcpy(d, frame.data(), frame.size());
    ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
  }

  // Ethernet + IPv4 (+ payload as given: UDP built by udp_frame or raw).
  std::vector<unsigned char> ip_frame(const std::vector<unsigned char>& l4, std::uint8_t proto, std::uint32_t src,
                                      std::uint32_t dst, std::uint16_t frag_offset = 0, bool more = false,
                                      std::uint16_t id = 7, const MacAddress* dst_mac = nullptr) {
    std::vector<unsigned char> f(kEthernetHeaderLen + kIpv4HeaderLen + l4.size());
    write_ethernet(f.data(), dst_mac ? *dst_mac : our_mac_, kClientMac, kEtherTypeIpv4);
    Ipv4Out h;
    h.src = IpAddress::v4(src);
    h.dst = IpAddress::v4(dst);
    h.protocol = proto;
    h.total_len = static_cast<std::uint16_t>(kIpv4HeaderLen + l4.size());
    h.id = id;
    h.fragment_offset = frag_offset;
    h.more_fragments = more;
    write_ipv4(f.data() + kEthernetHeaderLen, h);
    std::memcpy(f.data() + kEthernetHeaderLen + kIpv4HeaderLen, l4.data(), l4.size());
    return f;
  }

  std::vector<unsigned char> udp(const std::string& payload, std::uint16_t dport = 5060, bool good_checksum = true,
                                 std::uint32_t src = kClientIp) {
    std::vector<unsigned char> u(kUdpHeaderLen + payload.size());
    write_udp(u.data(), 5060, dport, static_cast<std::uint16_t>(u.size()));
    std::memcpy(u.data() + kUdpHeaderLen, payload.data(), payload.size());
    unsigned char s[4], d[4];
    store_be32(s, src);
    store_be32(d, kOurIp);
    std::uint16_t c = udp_checksum(s, d, u.data(), u.size());
    if (!good_checksum) c ^= 0x0101;
    std::memcpy(u.data() + 6, &c, 2);
    return u;
  }

  std::vector<unsigned char> sip_frame(const std::string& payload, std::uint16_t dport = 5060, bool good = true) {
    return ip_frame(udp(payload, dport, good), kIpProtoUdp, kClientIp, kOurIp);
  }

  std::vector<Sent> sent() {
    std::vector<Sent> out;
    void* obj;
    while (rte_ring_dequeue(tx_, &obj) == 0) {
      auto* m = static_cast<rte_mbuf*>(obj);
      Sent s;
      s.frame.resize(m->pkt_len);
      rte_pktmbuf_read(m, 0, m->pkt_len, s.frame.data());
      std::memcpy(s.frame.data(), rte_pktmbuf_read(m, 0, m->pkt_len, s.frame.data()), m->pkt_len);
      rte_pktmbuf_free(m);
      std::memcpy(s.dst_mac.bytes.data(), s.frame.data(), 6);
      std::memcpy(s.src_mac.bytes.data(), s.frame.data() + 6, 6);
      s.type = load_be16(s.frame.data() + 12);
      if (s.type == kEtherTypeIpv4) {
        EXPECT_EQ(parse_ipv4(s.frame.data() + 14, s.frame.size() - 14, true, s.ip), Ipv4Check::kOk);
        const unsigned char* l4 = s.frame.data() + 14 + s.ip.header_len;
        if (s.ip.protocol == kIpProtoUdp && !s.ip.is_fragment()) {
          s.sport = load_be16(l4);
          s.dport = load_be16(l4 + 2);
          const std::uint16_t ulen = load_be16(l4 + 4);
          s.udp_ok = ulen + s.ip.header_len == s.ip.total_len &&
                     udp_checksum_ok(s.frame.data() + 26, s.frame.data() + 30, l4, ulen) && (l4[6] | l4[7]) != 0;
          s.payload.assign(reinterpret_cast<const char*>(l4) + 8, ulen - 8u);
        }
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  void drain_tx() { (void)sent(); }

  std::vector<dataplane::NeighbourEvent> events() {
    std::vector<dataplane::NeighbourEvent> v;
    dataplane::NeighbourEvent e;
    while (rte_ring_dequeue_elem(shared_->events, &e, sizeof e) == 0) v.push_back(e);
    return v;
  }

  std::uint64_t drops(Drop d) const { return worker_->counters().drops[static_cast<std::size_t>(d)]; }
  // A datagram from the control lcore (a health probe) to `to`:5060, as runtime/transmit.cpp queues it.
  bool enqueue_control_udp(const std::string& payload, const IpAddress& to) {
    rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
    if (m == nullptr) return false;
    std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(payload.size())), payload.data(), payload.size());
    dataplane::ControlTxMeta meta;
    meta.kind = dataplane::ControlTxMeta::Kind::kUdp;
    meta.dst_ip = to;
    meta.dst_port = 5060;
    std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
    return rte_ring_enqueue(shared_->control_tx, m) == 0;
  }
  // Network 0 gets the service address kVip (README "Running several instances"), in Shared and
  // in a newly published snapshot, as a restart with that config would give it.
  void use_service_address() {
    shared_->networks[0].sip_address = IpAddress::v4(kVip);
    auto loaded = config::load_string(config_text() + R"(
[[dpdk.ports]]
name = "lan"
device = "net_ring0"
address = "198.18.0.1"
service_address = "192.0.2.80"
)",
                                      "/tmp/dp.toml");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    snapshot_ = proxy::build_snapshot(std::make_shared<const config::Config>(*loaded), nullptr, {}, 2);
    shared_->snapshot.store(snapshot_.get());
  }

  void resolve_backends() {
    neighbours_->confirm(0, IpAddress::v4(0xc6120015), kB1Mac, 0);
    neighbours_->confirm(0, IpAddress::v4(0xc6120016), kB2Mac, 0);
  }

  rte_ring* rx_ = nullptr;
  rte_ring* tx_ = nullptr;
  std::uint16_t port_id_ = 0;
  MacAddress our_mac_;
  std::unique_ptr<dataplane::Shared> shared_;
  std::unique_ptr<NeighbourTable> neighbours_;
  std::shared_ptr<const proxy::Snapshot> snapshot_;
  std::unique_ptr<dataplane::Worker> worker_;
};

TEST_F(Dataplane, ArpRequestForUsIsAnsweredAndTheSenderLearned) {
  std::vector<unsigned char> f(60, 0);
  build_arp_request(f.data(), kClientMac, IpAddress::v4(kClientIp), IpAddress::v4(kOurIp));
  inject(f);
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, kEtherTypeArp);
  EXPECT_EQ(out[0].dst_mac, kClientMac);
  Arp a;
  ASSERT_TRUE(parse_arp(out[0].frame.data() + 14, out[0].frame.size() - 14, a));
  EXPECT_EQ(a.op, kArpReply);
  EXPECT_EQ(a.sender_ip, IpAddress::v4(kOurIp));
  EXPECT_EQ(a.sender_mac, our_mac_);
  EXPECT_EQ(a.target_ip, IpAddress::v4(kClientIp));
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, dataplane::NeighbourEvent::Kind::kLearn);
  EXPECT_EQ(ev[0].ip, IpAddress::v4(kClientIp));
  EXPECT_EQ(MacAddress::from_u64(ev[0].mac), kClientMac);
  EXPECT_EQ(worker_->counters().arp_replies, 1u);
}

TEST_F(Dataplane, ArpForAnotherAddressIsOnlyCounted) {
  std::vector<unsigned char> f(60, 0);
  build_arp_request(f.data(), kClientMac, IpAddress::v4(kClientIp), IpAddress::v4(0xc6120063));
  inject(f);
  worker_->poll_once();
  EXPECT_TRUE(sent().empty());
  EXPECT_TRUE(events().empty());
  EXPECT_EQ(drops(Drop::kArpNotForUs), 1u);
}

TEST_F(Dataplane, IcmpEchoIsAnswered) {
  std::vector<unsigned char> icmp = {8, 0, 0, 0, 0, 1, 0, 2, 'h', 'i'};
  const std::uint16_t c = checksum_fold(checksum_add(icmp.data(), icmp.size()));
  std::memcpy(icmp.data() + 2, &c, 2);
  inject(ip_frame(icmp, kIpProtoIcmp, kClientIp, kOurIp));
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst_mac, kClientMac);
  EXPECT_EQ(out[0].ip.src.v4_host_order(), kOurIp);
  EXPECT_EQ(out[0].ip.dst.v4_host_order(), kClientIp);
  EXPECT_EQ(out[0].frame[34], 0);  // echo reply
  EXPECT_EQ(checksum_fold(checksum_add(out[0].frame.data() + 34, icmp.size())), 0);
  EXPECT_EQ(worker_->counters().icmp_echo_replies, 1u);
}

TEST_F(Dataplane, InviteWaitsForArpThenGoesToABackendWithFreshHeaders) {
  inject(sip_frame(invite("call-1@x")));
  worker_->poll_once();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(worker_->held(), 1u);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, dataplane::NeighbourEvent::Kind::kDemand);
  const std::uint32_t backend = ev[0].ip.v4_host_order();
  EXPECT_TRUE(backend == 0xc6120015 || backend == 0xc6120016);
  resolve_backends();
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  const Sent& s = out[0];
  EXPECT_EQ(s.dst_mac, backend == 0xc6120015 ? kB1Mac : kB2Mac);
  EXPECT_EQ(s.src_mac, our_mac_);
  EXPECT_EQ(s.ip.src.v4_host_order(), kOurIp);
  EXPECT_EQ(s.ip.dst.v4_host_order(), backend);
  EXPECT_EQ(s.sport, 5060);
  EXPECT_EQ(s.dport, 5060);
  EXPECT_TRUE(s.udp_ok);
  EXPECT_EQ(s.payload.rfind("INVITE sip:bob@198.18.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=", 0), 0u)
      << s.payload;
  EXPECT_NE(s.payload.find("Max-Forwards: 69"), std::string::npos);
  EXPECT_EQ(worker_->counters().sip_forwarded, 1u);
  EXPECT_EQ(worker_->counters().released, 1u);
  EXPECT_EQ(worker_->held(), 0u);
}

TEST_F(Dataplane, SameCallIdSameBackend) {
  resolve_backends();
  std::map<std::string, std::uint32_t> first;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 40; ++i) {
      std::string cid = "call-";
      cid.append(std::to_string(i));
      inject(sip_frame(invite(cid)));
    }
    worker_->poll_once();
    worker_->poll_once();
    auto out = sent();
    ASSERT_EQ(out.size(), 40u);
    for (const auto& s : out) {
      const auto cid_at = s.payload.find("Call-ID: ");
      const std::string cid = s.payload.substr(cid_at + 9, s.payload.find('\r', cid_at) - cid_at - 9);
      if (round == 0) {
        first[cid] = s.ip.dst.v4_host_order();
      } else {
        EXPECT_EQ(first[cid], s.ip.dst.v4_host_order()) << cid;
      }
    }
  }
  std::set<std::uint32_t> used;
  for (auto& [cid, b] : first) used.insert(b);
  EXPECT_EQ(used.size(), 2u);  // 40 Call-IDs over two backends: both get some
}

// The headers of what we forward come from a per-network template and a per-worker memo of the
// neighbour table (src/dataplane/README.md): a next hop that moves to another MAC, and a network
// whose SIP address changes with a new snapshot, are both seen by the next datagram.
TEST_F(Dataplane, ForwardedHeadersFollowANeighbourMoveAndANewSnapshot) {
  resolve_backends();
  const auto forward_one = [&](const std::string& cid) {
    inject(sip_frame(invite(cid)));
    worker_->poll_once();
    auto out = sent();
    EXPECT_EQ(out.size(), 1u);
    return out.empty() ? Sent{} : out[0];
  };
  const Sent first = forward_one("move-1@x");
  ASSERT_TRUE(first.udp_ok);
  const bool to_b1 = first.ip.dst == IpAddress::v4(0xc6120015);
  EXPECT_EQ(first.dst_mac, to_b1 ? kB1Mac : kB2Mac);
  const MacAddress moved{{0x02, 0, 0, 0, 0x77, 0x77}};
  neighbours_->confirm(0, first.ip.dst, moved, 1);
  const Sent second = forward_one("move-1@x");  // same Call-ID: same backend
  EXPECT_EQ(second.ip.dst, first.ip.dst);
  EXPECT_EQ(second.dst_mac, moved);
  EXPECT_TRUE(second.udp_ok);

  use_service_address();
  const Sent third = forward_one("move-2@x");
  EXPECT_EQ(third.ip.src, IpAddress::v4(kVip));
  EXPECT_TRUE(third.udp_ok);
}

// One SIP datagram in kProcessingSampleEvery is timed into the processing histogram: the 1st,
// the 1025th, the 2049th.
TEST_F(Dataplane, ProcessingTimeIsSampledOneDatagramIn1024) {
  resolve_backends();
  int injected = 0;
  while (injected < 2050) {
    for (int i = 0; i < 50; ++i, ++injected) inject(sip_frame(invite("sampled-" + std::to_string(injected))));
    worker_->poll_once();
    worker_->poll_once();
    (void)sent();
  }
  const dataplane::WorkerCounters& c = worker_->counters();
  ASSERT_EQ(c.sip_in, 2050u);
  std::uint64_t timed = 0;
  for (std::uint64_t n : c.processing.counts) timed += n;
  EXPECT_EQ(timed, 3u);
  EXPECT_GT(c.processing.sum_ns, 0u);
  EXPECT_LT(c.processing.sum_ns, 3'000'000'000u);  // three datagrams, well under a second each
}

TEST_F(Dataplane, StatelessReplyGoesBackToTheSource) {
  resolve_backends();
  neighbours_->confirm(0, IpAddress::v4(kClientIp), kClientMac, 0);
  inject(sip_frame(invite("mf0", 0, 0)));  // Max-Forwards: 0 -> 483
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ip.dst.v4_host_order(), kClientIp);
  EXPECT_EQ(out[0].dst_mac, kClientMac);
  EXPECT_TRUE(out[0].udp_ok);
  EXPECT_EQ(out[0].payload.rfind("SIP/2.0 483", 0), 0u) << out[0].payload;
  EXPECT_EQ(worker_->counters().sip_replied, 1u);
}

TEST_F(Dataplane, EveryBadPacketIsDroppedAndCountedOnce) {
  resolve_backends();
  inject(sip_frame(invite("bad-sum"), 5060, false));
  inject(sip_frame(invite("closed"), 5070));
  const MacAddress other = *MacAddress::parse("02:00:00:00:00:99");
  inject(ip_frame(udp(invite("mac")), kIpProtoUdp, kClientIp, kOurIp, 0, false, 7, &other));
  inject(ip_frame(udp(invite("addr")), kIpProtoUdp, kClientIp, 0xc6120002));
  inject(ip_frame({1, 2, 3, 4}, 6, kClientIp, kOurIp));  // TCP
  auto bad_ip = sip_frame(invite("ipsum"));
  bad_ip[14 + 8] ^= 1;  // TTL changed, header checksum stale
  inject(bad_ip);
  std::vector<unsigned char> ipv6(60, 0);
  write_ethernet(ipv6.data(), our_mac_, kClientMac, kEtherTypeIpv6);
  inject(ipv6);  // this port has no IPv6 network
  std::vector<unsigned char> lldp(60, 0);
  write_ethernet(lldp.data(), our_mac_, kClientMac, 0x88cc);
  inject(lldp);
  inject({1, 2, 3});  // runt
  auto short_udp = sip_frame(invite("len"));
  store_be16(short_udp.data() + 34 + 4, 4);  // UDP length below its header
  inject(short_udp);
  inject(sip_frame("garbage that is not SIP"));
  worker_->poll_once();
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(drops(Drop::kBadUdpChecksum), 1u);
  EXPECT_EQ(drops(Drop::kClosedPort), 1u);
  EXPECT_EQ(drops(Drop::kNotForUs), 1u);
  EXPECT_EQ(drops(Drop::kNotOurAddress), 1u);
  EXPECT_EQ(drops(Drop::kUnsupportedProtocol), 1u);
  EXPECT_EQ(drops(Drop::kBadIpv4Checksum), 1u);
  EXPECT_EQ(drops(Drop::kUnsupportedEtherType), 1u);
  EXPECT_EQ(drops(Drop::kNoNetwork), 1u);
  EXPECT_EQ(drops(Drop::kRunt), 1u);
  EXPECT_EQ(drops(Drop::kBadUdp), 1u);
  EXPECT_EQ(worker_->counters().sip_in, 1u);
  EXPECT_EQ(worker_->counters().sip_dropped, 1u);
  EXPECT_EQ(worker_->counters().ports[0].rx_packets, 11u);
}

// A datagram above the MTU, fragmented by the test, reassembled by the worker (rte_ip_frag),
// forwarded and fragmented again on the way out; the test reassembles that and compares.
TEST_F(Dataplane, FragmentsInReassembledFragmentsOutIntact) {
  resolve_backends();
  const std::string msg = invite("big@x", 3500);
  const auto whole = udp(msg);
  const FragmentPlan plan = plan_fragments(whole.size(), 1500);
  ASSERT_EQ(plan.count, 3u);
  std::vector<std::vector<unsigned char>> frags;
  for (std::uint32_t i = 0; i < plan.count; ++i) {
    const auto s = plan.slice(i);
    std::vector<unsigned char> part(whole.begin() + s.offset, whole.begin() + s.offset + s.length);
    frags.push_back(ip_frame(part, kIpProtoUdp, kClientIp, kOurIp, static_cast<std::uint16_t>(s.offset), s.more, 4242));
  }
  inject(frags[2]);  // out of order
  inject(frags[0]);
  inject(frags[1]);
  worker_->poll_once();
  worker_->poll_once();
  auto out = sent();
  EXPECT_EQ(worker_->counters().fragments_in, 3u);
  EXPECT_EQ(worker_->counters().reassembled, 1u);
  ASSERT_GE(out.size(), 3u);
  EXPECT_EQ(worker_->counters().fragments_out, out.size());
  // Reassemble what the worker sent.
  std::vector<unsigned char> udp_out;
  std::uint16_t id = out[0].ip.id;
  std::sort(out.begin(), out.end(), [](const Sent& a, const Sent& b) { return a.ip.fragment_offset < b.ip.fragment_offset; });
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].ip.id, id);
    EXPECT_EQ(out[i].ip.fragment_offset, udp_out.size());
    EXPECT_EQ(out[i].ip.more_fragments, i + 1 < out.size());
    EXPECT_LE(out[i].frame.size(), 1514u);
    udp_out.insert(udp_out.end(), out[i].frame.begin() + 34, out[i].frame.begin() + 14 + out[i].ip.total_len);
  }
  unsigned char s[4], d[4];
  store_be32(s, kOurIp);
  store_be32(d, out[0].ip.dst.v4_host_order());
  EXPECT_TRUE(udp_checksum_ok(s, d, udp_out.data(), udp_out.size()));
  const std::string payload(udp_out.begin() + 8, udp_out.end());
  EXPECT_NE(payload.find(std::string(3500, 'x')), std::string::npos);
  EXPECT_EQ(payload.rfind("INVITE ", 0), 0u);
}

// The usual datagram's headers come from the network's template, which the worker takes only
// when the datagram fits one frame (the MTU less the IPv4 and UDP headers): a forward that fills
// the MTU to the octet leaves in one frame, one octet more leaves in fragments.
TEST_F(Dataplane, AForwardFillingTheMtuGoesInOneFrameOneOctetMoreInFragments) {
  resolve_backends();
  inject(sip_frame(invite("mtu-a@x", 1000)));
  worker_->poll_once();
  auto probe = sent();
  ASSERT_EQ(probe.size(), 1u);
  // The rewrite adds the same octets to each of these INVITEs (Call-IDs of one length).
  const std::size_t fill = 1000 + (1500 - kIpv4HeaderLen - kUdpHeaderLen) - probe[0].payload.size();
  inject(sip_frame(invite("mtu-b@x", fill)));
  worker_->poll_once();
  auto one = sent();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].payload.size(), 1472u);
  EXPECT_EQ(one[0].frame.size(), 1514u);
  EXPECT_TRUE(one[0].udp_ok);
  EXPECT_EQ(worker_->counters().fragments_out, 0u);
  inject(sip_frame(invite("mtu-c@x", fill + 1)));
  worker_->poll_once();
  auto two = sent();
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(worker_->counters().fragments_out, 2u);
  for (const auto& f : two) EXPECT_LE(f.frame.size(), 1514u);
}

TEST_F(Dataplane, HoldQueueOverflowIsCounted) {
  const std::size_t n = dataplane::Worker::kHoldCapacity + 40;
  for (std::size_t sent_count = 0; sent_count < n;) {
    for (int i = 0; i < 32 && sent_count < n; ++i, ++sent_count) {
      std::string cid = "h";
      cid.append(std::to_string(sent_count));
      inject(sip_frame(invite(cid)));
    }
    worker_->poll_once();
  }
  EXPECT_EQ(worker_->held(), dataplane::Worker::kHoldCapacity);
  EXPECT_EQ(drops(Drop::kHoldOverflow), 40u);
  EXPECT_EQ(worker_->counters().held, dataplane::Worker::kHoldCapacity);
  // One demand per next hop, not per packet.
  EXPECT_LE(events().size(), 2u);
}

TEST_F(Dataplane, UnresolvedNextHopTimesOut) {
  shared_->hold_cycles = 1;
  inject(sip_frame(invite("t")));
  worker_->poll_once();
  worker_->poll_once();
  EXPECT_EQ(worker_->held(), 0u);
  EXPECT_EQ(drops(Drop::kNeighbourTimeout), 1u);
}

TEST_F(Dataplane, ControlLcoreDatagramsLeaveThroughWorkerZero) {
  neighbours_->confirm(0, IpAddress::v4(0xc6120015), kB1Mac, 0);
  const std::string probe = "OPTIONS sip:198.18.0.21:5060 SIP/2.0\r\n\r\n";
  ASSERT_TRUE(enqueue_control_udp(probe, IpAddress::v4(0xc6120015)));
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst_mac, kB1Mac);
  EXPECT_EQ(out[0].ip.dst.v4_host_order(), 0xc6120015u);
  EXPECT_EQ(out[0].sport, 5060);
  EXPECT_TRUE(out[0].udp_ok);
  EXPECT_EQ(out[0].payload, probe);
  EXPECT_EQ(worker_->counters().control_tx, 1u);
}

TEST_F(Dataplane, AReceivedBufferSharedWithSomeoneElseIsNeverWritten) {
  resolve_backends();
  const auto frame = sip_frame(invite("shared@x"));
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(frame.size())), frame.data(), frame.size());
  rte_mbuf_refcnt_update(m, 1);  // a second owner (as a PMD with shared buffers would have)
  std::vector<unsigned char> before(rte_pktmbuf_mtod(m, unsigned char*),
                                    rte_pktmbuf_mtod(m, unsigned char*) + m->buf_len - m->data_off);
  ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].udp_ok);
  EXPECT_NE(out[0].payload.find("Call-ID: shared@x"), std::string::npos);
  EXPECT_EQ(rte_mbuf_refcnt_read(m), 1u);  // the worker released only its own reference
  EXPECT_TRUE(std::equal(before.begin(), before.end(), rte_pktmbuf_mtod(m, unsigned char*)));
  rte_pktmbuf_free(m);
}

TEST_F(Dataplane, AdaptivePollingNapsOnlyWhenIdle) {
  resolve_backends();
  shared_->idle_sleep_ns = 1000;
  shared_->idle_polls = 3;
  for (int i = 0; i < 7; ++i) worker_->poll_once();
  EXPECT_EQ(worker_->counters().naps, 2u);  // after the 3rd and the 6th empty poll
  for (int i = 0; i < 10; ++i) {
    inject(sip_frame(invite("busy" + std::to_string(i))));
    worker_->poll_once();
  }
  EXPECT_EQ(worker_->counters().naps, 2u);  // packets every poll: never
  EXPECT_EQ(sent().size(), 10u);
}

// A new rule set reaches a running worker without stopping it: the control plane offers a
// scratch prepared for the old and the new rules before storing the new snapshot, and the
// worker swaps it in right after its next snapshot load, between two datagrams.
TEST_F(Dataplane, NewRuleSetScratchIsSwappedInBetweenDatagrams) {
  const std::vector<std::string> pools{"core"};
  const auto compile = [&](std::string_view text) {
    const test_support::TempDir dir;
    const std::vector<std::filesystem::path> files{dir.write("main.rules", text)};
    auto r = rules::RuleSet::compile(files, pools);
    EXPECT_TRUE(r) << (r ? std::string() : r.error().to_string());
    return r ? *r : nullptr;
  };
  std::string many_rules;
  for (int i = 0; i < 99; ++i) {
    const std::string n = std::to_string(i);
    many_rules.append("rule ua").append(n).append(": header User-Agent ~ /agent-").append(n).append("\\b/i => drop\n");
  }
  many_rules.append("rule deny: method INVITE and ruri ~ /^sip:bob@/ => reply 403 \"Nope\"\n");
  const auto one = compile("rule scanners: header User-Agent ~ /scanner/i => drop\nrule rest: any => pool core\n");
  const auto many = compile(many_rules);
  ASSERT_TRUE(one && many);
  const auto with = [&](std::shared_ptr<const rules::RuleSet> set, std::uint64_t version) {
    return proxy::build_snapshot(snapshot_->config, std::move(set), {}, version);
  };
  const auto rules_errors = [&] {
    return worker_->proxy_state().counters.by_reason[static_cast<std::size_t>(proxy::Reason::kRulesError)];
  };
  resolve_backends();
  neighbours_->confirm(0, IpAddress::v4(kClientIp), kClientMac, 0);

  auto s1 = with(one, 2);
  ASSERT_TRUE(worker_->proxy_state().scratch.prepare(*one));
  shared_->snapshot.store(s1.get());
  inject(sip_frame(invite("r1")));
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ip.dst.v4_host_order() & 0xffffff00u, 0xc6120000u) << "forwarded to a backend under the first rule set";

  // The worker's own scratch does not fit the larger rule set: that is why it needs the hand-off.
  auto s2 = with(many, 3);
  shared_->snapshot.store(s2.get());
  inject(sip_frame(invite("r2")));
  worker_->poll_once();
  EXPECT_EQ(rules_errors(), 1u);
  EXPECT_TRUE(sent().empty());

  auto fresh = std::make_unique<rules::Scratch>();
  ASSERT_TRUE(fresh->prepare(*one) && fresh->prepare(*many));
  worker_->offer_scratch(std::move(fresh));
  EXPECT_FALSE(worker_->scratch_taken());
  EXPECT_EQ(worker_->take_retired_scratch(), nullptr) << "nothing to hand back before the swap";
  inject(sip_frame(invite("r3")));
  worker_->poll_once();
  EXPECT_TRUE(worker_->scratch_taken());
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.rfind("SIP/2.0 403 Nope", 0), 0u) << out[0].payload;
  EXPECT_EQ(rules_errors(), 1u) << "the new scratch serves the new rules";
  EXPECT_NE(worker_->take_retired_scratch(), nullptr) << "the old scratch comes back to the control plane";
  EXPECT_EQ(worker_->take_retired_scratch(), nullptr);

  // The new scratch also fits the previous rule set (a worker may still hold it for a moment).
  shared_->snapshot.store(s1.get());
  inject(sip_frame(invite("r4")));
  worker_->poll_once();
  EXPECT_EQ(sent().size(), 1u);
  EXPECT_EQ(rules_errors(), 1u);
  shared_->snapshot.store(snapshot_.get());
}

TEST_F(Dataplane, NoSnapshotNoForwarding) {
  shared_->snapshot.store(nullptr);
  inject(sip_frame(invite("n")));
  worker_->poll_once();
  EXPECT_EQ(drops(Drop::kNoSnapshot), 1u);
}

// A service address (README "Running several instances"): SIP to it is taken and what the proxy
// sends leaves from it with it in Via; ARP for it is not answered (routers reach it through the
// interface address) and health probes leave from the interface address.
TEST_F(Dataplane, ServiceAddressCarriesSipAndTheInterfaceAddressTheRest) {
  use_service_address();
  resolve_backends();

  std::vector<unsigned char> u(kUdpHeaderLen);
  const std::string payload = invite("vip-1@x");
  write_udp(u.data(), 5060, 5060, static_cast<std::uint16_t>(kUdpHeaderLen + payload.size()));
  u.insert(u.end(), payload.begin(), payload.end());
  unsigned char src[4], dst[4];
  store_be32(src, kClientIp);
  store_be32(dst, kVip);
  const std::uint16_t c = udp_checksum(src, dst, u.data(), u.size());
  std::memcpy(u.data() + 6, &c, 2);
  inject(ip_frame(u, kIpProtoUdp, kClientIp, kVip));
  std::vector<unsigned char> arp(60, 0);
  build_arp_request(arp.data(), kClientMac, IpAddress::v4(kClientIp), IpAddress::v4(kVip));
  inject(arp);
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);  // the INVITE forwarded, the ARP request not answered
  EXPECT_EQ(out[0].ip.src, IpAddress::v4(kVip));
  EXPECT_TRUE(out[0].udp_ok);
  EXPECT_NE(out[0].payload.find("\r\nVia: SIP/2.0/UDP 192.0.2.80:5060;branch="), std::string::npos) << out[0].payload;
  EXPECT_EQ(drops(Drop::kArpNotForUs), 1u);

  const std::string probe = "OPTIONS sip:198.18.0.21:5060 SIP/2.0\r\n\r\n";
  ASSERT_TRUE(enqueue_control_udp(probe, IpAddress::v4(0xc6120015)));
  worker_->poll_once();
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ip.src, IpAddress::v4(kOurIp));
  EXPECT_TRUE(out[0].udp_ok);
}

}  // namespace

// ---- IPv6 and 802.1Q: the fixture's port gets an untagged IPv6 network (2001:db8::1/64,
// network 1) and an IPv4 network on VLAN 100 (198.19.0.1/24, network 2).
namespace {

const IpAddress kOur6 = *IpAddress::parse("2001:db8::1");
const IpAddress kClient6 = *IpAddress::parse("2001:db8::a");

class DataplaneNetworks : public Dataplane {
 protected:
  void SetUp() override {
    Dataplane::SetUp();
    auto& pc = shared_->ports[0];
    pc.links[0].v6 = 1;
    pc.links[1] = dataplane::PortLink{100, 2, dataplane::kNoNetwork};
    pc.link_count = 2;
    pc.settle();
    shared_->networks[1] = dataplane::NetworkContext{0, 0, kOur6, kOur6, 64, 1500};
    shared_->networks[2] = dataplane::NetworkContext{0, 100, IpAddress::v4(0xc6130001), IpAddress::v4(0xc6130001), 24, 1500};
    shared_->network_count = 3;
    config::Network lan;
    lan.name = "lan";
    lan.address = IpAddress::v4(kOurIp);
    config::Network lan6{"lan6", 0, 0, kOur6, 64, std::nullopt, std::nullopt};
    config::Network farm{"farm", 0, 100, IpAddress::v4(0xc6130001), 24, std::nullopt, std::nullopt};
    shared_->routes = *RouteTable::build({lan, lan6, farm}, {});
    // The proxy picks the egress network from the same networks (its snapshot's route table).
    auto loaded = config::load_string(config_text() + R"(
[[dpdk.ports]]
name = "lan"
device = "net_ring0"
address = "198.18.0.1"
[[dpdk.ports.networks]]
name = "lan6"
address = "2001:db8::1"
[[dpdk.ports.networks]]
name = "farm"
vlan = 100
address = "198.19.0.1"
)",
                                      "/tmp/dp.toml");
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    snapshot_ = proxy::build_snapshot(std::make_shared<const config::Config>(*loaded), nullptr, {}, 2);
    ASSERT_TRUE(snapshot_);
    shared_->snapshot.store(snapshot_.get());
  }

  // Ethernet + IPv6 + `l4` (checksummed by the caller), from the client to `dst`.
  std::vector<unsigned char> ip6_frame(const std::vector<unsigned char>& l4, std::uint8_t next, const IpAddress& dst,
                                       const MacAddress& dst_mac, std::uint8_t hop_limit = 64) {
    std::vector<unsigned char> f(kEthernetHeaderLen + kIpv6HeaderLen + l4.size());
    write_ethernet(f.data(), dst_mac, kClientMac, kEtherTypeIpv6);
    Ipv6Out h;
    h.src = kClient6;
    h.dst = dst;
    h.payload_len = static_cast<std::uint16_t>(l4.size());
    h.next_header = next;
    h.hop_limit = hop_limit;
    write_ipv6(f.data() + kEthernetHeaderLen, h);
    std::memcpy(f.data() + kEthernetHeaderLen + kIpv6HeaderLen, l4.data(), l4.size());
    return f;
  }
  std::vector<unsigned char> udp6(const std::string& payload) {
    std::vector<unsigned char> u(kUdpHeaderLen + payload.size());
    write_udp(u.data(), 5060, 5060, static_cast<std::uint16_t>(u.size()));
    std::memcpy(u.data() + kUdpHeaderLen, payload.data(), payload.size());
    const std::uint16_t c = udp6_checksum(kClient6.bytes.data(), kOur6.bytes.data(), u.data(), u.size());
    std::memcpy(u.data() + 6, &c, 2);
    return u;
  }
  // Inserts an 802.1Q tag for `vlan` into an untagged frame.
  static std::vector<unsigned char> tagged(std::vector<unsigned char> f, std::uint16_t vlan,
                                           std::uint16_t tpid = kEtherTypeVlan) {
    unsigned char tag[4];
    store_be16(tag, tpid);
    store_be16(tag + 2, vlan);
    f.insert(f.begin() + 12, tag, tag + 4);
    return f;
  }
};

}  // namespace

TEST_F(DataplaneNetworks, SolicitationForOurIpv6AddressIsAnsweredAndTheSenderLearned) {
  std::vector<unsigned char> ns(kNdFrameLen);
  build_neighbour_solicitation(ns.data(), kClientMac, kClient6, kOur6);
  EXPECT_EQ(load_be16(ns.data()), 0x3333);  // to our solicited-node group's MAC
  inject(ns);
  std::vector<unsigned char> other(kNdFrameLen);
  build_neighbour_solicitation(other.data(), kClientMac, kClient6, *IpAddress::parse("2001:db8::2"));
  inject(other);
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst_mac, kClientMac);
  EXPECT_EQ(out[0].src_mac, our_mac_);
  Ipv6 ip;
  ASSERT_EQ(parse_ipv6(out[0].frame.data() + 14, out[0].frame.size() - 14, ip), Ipv6Check::kOk);
  EXPECT_EQ(ip.src, kOur6);
  EXPECT_EQ(ip.dst, kClient6);
  NeighbourMessage nd;
  ASSERT_TRUE(parse_neighbour_message(ip, out[0].frame.data() + 54, ip.payload_len, nd));
  EXPECT_EQ(nd.type, kIcmpv6NeighbourAdvertisement);
  EXPECT_EQ(nd.target, kOur6);
  EXPECT_TRUE(nd.solicited);
  EXPECT_EQ(nd.link_layer, our_mac_);
  const auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, dataplane::NeighbourEvent::Kind::kLearn);
  EXPECT_EQ(ev[0].network, 1);
  EXPECT_EQ(ev[0].ip, kClient6);
  EXPECT_EQ(drops(Drop::kNotOurAddress), 1u);  // another solicited-node group than ours
  EXPECT_EQ(worker_->counters().nd_replies, 1u);
}

TEST_F(DataplaneNetworks, Icmpv6EchoIsAnswered) {
  std::vector<unsigned char> icmp = {128, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'};
  const std::uint16_t c = icmpv6_checksum(kClient6.bytes.data(), kOur6.bytes.data(), icmp.data(), icmp.size());
  std::memcpy(icmp.data() + 2, &c, 2);
  inject(ip6_frame(icmp, kIpProtoIcmpv6, kOur6, our_mac_));
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst_mac, kClientMac);
  EXPECT_EQ(out[0].frame[54], kIcmpv6EchoReply);
  EXPECT_EQ(load_ipv6(out[0].frame.data() + 22 + 16), kClient6);
  EXPECT_EQ(worker_->counters().icmp_echo_replies, 1u);
}

TEST_F(DataplaneNetworks, SipOverIpv6InAndAStatelessReplyBackOverIpv6) {
  neighbours_->confirm(1, kClient6, kClientMac, 0);
  std::string m = invite("v6", 0, 0);  // Max-Forwards 0: a stateless 483 back to the source
  inject(ip6_frame(udp6(m), kIpProtoUdp, kOur6, our_mac_));
  auto bad = udp6(invite("v6-bad"));
  bad[6] = bad[7] = 0;  // no checksum: not allowed over IPv6
  inject(ip6_frame(bad, kIpProtoUdp, kOur6, our_mac_));
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(drops(Drop::kBadUdpChecksum), 1u);
  EXPECT_EQ(out[0].type, kEtherTypeIpv6);
  EXPECT_EQ(out[0].dst_mac, kClientMac);
  const unsigned char* l3 = out[0].frame.data() + 14;
  Ipv6 ip;
  ASSERT_EQ(parse_ipv6(l3, out[0].frame.size() - 14, ip), Ipv6Check::kOk);
  EXPECT_EQ(ip.src, kOur6);
  EXPECT_EQ(ip.dst, kClient6);
  EXPECT_EQ(ip.next_header, kIpProtoUdp);
  const unsigned char* u = l3 + 40;
  EXPECT_TRUE(udp6_checksum_ok(l3 + 8, l3 + 24, u, ip.payload_len));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(u) + 8, 20), "SIP/2.0 483 Too Many");
}

TEST_F(DataplaneNetworks, Ipv6FragmentsAreReassembled) {
  resolve_backends();
  const auto whole = udp6(invite("frag6", 3000));
  std::uint32_t off = 0;
  std::vector<std::vector<unsigned char>> frags;
  while (off < whole.size()) {
    const std::uint32_t len = std::min<std::uint32_t>(1448, static_cast<std::uint32_t>(whole.size()) - off);
    const bool more = off + len < whole.size();
    std::vector<unsigned char> l4(8 + len);
    write_ipv6_fragment_header(l4.data(), kIpProtoUdp, off, more, 77);
    std::memcpy(l4.data() + 8, whole.data() + off, len);
    frags.push_back(ip6_frame(l4, kIpProtoIpv6Fragment, kOur6, our_mac_));
    off += len;
  }
  ASSERT_EQ(frags.size(), 3u);
  for (auto it = frags.rbegin(); it != frags.rend(); ++it) inject(*it);  // any order
  worker_->poll_once();
  EXPECT_EQ(worker_->counters().fragments_in, 3u);
  EXPECT_EQ(worker_->counters().reassembled, 1u);
  EXPECT_EQ(worker_->counters().sip_in, 1u);
  EXPECT_EQ(worker_->counters().sip_forwarded, 1u);
}

TEST_F(DataplaneNetworks, VlanTagInBandOrStrippedIsTakenOffAndPutBackOnReplies) {
  std::vector<unsigned char> f(60, 0);
  build_arp_request(f.data(), kClientMac, IpAddress::v4(0xc613000a), IpAddress::v4(0xc6130001));
  inject(tagged(f, 100));
  // The same request as af_packet delivers it: tag stripped into the mbuf.
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  std::memcpy(rte_pktmbuf_append(m, 60), f.data(), 60);
  m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
  m->vlan_tci = 100;
  ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
  inject(tagged(f, 300));                                  // no network on VLAN 300
  inject(tagged(tagged(f, 100), 200, kEtherTypeQinQ));     // QinQ
  inject(tagged(tagged(f, 100), 200));                     // two 802.1Q tags
  // The VLAN 100 address is not answered untagged (the untagged network is 198.18.0.1).
  inject(f);
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& s : out) {
    EXPECT_EQ(s.type, kEtherTypeVlan);
    EXPECT_EQ(load_be16(s.frame.data() + 14) & 0xfff, 100);
    EXPECT_EQ(load_be16(s.frame.data() + 16), kEtherTypeArp);
    Arp a;
    ASSERT_TRUE(parse_arp(s.frame.data() + 18, s.frame.size() - 18, a));
    EXPECT_EQ(a.op, kArpReply);
    EXPECT_EQ(a.sender_ip, IpAddress::v4(0xc6130001));
  }
  EXPECT_EQ(drops(Drop::kNoNetwork), 1u);
  EXPECT_EQ(drops(Drop::kUnsupportedVlan), 2u);
  EXPECT_EQ(drops(Drop::kArpNotForUs), 1u);
  EXPECT_EQ(worker_->counters().networks[2].rx_packets, 2u);
  EXPECT_EQ(worker_->counters().networks[2].tx_packets, 2u);
  const auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].network, 2);  // learned on the VLAN's network, not the port's untagged one
}

// An IPv4 frame whose tag the device stripped into the mbuf (af_packet) belongs to the VLAN's
// network, not to the port's untagged one, although nothing in the frame says so.
TEST_F(DataplaneNetworks, AnIpv4FrameWithItsTagStrippedArrivesOnTheVlansNetwork) {
  const auto f = ip_frame(udp(invite("stripped")), kIpProtoUdp, kClientIp, 0xc6130001);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(f.size())), f.data(), f.size());
  m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
  m->vlan_tci = 100;
  ASSERT_EQ(rte_ring_enqueue(rx_, m), 0);
  worker_->poll_once();
  EXPECT_EQ(worker_->counters().networks[2].rx_packets, 1u);
  EXPECT_EQ(worker_->counters().networks[0].rx_packets, 0u);
}

TEST_F(DataplaneNetworks, ForwardsToAVlanNetworkGoTagged) {
  neighbours_->confirm(2, IpAddress::v4(0xc6130015), kB1Mac, 0);
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  const std::string probe = "OPTIONS sip:198.19.0.21:5060 SIP/2.0\r\n\r\n";
  std::memcpy(rte_pktmbuf_append(m, static_cast<std::uint16_t>(probe.size())), probe.data(), probe.size());
  dataplane::ControlTxMeta meta;
  meta.kind = dataplane::ControlTxMeta::Kind::kUdp;
  meta.dst_ip = IpAddress::v4(0xc6130015);
  meta.dst_port = 5060;
  std::memcpy(rte_mbuf_to_priv(m), &meta, sizeof meta);
  ASSERT_EQ(rte_ring_enqueue(shared_->control_tx, m), 0);
  worker_->poll_once();
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].type, kEtherTypeVlan);
  EXPECT_EQ(load_be16(out[0].frame.data() + 14), 100);
  EXPECT_EQ(load_be16(out[0].frame.data() + 16), kEtherTypeIpv4);
  Ipv4 ip;
  ASSERT_EQ(parse_ipv4(out[0].frame.data() + 18, out[0].frame.size() - 18, true, ip), Ipv4Check::kOk);
  EXPECT_EQ(ip.src, IpAddress::v4(0xc6130001));  // the VLAN network's address
  const unsigned char* u = out[0].frame.data() + 18 + 20;
  EXPECT_TRUE(udp_checksum_ok(out[0].frame.data() + 18 + 12, out[0].frame.data() + 18 + 16, u, load_be16(u + 4)));
}
