// control: validation (no DPDK), then one real Runtime: EAL with --no-huge, a net_null port, one
// worker on lcore 1. Snapshots are published under a running worker (with and without a new rule
// set, whose scratch the worker swaps in without stopping); each publish returns only once the previous
// snapshot is no longer referenced; shutdown keeps the final counters readable.
#include <gtest/gtest.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "result_assertion.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/runtime/stats.hpp"
#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/net/af_xdp.hpp"
#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/port.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"
#include "support/config_fixture.hpp"

using namespace sipshunt;

namespace {

runtime::RuntimeOptions options() {
  runtime::RuntimeOptions o;
  o.eal_args = {"--no-huge", "-m", "256", "-l", "0-1"};
  o.workers = 1;
  o.mbufs = 8191;
  net::PortSpec p;
  p.name = "lan";
  p.device = "net_null0";
  p.devargs = "no-rx=1";
  o.ports.push_back(p);
  config::Network n;
  n.name = "lan";
  n.address = IpAddress::v4(0xc6120001);
  o.networks.push_back(n);
  return o;
}

TEST(EalArguments, AddsWhatTheDataPlaneNeedsUnlessGiven) {
  net::EalPlan plan;
  plan.workers = 1;
  plan.cpus = 4;
  auto a = net::eal_arguments(plan);
  const std::vector<std::string> want{"sipshunt", "-l", "0-1", "--in-memory", "--no-telemetry",
                                      "--log-level=user1:warning", "--no-pci"};
  EXPECT_EQ(a, want);
  plan.config_args = {"--no-huge", "-m", "512", "--lcores", "0@0,1@1", "--log-level=*:debug"};
  plan.pci_devices = {"0000:00:08.0"};
  a = net::eal_arguments(plan);
  const std::vector<std::string> want2{"sipshunt", "--no-huge", "-m", "512", "--lcores", "0@0,1@1", "--log-level=*:debug",
                                       "--no-shconf", "--no-telemetry", "-a", "0000:00:08.0"};
  EXPECT_EQ(a, want2);
  plan = {};
  plan.workers = 3;
  plan.cpus = 2;  // more lcores than CPUs: they share them
  a = net::eal_arguments(plan);
  EXPECT_EQ(a[1], "--lcores=(0-3)@(0-1)");
  plan = {};
  plan.any_af_xdp = true;  // its UMEM pool must be one virtually contiguous piece
  a = net::eal_arguments(plan);
  EXPECT_NE(std::find(a.begin(), a.end(), "--iova-mode=va"), a.end());
  plan.config_args = {"--iova-mode=pa"};
  a = net::eal_arguments(plan);
  EXPECT_EQ(std::find(a.begin(), a.end(), "--iova-mode=va"), a.end());
  EXPECT_TRUE(net::is_pci_address("0000:00:08.0"));
  EXPECT_TRUE(net::is_pci_address("00:08.0"));
  EXPECT_FALSE(net::is_pci_address("net_af_packet0"));
  EXPECT_FALSE(net::is_pci_address("0000:00:08.8"));
}

// The kernel takes UMEM chunks of one page at most (XDP_UMEM_REG); the PMD declares a chunk per
// mempool object, header and trailer padding included. A 1514-byte frame must still fit behind
// the 384 bytes in front of a received frame (DPDK headroom and XDP_PACKET_HEADROOM).
TEST(AfXdp, PoolObjectsFitAPageAndHoldAFrame) {
  const std::uint16_t room = net::af_xdp_data_room();
  rte_mempool_objsz sz{};
  const std::uint32_t object = rte_mempool_calc_obj_size(sizeof(rte_mbuf) + net::kMbufPrivSize + room, 0, &sz);
  EXPECT_LE(object, static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_GE(room, 384 + 1514);
  EXPECT_EQ(net::af_xdp_max_frame(), room - 384);
  // The last cache line that would still fit the page is taken away by the mempool's padding.
  EXPECT_GT(rte_mempool_calc_obj_size(sizeof(rte_mbuf) + net::kMbufPrivSize + room + RTE_CACHE_LINE_SIZE, 0, &sz),
            static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE)));
  EXPECT_EQ(net::af_xdp_pool_size(1, 1024, 1024), 8191u);
  EXPECT_EQ(net::af_xdp_pool_size(2, 1024, 1024), 16383u);
}

TEST(AfXdp, OneNetdevQueuePerWorker) {
  net::PortSpec p;
  p.device = "net_af_xdp0";
  p.devargs = "iface=eth0";
  EXPECT_EQ(net::effective_devargs(p, 2), "iface=eth0,queue_count=2,busy_budget=0");
  p.devargs = "iface=eth0,start_queue=1,queue_count=1,busy_budget=64";
  EXPECT_EQ(net::effective_devargs(p, 1), "iface=eth0,start_queue=1,queue_count=1,busy_budget=64");
}

TEST(Validate, AcceptsTheDefaults) { EXPECT_TRUE(succeeded(runtime::validate(options()))); }

TEST(Validate, RefusesBadPortsRoutesAndSizes) {
  auto expect = [](runtime::RuntimeOptions o, std::string_view fragment) {
    const auto r = runtime::validate(o);
    ASSERT_FALSE(r) << fragment;
    EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
  };
  auto o = options();
  o.ports.clear();
  expect(o, "at least one port");
  o = options();
  o.ports.push_back(o.ports[0]);
  expect(o, "duplicate port name lan");
  o = options();
  o.ports[0].device = "eth0";
  expect(o, "neither a PCI address nor a DPDK virtual device");
  o = options();
  o.ports[0].device = "0000:00:08.0";
  expect(o, "devargs are for virtual devices");
  o = options();
  o.ports[0].device = "net_af_packet0";
  o.ports[0].devargs = "iface=nosuchif9";
  EXPECT_TRUE(succeeded(runtime::validate(o)));  // the host is check_host()'s, for `run` only
  const auto host = runtime::check_host(o);
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find("no network interface \"nosuchif9\""), std::string::npos);
  o.ports[0].devargs = "qpairs=1";
  expect(o, "needs devargs \"iface=<interface>\"");
  o = options();
  o.ports[0].mtu = 100;
  expect(o, "mtu must be");
  o = options();
  o.ports[0].device = "net_af_xdp0";
  o.ports[0].devargs = "iface=lo";
  o.ports[0].mtu = 1500;
  EXPECT_TRUE(succeeded(runtime::validate(o)));
  // An mtu of 4000 is fine on af_packet but beyond a page-sized UMEM chunk: Runtime::create
  // refuses it for AF_XDP ports (the bound depends on DPDK's mbuf layout).
  EXPECT_LT(net::af_xdp_max_frame(), 4000 + net::kEthernetHeaderLen);
  o = options();
  o.routes.push_back({IpAddress::v4(0x0a000000), 8, IpAddress::v4(0x0b000001)});
  expect(o, "on no network's subnet");
  o = options();
  o.workers = 0;
  expect(o, "dpdk.workers");
  o = options();
  o.mbufs = 1000;
  expect(o, "dpdk.mbufs = 1000");
  o = options();
  o.static_neighbours.push_back({"wan", IpAddress::v4(0xc6120015), *net::MacAddress::parse("02:00:00:00:00:15")});
  expect(o, "no network or port named wan");
  o = options();
  o.static_neighbours.push_back({"lan", *IpAddress::parse("2001:db8::15"), *net::MacAddress::parse("02:00:00:00:00:15")});
  expect(o, "not of the address's family");
  o = options();
  o.ports[0].mtu = 1200;
  o.networks.push_back({"lan6", 0, 0, *IpAddress::parse("2001:db8::1"), 64, std::nullopt, std::nullopt});
  expect(o, "IPv6 needs an mtu of at least 1280");
}

std::shared_ptr<const proxy::Snapshot> snapshot(std::uint64_t version, std::shared_ptr<const rules::RuleSet> rules = nullptr) {
  const test_support::ConfigFixture fixture{
      .pools = {{.name = "core", .backends = test_support::numbered_backends(1, "198.18.0.21")}}};
  auto loaded = config::load_string(fixture.toml(), "/tmp/runtime_test.toml");
  EXPECT_TRUE(loaded);
  return proxy::build_snapshot(std::make_shared<const config::Config>(*loaded), std::move(rules), {}, version);
}

TEST(Runtime, PublishesUnderARunningWorkerAndShutsDownCleanly) {
  auto created = runtime::Runtime::create(options());
  ASSERT_TRUE(succeeded(created));
  const std::unique_ptr<runtime::Runtime> rt = std::move(*created);
  ASSERT_TRUE(rt);
  ASSERT_EQ(rt->worker_count(), 1u);
  ASSERT_TRUE(succeeded(rt->start(snapshot(1))));

  auto loops = [&] { return sipshunt::read(rt->worker_counters(0).loops); };
  const auto wait_loops = [&](std::uint64_t past) {
    for (int i = 0; i < 2000 && loops() <= past; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return loops() > past;
  };
  ASSERT_TRUE(wait_loops(0)) << "the worker does not loop";

  std::weak_ptr<const proxy::Snapshot> previous = rt->snapshot();
  for (std::uint64_t v = 2; v <= 50; ++v) {
    ASSERT_TRUE(succeeded(rt->publish(snapshot(v))));
    EXPECT_TRUE(previous.expired()) << "snapshot " << v - 1 << " still referenced after publish";
    previous = rt->snapshot();
  }
  EXPECT_EQ(rt->snapshot()->version, 50u);

  // A new rule set: the worker swaps in a fresh Hyperscan scratch between two loop iterations.
  std::vector<std::filesystem::path> files{std::filesystem::path(SIPSHUNT_SOURCE_DIR) / "dispatch-rules" / "default.rules"};
  std::vector<std::string> pools{"core"};
  auto compiled = rules::RuleSet::compile(files, pools);
  ASSERT_TRUE(compiled) << compiled.error().to_string();
  ASSERT_TRUE(succeeded(rt->publish(snapshot(51, *compiled))));
  EXPECT_TRUE(previous.expired());
  const auto before = loops();
  EXPECT_TRUE(wait_loops(before)) << "the worker stopped looping after a new rule set";

  // A datagram for the control lcore goes out through worker 0 (ARP first: the next hop is new).
  Endpoint to{IpAddress::v4(0xc6120015), 5060};
  EXPECT_TRUE(rt->send_udp(to, "OPTIONS sip:198.18.0.21 SIP/2.0\r\n\r\n"));
  for (int i = 0; i < 2000 && sipshunt::read(rt->worker_counters(0).control_tx) < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(sipshunt::read(rt->worker_counters(0).control_tx), 2u) << "gratuitous ARP + the datagram";
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    rt->request_stop();
  });
  EXPECT_EQ(rt->run(), 0);  // the control loop runs: it sends the ARP request the worker asked for
  stopper.join();
  EXPECT_GE(rt->arp_requests_sent(), 1u);
  EXPECT_EQ(rt->totals().held, 1u);
  // After shutdown the counters are still there, and the stats JSON renders.
  EXPECT_GT(rt->totals().loops, 0u);
  const std::string json = runtime::stats_json(*rt);
  EXPECT_NE(json.find("\"snapshot_version\":51"), std::string::npos) << json;
  EXPECT_NE(json.find("\"neighbour-timeout\":1"), std::string::npos) << json;  // the held datagram, freed at stop
}

}  // namespace
