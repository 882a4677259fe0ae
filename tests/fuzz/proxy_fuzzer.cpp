// libFuzzer target for the whole proxy step, proxy::process(): parse, validation, rules
// (Hyperscan), pins, strict and loose routing, host mappings, Maglev, rewrite, stateless replies.
// The input is the datagram itself (a heap block of exactly its size, so ASan sees any read past
// it); its length picks the world and the source. Two worlds: one network (explain's implicit
// one) and two networks (README "Deployment shapes": an IPv6 client side and an IPv4 farm, each
// with a service address, so double Record-Route and RFC 5118 references are fuzzed too); sources:
// a client, a backend on its own port, a backend on another port. Invariants checked on every
// input:
//   - the output fits the buffer, and forwards and replies are not empty;
//   - a forward parses, a forwarded request carries on top our Via of the network it leaves by,
//     which is of the destination's family; nothing goes to a broadcast, multicast or unspecified
//     address, and the body is the input's body byte for byte;
//   - a reply parses as a response with the status the Outcome names (a 400/505 to a malformed
//     request only has its status line checked: it echoes the request's lines), never an ACK's;
//   - the same input gives the same verdict and the same bytes again.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/health/probe.hpp"
#include "sipshunt/proxy/explain.hpp"
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/sip/message.hpp"
#include "support/config_fixture.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace sipshunt;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "proxy fuzzer: invariant broken: %s\n", what);
  std::abort();
}

struct World {
  std::shared_ptr<const proxy::Snapshot> snapshot;
  std::unique_ptr<proxy::ThreadState> worker = std::make_unique<proxy::ThreadState>();
  std::uint64_t now = 0;
};

// Two networks: clients on IPv6 (network 0), the farm on IPv4 (network 1), service addresses on both.
constexpr const char* kTwoNetworks = R"(
[[dpdk.ports]]
name = "public"
device = "net_af_packet0"
[[dpdk.ports.networks]]
name = "public6"
address = "2001:db8:1::1"
gateway = "2001:db8:1::fe"
service_address = "2001:db8:200::1"
[[dpdk.ports]]
name = "farm"
device = "net_af_packet1"
address = "198.19.0.1"
prefix_len = 16
gateway = "198.19.0.254"
service_address = "192.0.2.81"
)";

World make_world(bool two_networks) {
  World out;
  const test_support::TempDir dir;
  dir.write("fuzz.rules", "rule scanners: header User-Agent ~ /friendly-scanner|sipvicious/i => drop\n"
                          "rule registrar: method REGISTER => pool registrar\n"
                          "rule emergency: method INVITE and ruri ~ /^sips?:(911|112)@/ => pool core\n"
                          "rule keepalive: method OPTIONS and not src 198.19.0.0/16 => reply 200 \"OK\"\n"
                          "rule deny: header Subject ~ /^deny/ => reply 403 \"Forbidden\"\n"
                          "rule rest: any => pool core\n");
  test_support::ConfigFixture config = test_support::proxy_fixture();
  config.pools[0].backends[2].port = 5080;
  config.hosts = {{"carrier.example.com", "203.0.113.5:5070"}};
  config.rule_files = {"fuzz.rules"};
  config.pools.push_back({.name = "registrar", .backends = {{"r1", "198.19.1.11"}}});
  if (two_networks) {
    config.address = "2001:db8:200::1";
    config.tail = kTwoNetworks;
  }
  const auto setup = proxy::explain_setup(dir.write("fuzz.toml", config.toml()), {"b2"}, health::kProbeCallIdPrefix);
  if (!setup) {
    std::fprintf(stderr, "proxy fuzzer: setup failed: %s\n", setup.error().to_string().c_str());
    std::abort();
  }
  out.snapshot = *setup;
  if (!proxy::prepare(*out.worker, *out.snapshot)) fail("cannot prepare the rules scratch");
  return out;
}

// Bit 2 of the length picks the world.
World& world(std::size_t size) {
  static World* one = new World(make_world(false));
  static World* two = new World(make_world(true));
  return (size & 4) != 0 ? *two : *one;
}

struct Arrival {
  Endpoint source;
  std::uint16_t network;
};

Arrival source_for(std::size_t size) {
  const bool two = (size & 4) != 0;
  switch (size % 4) {
    case 0: return {Endpoint{IpAddress::v4(0xc6130b0b), 5060}, std::uint16_t{two}};   // b1 198.19.0.11:5060 (its own port)
    case 1: return {Endpoint{IpAddress::v4(0xc6130d0d), 40123}, std::uint16_t{two}};  // b3's address, another port
    default:
      if (two) return {Endpoint{*IpAddress::parse("2001:db8:1::2"), 5060}, 0};  // a client on the IPv6 side
      return {Endpoint{IpAddress::v4(0xc6120002), 5060}, 0};                     // a client, 198.18.0.2:5060
  }
}

struct Run {
  proxy::Outcome r;
  std::vector<char> out;
};

Run run(const std::uint8_t* data, std::size_t size) {
  World& w = world(size);
  auto in = std::make_unique<char[]>(size == 0 ? 1 : size);
  if (size != 0) std::memcpy(in.get(), data, size);
  Run x;
  x.out.resize(size + proxy::kMaxGrowth);
  // Time moves a second per input: the reply budget refills, so no input is rate limited.
  w.now += 1'000'000'000;
  const Arrival from = source_for(size);
  x.r = proxy::process(*w.snapshot, *w.worker, in.get(), size, from.source, from.network, x.out.data(), x.out.size(),
                       w.now);
  if (x.r.length > x.out.size()) fail("output longer than its buffer");
  x.out.resize(x.r.verdict == proxy::Verdict::kForward || x.r.verdict == proxy::Verdict::kReply ? x.r.length : 0);
  return x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Run x = run(data, size);
  static sip::Message in, out;
  const sip::Status in_status = sip::parse(reinterpret_cast<const char*>(data), size, in);
  // A 400/505 to a malformed request echoes its header lines as they came (RFC 3261 §8.2.6.2), so
  // it may carry the same malformation: only its status line is checked.
  const bool echoes_malformed = x.r.verdict == proxy::Verdict::kReply && x.r.kind == proxy::Kind::kInvalid;
  const proxy::Snapshot& snapshot = *world(size).snapshot;
  if (x.r.verdict == proxy::Verdict::kForward || x.r.verdict == proxy::Verdict::kReply) {
    if (x.out.empty()) fail("forward or reply without octets");
    if (x.r.next_hop.ip.is_unsendable()) fail("destination is broadcast, multicast or unspecified");
    if (x.r.route.network >= snapshot.networks.size()) fail("egress network out of range");
    if (snapshot.routed && snapshot.networks[x.r.route.network].sip.ip.family != x.r.next_hop.ip.family)
      fail("destination of another family than the network it leaves by");
  }
  if (echoes_malformed) {
    char line[13];
    std::snprintf(line, sizeof line, "SIP/2.0 %03u ", static_cast<unsigned>(x.r.status));
    if (x.out.size() < 12 || std::memcmp(x.out.data(), line, 12) != 0) fail("reply without its status line");
    if (x.r.status != 400 && x.r.status != 505) fail("a malformed request answered with neither 400 nor 505");
  } else if (x.r.verdict == proxy::Verdict::kForward || x.r.verdict == proxy::Verdict::kReply) {
    const sip::Status out_status = sip::parse(x.out.data(), x.out.size(), out);
    if (out_status != sip::Status::kOk) {
      // Via values below those a decision reads are passed on unread (src/proxy/README.md "What
      // is validated"): a forwarded response's new second Via, or the Via lines a stateless reply
      // copies (RFC 3261 §8.2.6.2), may be the sender's own malformation coming back. Only that
      // may make the output unparseable.
      static sip::Via all[sip::kMaxVias];
      std::uint8_t count = 0;
      const bool own_lower_via = (out_status == sip::Status::kBadVia || out_status == sip::Status::kTooManyVias) &&
                                 in_status == sip::Status::kOk &&
                                 sip::decode_vias(in, all, sip::kMaxVias, count) != sip::Status::kOk;
      if (!own_lower_via) fail("output does not parse");
      const Run again = run(data, size);
      if (again.r.verdict != x.r.verdict || again.out != x.out) fail("not deterministic");
      return 0;
    }
  }
  if (x.r.verdict == proxy::Verdict::kForward) {
    if (in_status != sip::Status::kOk) fail("forwarded a message that does not parse");
    if (out.is_request != in.is_request) fail("forward changed request into response or back");
    // "Via: SIP/2.0/UDP ADDR:PORT;branch=z9hG4bK" of the egress network, without "Via: ".
    const std::string_view ours = std::string_view(snapshot.networks[x.r.route.network].via_prefix).substr(5);
    if (out.is_request && out.vias[0].value.substr(0, ours.size()) != ours)
      fail("forwarded request without our Via of its egress network on top");
    if (out.body != in.body) fail("body changed");
    if (out.call_id != in.call_id) fail("Call-ID changed");
  }
  if (x.r.verdict == proxy::Verdict::kReply) {
    if (!echoes_malformed && (out.is_request || out.status_code != x.r.status))
      fail("reply is not a response with the Outcome's status");
    if (in.is_request && in.method == "ACK") fail("replied to an ACK");
  }
  const Run again = run(data, size);
  if (again.r.verdict != x.r.verdict || again.r.reason != x.r.reason || again.out != x.out) fail("not deterministic");
  return 0;
}
