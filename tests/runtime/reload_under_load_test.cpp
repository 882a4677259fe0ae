// control: new rule sets published under a live worker at full load. A net_pcap port replays a
// capture of INVITEs from memory (infinite_rx) as fast as the worker on lcore 1 takes them, a
// net_null port swallows what it forwards; meanwhile the control lcore publishes 40 rule sets,
// alternately without patterns and with 100. A worker that ever scanned with a scratch not
// prepared for its snapshot's rules would count rules-error drops; a publish that stopped the
// worker would show in the forwarded count. Own binary: the EAL starts once per process.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "result_assertion.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/runtime/runtime.hpp"
#include "sipshunt/dataplane/counters.hpp"
#include "sipshunt/net/checksum.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/rules/rules.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace sipshunt;

namespace {

constexpr std::uint32_t kOurIp = 0xc6120001;  // 198.18.0.1

std::string invite(int i) {
  std::string cid = "load-" + std::to_string(i) + "@198.18.0.10";
  std::string m = "INVITE sip:bob@198.18.0.1 SIP/2.0\r\n";
  m.append("Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-").append(std::to_string(i)).append("\r\n");
  m.append("From: <sip:alice@198.18.0.10>;tag=1\r\nTo: <sip:bob@198.18.0.1>\r\n");
  m.append("Call-ID: ").append(cid).append("\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n");
  m.append("User-Agent: load-generator/1.0\r\nContent-Length: 0\r\n\r\n");
  return m;
}

// Ethernet (broadcast destination) + IPv4 + UDP with valid checksums, from 198.18.0.10:5060.
std::vector<unsigned char> frame(const std::string& payload) {
  using namespace sipshunt::net;
  std::vector<unsigned char> f(kEthernetHeaderLen + kIpv4HeaderLen + kUdpHeaderLen + payload.size());
  MacAddress bcast, src;
  bcast.bytes.fill(0xff);
  src = *MacAddress::parse("02:00:00:00:00:0a");
  write_ethernet(f.data(), bcast, src, kEtherTypeIpv4);
  Ipv4Out h;
  h.src = IpAddress::v4(0xc612000a);
  h.dst = IpAddress::v4(kOurIp);
  h.protocol = kIpProtoUdp;
  h.total_len = static_cast<std::uint16_t>(kIpv4HeaderLen + kUdpHeaderLen + payload.size());
  write_ipv4(f.data() + kEthernetHeaderLen, h);
  unsigned char* u = f.data() + kEthernetHeaderLen + kIpv4HeaderLen;
  write_udp(u, 5060, 5060, static_cast<std::uint16_t>(kUdpHeaderLen + payload.size()));
  std::memcpy(u + kUdpHeaderLen, payload.data(), payload.size());
  const std::uint16_t c = udp_checksum(f.data() + 26, f.data() + 30, u, kUdpHeaderLen + payload.size());
  std::memcpy(u + 6, &c, 2);
  return f;
}

void write_pcap(const std::filesystem::path& path, int count) {
  std::ofstream out(path, std::ios::binary);
  const std::uint32_t header[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};  // v2.4, Ethernet
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  for (int i = 0; i < count; ++i) {
    const auto f = frame(invite(i));
    const std::uint32_t rec[4] = {1, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(f.size()),
                                  static_cast<std::uint32_t>(f.size())};
    out.write(reinterpret_cast<const char*>(rec), sizeof rec);
    out.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
  }
}

TEST(Runtime, FortyRuleSetsUnderFullLoadNeverMisuseAScratch) {
  const test_support::TempDir tmp;
  const std::filesystem::path& dir = tmp.path();
  write_pcap(dir / "invites.pcap", 256);
  tmp.write("plain.rules", "rule rest: any => pool core\n");
  std::string many;
  for (int i = 0; i < 99; ++i) {
    const std::string n = std::to_string(i);
    many.append("rule ua").append(n).append(": header User-Agent ~ /scanner-").append(n).append("\\b/i => drop\n");
  }
  tmp.write("many.rules", many.append("rule bob: ruri ~ /^sip:bob@/ => pool core\n"));
  const test_support::ConfigFixture fixture{
      .pools = {{.name = "core",
                 .backends = test_support::numbered_backends(2, "198.19.0.21"),
                 .health = test_support::ConfigFixture::Health{.enabled = false}}}};
  auto loaded = config::load_string(fixture.toml(), dir / "load.toml");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  const auto cfg = std::make_shared<const config::Config>(*loaded);
  const std::vector<std::string> pools{"core"};
  const auto compile = [&](const char* file) {
    const std::vector<std::filesystem::path> files{dir / file};
    auto r = rules::RuleSet::compile(files, pools);
    EXPECT_TRUE(r) << (r ? std::string() : r.error().to_string());
    return r ? *r : nullptr;
  };

  runtime::RuntimeOptions o;
  o.eal_args = {"--no-huge", "-m", "512", "-l", "0-1"};
  o.workers = 1;
  o.mbufs = 16383;
  net::PortSpec in;
  in.name = "in";
  in.device = "net_pcap0";
  in.devargs = "rx_pcap=" + (dir / "invites.pcap").string() + ",infinite_rx=1";
  net::PortSpec out;
  out.name = "out";
  out.device = "net_null0";
  out.devargs = "no-rx=1";
  o.ports = {in, out};
  o.networks = {{"in", 0, 0, IpAddress::v4(kOurIp), 16, std::nullopt, std::nullopt},
                {"out", 1, 0, IpAddress::v4(0xc6130001), 24, std::nullopt, std::nullopt}};  // 198.19.0.1
  o.static_neighbours = {{"out", IpAddress::v4(0xc6130015), *net::MacAddress::parse("02:00:00:00:00:21")},
                         {"out", IpAddress::v4(0xc6130016), *net::MacAddress::parse("02:00:00:00:00:22")}};
  auto created = runtime::Runtime::create(o);
  ASSERT_TRUE(succeeded(created));
  const std::unique_ptr<runtime::Runtime> rt = std::move(*created);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(succeeded(rt->start(proxy::build_snapshot(cfg, compile("plain.rules"), {}, 1))));

  const auto forwarded = [&] {
    proxy::Counters c;
    rt->proxy_totals(c);
    return c.by_reason[static_cast<std::size_t>(proxy::Reason::kForwarded)];
  };
  for (int i = 0; i < 2000 && forwarded() < 10000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_GE(forwarded(), 10000u) << "the worker does not forward the replayed INVITEs";

  std::uint64_t last = forwarded();
  int stalls = 0;
  for (std::uint64_t v = 2; v <= 41; ++v) {
    auto set = compile(v % 2 == 0 ? "many.rules" : "plain.rules");
    ASSERT_TRUE(set);
    ASSERT_TRUE(succeeded(rt->publish(proxy::build_snapshot(cfg, set, {}, v)))) << "publish " << v;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const std::uint64_t now = forwarded();
    if (now == last) ++stalls;
    last = now;
  }
  proxy::Counters c;
  rt->proxy_totals(c);
  EXPECT_EQ(c.by_reason[static_cast<std::size_t>(proxy::Reason::kRulesError)], 0u)
      << "a worker scanned with a scratch that did not fit its rule set";
  EXPECT_EQ(stalls, 0) << "forwarding stopped across a publish";
  EXPECT_EQ(rt->snapshot()->version, 41u);
  // The last set is the plain one: its only rule decides every INVITE from now on.
  const std::uint64_t before = c.by_rule[0];
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  rt->proxy_totals(c);
  EXPECT_GT(c.by_rule[0], before);
  std::printf("forwarded %llu INVITEs across 40 publishes\n", static_cast<unsigned long long>(forwarded()));
  rt->shutdown();
}

}  // namespace
