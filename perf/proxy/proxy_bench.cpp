// The whole proxy step per datagram, parse included: process() on a ~850-octet INVITE from a
// client (forwarded with our Via, received/rport, Max-Forwards, Record-Route, Maglev backend) and
// on the backend's 200 OK (our Via popped, sent to the next Via). Release builds only.
//   build-proxy/perf/proxy/proxy_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../sip/messages.hpp"
#include "sipshunt/config/config.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace sipshunt;

// 875 octets: an initial INVITE with SDP that crossed one proxy before us.
constexpr std::string_view kInvite =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds.1;rport\r\n"
    "Via: SIP/2.0/UDP 198.18.0.20:5060;branch=z9hG4bKnashds8\r\n"
    "Max-Forwards: 69\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@198.18.0.33:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "User-Agent: softphone/4.2.1 (linux)\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 252\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 198.18.0.33\r\n"
    "s=-\r\n"
    "c=IN IP4 198.18.0.33\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n";

// The same INVITE from IPv6 clients (RFC 5118 references): the IPv6 cost of the proxy step, for
// "IPv6 within 10% of IPv4" (README, deployment shapes).
constexpr std::string_view kInviteIpv6 =
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP [2001:db8:18::10]:5060;branch=z9hG4bK776asdhds.1;rport\r\n"
    "Via: SIP/2.0/UDP [2001:db8:18::20]:5060;branch=z9hG4bKnashds8\r\n"
    "Max-Forwards: 69\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:alice@[2001:db8:18::33]:5060>\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE\r\n"
    "Supported: replaces, timer, 100rel\r\n"
    "Session-Expires: 1800;refresher=uac\r\n"
    "User-Agent: softphone/4.2.1 (linux)\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 260\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP6 2001:db8:18::33\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8:18::33\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 0 8 9 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n";

// The backend's 200 OK for it, our Via on top.
constexpr std::string_view kOk200 =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK5a1b2c3d4e5f6a7b\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK776asdhds.1;rport=5060;received=198.18.0.10\r\n"
    "Via: SIP/2.0/UDP 198.18.0.20:5060;branch=z9hG4bKnashds8\r\n"
    "Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b=b2>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@198.19.0.12:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// The IPv6 backend's 200 OK for kInviteIpv6, our Via on top: the client's Via carries an IPv6
// received= (RFC 3261 §20.42, RFC 5118 §4.5: unbracketed).
constexpr std::string_view kOk200Ipv6 =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP [2001:db8:18::1]:5060;branch=z9hG4bK5a1b2c3d4e5f6a7b\r\n"
    "Via: SIP/2.0/UDP [2001:db8:18::10]:5060;branch=z9hG4bK776asdhds.1;rport=5060;received=2001:db8:18::10\r\n"
    "Via: SIP/2.0/UDP [2001:db8:18::20]:5060;branch=z9hG4bKnashds8\r\n"
    "Record-Route: <sip:[2001:db8:18::1]:5060;lr;sipshunt-b=b2>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314159 INVITE\r\n"
    "Contact: <sip:bob@[2001:db8:19::12]:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// An in-dialog BYE pinned by our Record-Route.
constexpr std::string_view kBye =
    "BYE sip:bob@198.19.0.12:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKbye8877;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Route: <sip:198.18.0.1:5060;lr;sipshunt-b=b2>\r\n"
    "To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    "CSeq: 314160 BYE\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::shared_ptr<const config::Config> make_config(std::string_view text, const std::filesystem::path& path) {
  auto loaded = config::load_string(text, path);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().to_string().c_str());
    std::abort();
  }
  return std::make_shared<const config::Config>(std::move(*loaded));
}

void run(benchmark::State& state, const proxy::Snapshot& snapshot, std::string_view message, const Endpoint& source,
         proxy::Verdict expected) {
  auto worker = std::make_unique<proxy::ThreadState>();
  if (!proxy::prepare(*worker, snapshot)) std::abort();
  std::vector<char> in(message.begin(), message.end());
  std::vector<char> out(message.size() + proxy::kMaxGrowth);
  std::uint64_t now = 0;
  for (auto _ : state) {
    const proxy::Outcome r =
        proxy::process(snapshot, *worker, in.data(), in.size(), source, 0, out.data(), out.size(), ++now);
    benchmark::DoNotOptimize(r);
    benchmark::ClobberMemory();
  }
  const proxy::Outcome r = proxy::process(snapshot, *worker, in.data(), in.size(), source, 0, out.data(), out.size(), 0);
  if (r.verdict != expected) state.SkipWithError(std::string("unexpected verdict, reason ")
                                                     .append(proxy::to_string(r.reason)).c_str());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
  state.counters["in_octets"] = static_cast<double>(message.size());
  state.counters["out_octets"] = static_cast<double>(r.length);
}

const proxy::Snapshot& plain_snapshot() {
  static const auto s =
      proxy::build_snapshot(make_config(test_support::proxy_fixture().toml(), "/tmp/proxy_bench.toml"), nullptr, {}, 1);
  return *s;
}

// Reference: the parse alone, for the share of process() that is the proxy's own work.
void parse_only(benchmark::State& state, std::string_view message) {
  auto msg = std::make_unique<sip::Message>();
  std::vector<char> in(message.begin(), message.end());
  for (auto _ : state) {
    benchmark::DoNotOptimize(sip::parse(in.data(), in.size(), *msg));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(message.size()));
}
void BM_ParseOnlyInvite(benchmark::State& state) { parse_only(state, kInvite); }
void BM_ParseOnly200Ok(benchmark::State& state) { parse_only(state, kOk200); }
void BM_ParseOnlyPinnedBye(benchmark::State& state) { parse_only(state, kBye); }
BENCHMARK(BM_ParseOnlyInvite);
BENCHMARK(BM_ParseOnly200Ok);
BENCHMARK(BM_ParseOnlyPinnedBye);

void BM_ProcessInvite(benchmark::State& state) {
  run(state, plain_snapshot(), kInvite, Endpoint{IpAddress::v4(0xc612000a), 5060}, proxy::Verdict::kForward);
}
BENCHMARK(BM_ProcessInvite);

void BM_Process200Ok(benchmark::State& state) {
  run(state, plain_snapshot(), kOk200, Endpoint{IpAddress::v4(0xc613000c), 5060}, proxy::Verdict::kForward);
}
BENCHMARK(BM_Process200Ok);

void BM_ProcessPinnedBye(benchmark::State& state) {
  run(state, plain_snapshot(), kBye, Endpoint{IpAddress::v4(0xc612000a), 5060}, proxy::Verdict::kForward);
}
BENCHMARK(BM_ProcessPinnedBye);

// The proxy on IPv6 (RFC 5118 references), three IPv6 backends.
const proxy::Snapshot& ipv6_snapshot() {
  static const auto snapshot = proxy::build_snapshot(
      make_config(test_support::ConfigFixture{.address = "2001:db8:18::1",
                                              .port = 5060,
                                              .pools = {{.name = "core",
                                                         .backends = {{.name = "b1", .address = "2001:db8:19::11"},
                                                                      {.name = "b2", .address = "2001:db8:19::12"},
                                                                      {.name = "b3", .address = "2001:db8:19::13"}}}}}
                      .toml(),
                  "/tmp/proxy_bench6.toml"),
      nullptr, {}, 1);
  return *snapshot;
}

void BM_ProcessInviteIpv6(benchmark::State& state) {
  run(state, ipv6_snapshot(), kInviteIpv6, Endpoint{*IpAddress::parse("2001:db8:18::10"), 5060}, proxy::Verdict::kForward);
}
BENCHMARK(BM_ProcessInviteIpv6);

void BM_Process200OkIpv6(benchmark::State& state) {
  run(state, ipv6_snapshot(), kOk200Ipv6, Endpoint{*IpAddress::parse("2001:db8:19::12"), 5060}, proxy::Verdict::kForward);
}
BENCHMARK(BM_Process200OkIpv6);

// The INVITE scripts/bench-pcap.sh sends (perf/sip/messages.hpp: a softphone's, its Request-URI
// naming us with a port and user=phone), from an IPv4 and from an IPv6 client.
void BM_ProcessInviteSoftphone(benchmark::State& state) {
  run(state, plain_snapshot(), sip::bench::kInviteSoftphone, Endpoint{*IpAddress::parse("198.18.50.96"), 5064},
      proxy::Verdict::kForward);
}
BENCHMARK(BM_ProcessInviteSoftphone);

void BM_ProcessInviteSoftphoneIpv6(benchmark::State& state) {
  run(state, ipv6_snapshot(), sip::bench::kInviteSoftphoneIpv6, Endpoint{*IpAddress::parse("2001:db8::32:60"), 5064},
      proxy::Verdict::kForward);
}
BENCHMARK(BM_ProcessInviteSoftphoneIpv6);

// The INVITE through 100 rules (User-Agent and Request-URI patterns that do not match, then a
// catch-all), as in the prototype's measurement.
void BM_ProcessInvite100Rules(benchmark::State& state) {
  const test_support::TempDir dir;
  std::string rules;
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    rules.append("rule ua").append(n).append(": header User-Agent ~ /scanner-").append(n).append("[a-z]+/i => drop\n");
  }
  for (int i = 0; i < 49; ++i) {
    const std::string n = std::to_string(i);
    rules.append("rule ruri").append(n).append(": ruri ~ /^sip:\\+1555").append(n).append("[0-9]{4}@/ => pool core\n");
  }
  dir.write("bench.rules", rules.append("rule catch-all: any => pool core\n"));
  test_support::ConfigFixture fixture = test_support::proxy_fixture();
  fixture.rule_files = {"bench.rules"};
  auto cfg = make_config(fixture.toml(), dir.path() / "bench.toml");
  std::vector<std::string> pools{"core"};
  auto compiled = rules::RuleSet::compile(cfg->rule_files, pools);
  if (!compiled) {
    state.SkipWithError(compiled.error().to_string().c_str());
    return;
  }
  const auto snapshot = proxy::build_snapshot(cfg, *compiled, {}, 1);
  run(state, *snapshot, kInvite, Endpoint{IpAddress::v4(0xc612000a), 5060}, proxy::Verdict::kForward);
}
BENCHMARK(BM_ProcessInvite100Rules);

}  // namespace
