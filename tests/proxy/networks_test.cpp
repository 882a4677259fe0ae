// Several networks, one proxy (README.md "Networks"): the Via we add carries the address of the
// network a request leaves by, a dialog-creating request that crosses networks is record-routed
// once per side (egress on top, both pinned), in-dialog requests from either side drop both of our
// Route entries and find their backend, responses come back through either address; IPv4 and
// IPv6 sides (RFC 5118 references) and VLAN networks, which are networks like any other here.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "helpers.hpp"

namespace sipshunt::proxy::test {
namespace {

const std::string kPools = R"([[pools]]
name = "farm"
[[pools.backends]]
name = "b1"
address = "198.19.0.11"
[[pools.backends]]
name = "b2"
address = "198.19.0.12"
)";

// Client side on one port, farm side on another (IPv4 both); `client_extra` and `farm_extra`
// are more keys of each port's table.
std::string two_armed(std::string_view client_extra = "", std::string_view farm_extra = "") {
  return R"([proxy]
address = "198.18.0.1"
port = 5060
default_pool = "farm"
[[dpdk.ports]]
name = "client"
device = "net_af_packet0"
address = "198.18.0.1"
)" + std::string(client_extra) + R"([[dpdk.ports]]
name = "farm"
device = "net_af_packet1"
address = "198.19.0.1"
)" + std::string(farm_extra) + kPools;
}

const std::string kTwoArmed = two_armed();

// The same with a service address on each side (README "Running several instances"): SIP uses
// them, not the interface addresses, and proxy.address may stay the interface address.
const std::string kTwoArmedServiceAddresses =
    two_armed("service_address = \"192.0.2.80\"\n", "service_address = \"192.0.2.81\"\n");

// IPv6 client side, IPv4 farm, one VLAN each on a single trunk port.
const std::string kSixToFour = R"([proxy]
address = "2001:db8:1::1"
port = 5060
default_pool = "farm"
[[dpdk.ports]]
name = "trunk"
device = "net_af_packet0"
[[dpdk.ports.networks]]
name = "public6"
vlan = 100
address = "2001:db8:1::1"
[[dpdk.ports.networks]]
name = "farm"
vlan = 200
address = "198.19.0.1"
)" + kPools;

std::string invite_from(std::string_view hostport) {
  std::string m = crlf(
      "INVITE sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP HOST;branch=z9hG4bK776asdhds;rport\n"
      "Max-Forwards: 70\n"
      "To: Bob <sip:bob@example.com>\n"
      "From: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: two-armed-1@example.org\n"
      "CSeq: 314159 INVITE\n"
      "Contact: <sip:alice@HOST>\n"
      "Content-Length: 0\n"
      "\n");
  for (std::size_t at; (at = m.find("HOST")) != std::string::npos;) m.replace(at, 4, hostport);
  return m;
}

// The lines of `text` that start with `prefix`, in order.
std::vector<std::string> lines_starting(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t eol = text.find("\r\n", at);
    if (eol == std::string::npos || eol == at) break;
    if (text.compare(at, prefix.size(), prefix) == 0) out.push_back(text.substr(at, eol - at));
    at = eol + 2;
  }
  return out;
}

// The backend's answer to a forwarded request: its Via fields and Record-Route as received.
std::string ok_for(const std::string& forwarded, std::string_view cseq = "314159 INVITE") {
  std::string m = "SIP/2.0 200 OK\r\n";
  for (const std::string& v : lines_starting(forwarded, "Via:")) m += v + "\r\n";
  for (const std::string& v : lines_starting(forwarded, "Record-Route:")) m += v + "\r\n";
  m += "To: Bob <sip:bob@example.com>;tag=b0b\r\nFrom: Alice <sip:alice@example.org>;tag=1928301774\r\n"
       "Call-ID: two-armed-1@example.org\r\nCSeq: " + std::string(cseq) +
       "\r\nContact: <sip:bob@198.19.0.11:5060>\r\nContent-Length: 0\r\n\r\n";
  return m;
}

std::string in_dialog(std::string_view method, std::string_view request_uri, std::string_view via_hostport,
                      std::string_view route, std::string_view cseq) {
  std::string m = std::string(method) + " " + std::string(request_uri) + " SIP/2.0\r\nVia: SIP/2.0/UDP " +
                  std::string(via_hostport) + ";branch=z9hG4bKdlg" + std::string(method) + "\r\nMax-Forwards: 70\r\n";
  if (!route.empty()) m += "Route: " + std::string(route) + "\r\n";
  m += "To: Bob <sip:bob@example.com>;tag=b0b\r\nFrom: Alice <sip:alice@example.org>;tag=1928301774\r\n"
       "Call-ID: two-armed-1@example.org\r\nCSeq: " + std::string(cseq) + "\r\nContent-Length: 0\r\n\r\n";
  return m;
}

struct Sides {
  std::string config;
  std::uint16_t client_net, farm_net;
  Endpoint client;
  std::string client_hostport;   // as the client writes itself
  std::string client_addr;       // as received= carries it
  std::string ours_client, ours_farm;  // our hostports
};

class TwoSides : public ::testing::TestWithParam<Sides> {};

TEST_P(TwoSides, DialogThroughBothSides) {
  const Sides& p = GetParam();
  Harness h(load_config(p.config));
  const Snapshot& s = h.snapshot();
  ASSERT_EQ(s.networks.size(), 2u);
  EXPECT_EQ(s.self_network, p.client_net);

  // INVITE from the client side: our farm address in Via, two Record-Routes, farm side on top.
  Step inv = h.run(invite_from(p.client_hostport), p.client, 0, p.client_net);
  ASSERT_EQ(inv.r.verdict, Verdict::kForward) << to_string(inv.r.reason);
  EXPECT_EQ(inv.r.route.network, p.farm_net);
  EXPECT_EQ(inv.r.route.address, inv.r.next_hop.ip);
  const std::string pin = s.backends[static_cast<std::size_t>(inv.r.backend)].pin;
  const auto vias = lines_starting(inv.out, "Via:");
  ASSERT_EQ(vias.size(), 2u);
  EXPECT_EQ(vias[0].rfind("Via: SIP/2.0/UDP " + p.ours_farm + ";branch=z9hG4bK", 0), 0u) << inv.out;
  EXPECT_NE(vias[1].find(";rport=5060;received=" + p.client_addr), std::string::npos) << vias[1];
  const auto rrs = lines_starting(inv.out, "Record-Route:");
  ASSERT_EQ(rrs.size(), 2u) << inv.out;
  EXPECT_EQ(rrs[0], "Record-Route: <sip:" + p.ours_farm + ";lr;sipshunt-b=" + pin + ">");
  EXPECT_EQ(rrs[1], "Record-Route: <sip:" + p.ours_client + ";lr;sipshunt-b=" + pin + ">");

  // The backend's 200 (sent to our farm Via) goes back to the client side.
  Step ok = h.run(ok_for(inv.out), inv.r.next_hop, 0, p.farm_net);
  ASSERT_EQ(ok.r.verdict, Verdict::kForward) << to_string(ok.r.reason);
  EXPECT_EQ(ok.r.next_hop, p.client);
  EXPECT_EQ(ok.r.route.network, p.client_net);
  EXPECT_EQ(lines_starting(ok.out, "Via:").size(), 1u);
  EXPECT_EQ(lines_starting(ok.out, "Record-Route:"), rrs) << "Record-Route is the client's to read";

  // The client's ACK and BYE: the Route set reversed (client side first), both entries ours.
  const std::string client_route = "<sip:" + p.ours_client + ";lr;sipshunt-b=" + pin + ">,<sip:" + p.ours_farm +
                                   ";lr;sipshunt-b=" + pin + ">";
  for (const char* method : {"ACK", "BYE"}) {
    SCOPED_TRACE(method);
    Step b = h.run(in_dialog(method, "sip:bob@198.19.0.11:5060", p.client_hostport, client_route,
                             std::string(method == std::string("ACK") ? "314159 " : "314160 ") + method),
                   p.client, 0, p.client_net);
    ASSERT_EQ(b.r.verdict, Verdict::kForward) << to_string(b.r.reason);
    EXPECT_EQ(b.r.reason, Reason::kPinned);
    EXPECT_EQ(b.r.backend, inv.r.backend);
    EXPECT_EQ(b.r.route.network, p.farm_net);
    EXPECT_TRUE(lines_starting(b.out, "Route:").empty()) << b.out;
    EXPECT_EQ(lines_starting(b.out, "Via:")[0].rfind("Via: SIP/2.0/UDP " + p.ours_farm, 0), 0u);
    EXPECT_TRUE(lines_starting(b.out, "Record-Route:").empty());
  }

  // The backend's BYE: the Route set as received (farm side first), to the client's Contact.
  const std::string backend_route = "<sip:" + p.ours_farm + ";lr;sipshunt-b=" + pin + ">, <sip:" + p.ours_client +
                                    ";lr;sipshunt-b=" + pin + ">";
  Step bye = h.run(in_dialog("BYE", "sip:alice@" + p.client_hostport, "198.19.0.11:5060", backend_route, "1 BYE"),
                   inv.r.next_hop, 0, p.farm_net);
  ASSERT_EQ(bye.r.verdict, Verdict::kForward) << to_string(bye.r.reason);
  EXPECT_EQ(bye.r.reason, Reason::kOutbound);
  EXPECT_EQ(bye.r.next_hop, p.client);
  EXPECT_EQ(bye.r.route.network, p.client_net);
  EXPECT_TRUE(lines_starting(bye.out, "Route:").empty()) << bye.out;
  const auto bye_vias = lines_starting(bye.out, "Via:");
  ASSERT_EQ(bye_vias.size(), 2u);
  EXPECT_EQ(bye_vias[0].rfind("Via: SIP/2.0/UDP " + p.ours_client + ";branch=", 0), 0u) << bye.out;

  // The client's 200 to it (sent to our client-side Via) goes back to the backend.
  std::string bye_ok = "SIP/2.0 200 OK\r\n" + bye_vias[0] + "\r\n" + bye_vias[1] +
                       "\r\nTo: Bob <sip:bob@example.com>;tag=b0b\r\nFrom: Alice <sip:alice@example.org>;tag=1928301774\r\n"
                       "Call-ID: two-armed-1@example.org\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n";
  Step back = h.run(bye_ok, p.client, 0, p.client_net);
  ASSERT_EQ(back.r.verdict, Verdict::kForward) << to_string(back.r.reason);
  EXPECT_EQ(back.r.next_hop.ip, inv.r.next_hop.ip);
  EXPECT_EQ(back.r.route.network, p.farm_net);

  // CANCEL: to the same backend with the INVITE's branch, farm-side Via, no Record-Route.
  std::string cancel = invite_from(p.client_hostport);
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("314159 INVITE"), 13, "314159 CANCEL");
  Step c = h.run(cancel, p.client, 0, p.client_net);
  ASSERT_EQ(c.r.verdict, Verdict::kForward);
  EXPECT_EQ(c.r.backend, inv.r.backend);
  EXPECT_EQ(top_branch(c.out), top_branch(inv.out));
  EXPECT_TRUE(lines_starting(c.out, "Record-Route:").empty());
  EXPECT_EQ(c.r.route.network, p.farm_net);
}

INSTANTIATE_TEST_SUITE_P(
    Networks, TwoSides,
    ::testing::Values(
        Sides{kTwoArmed, 0, 1, ep("198.18.0.2:5060"), "198.18.0.2:5060", "198.18.0.2", "198.18.0.1:5060",
              "198.19.0.1:5060"},
        Sides{kSixToFour, 0, 1, ep("[2001:db8:1::2]:5060"), "[2001:db8:1::2]:5060", "2001:db8:1::2",
              "[2001:db8:1::1]:5060", "198.19.0.1:5060"},
        Sides{kTwoArmedServiceAddresses, 0, 1, ep("198.18.0.2:5060"), "198.18.0.2:5060", "198.18.0.2",
              "192.0.2.80:5060", "192.0.2.81:5060"}),
    [](const auto& info) {
      return std::string(info.index == 0 ? "Ipv4Ipv4" : info.index == 1 ? "Ipv6Ipv4Vlans" : "ServiceAddresses");
    });

// A request that crosses networks and already carries a Record-Route (an upstream proxy's):
// both of ours go right before it, the side it leaves by on top (RFC 3261 §16.6 step 4, RFC 5658).
TEST(Networks, CrossingRecordRoutesGoBeforeOneAlreadyThere) {
  Harness h(load_config(kTwoArmed));
  std::string invite = invite_from("198.18.0.2:5060");
  invite.insert(invite.find("To: "), "Record-Route: <sip:upstream.example.org;lr>\r\n");
  const Step inv = h.run(invite, ep("198.18.0.2:5060"), 0, 0);
  ASSERT_EQ(inv.r.verdict, Verdict::kForward) << to_string(inv.r.reason);
  const std::string pin = h.snapshot().backends[static_cast<std::size_t>(inv.r.backend)].pin;
  const auto rrs = lines_starting(inv.out, "Record-Route:");
  ASSERT_EQ(rrs.size(), 3u) << inv.out;
  EXPECT_EQ(rrs[0], "Record-Route: <sip:198.19.0.1:5060;lr;sipshunt-b=" + pin + ">");
  EXPECT_EQ(rrs[1], "Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b=" + pin + ">");
  EXPECT_EQ(rrs[2], "Record-Route: <sip:upstream.example.org;lr>");
  EXPECT_NE(inv.out.find("Max-Forwards: 69\r\n" + rrs[0] + "\r\n" + rrs[1] + "\r\n" + rrs[2] + "\r\nTo: "),
            std::string::npos) << inv.out;
}

// One network with a service address, proxy.address its interface address: Via and Record-Route
// carry the service address; a response to it is ours, one to the interface address is not (no
// Via of ours names it), and a Route naming the service address is ours.
TEST(Networks, OneNetworkWithAServiceAddress) {
  Harness h(load_config(R"([proxy]
address = "198.18.0.1"
default_pool = "farm"
[[dpdk.ports]]
name = "lan"
device = "net_af_packet0"
address = "198.18.0.1"
gateway = "198.18.0.254"
service_address = "192.0.2.80"
)" + kPools));
  Step inv = h.run(invite_from("198.18.0.2:5060"), ep("198.18.0.2:5060"));
  ASSERT_EQ(inv.r.verdict, Verdict::kForward) << to_string(inv.r.reason);
  EXPECT_EQ(lines_starting(inv.out, "Via:")[0].rfind("Via: SIP/2.0/UDP 192.0.2.80:5060;branch=", 0), 0u) << inv.out;
  const auto rrs = lines_starting(inv.out, "Record-Route:");
  ASSERT_EQ(rrs.size(), 1u);
  const std::string pin = h.snapshot().backends[static_cast<std::size_t>(inv.r.backend)].pin;
  EXPECT_EQ(rrs[0], "Record-Route: <sip:192.0.2.80:5060;lr;sipshunt-b=" + pin + ">");
  Step ok = h.run(ok_for(inv.out), inv.r.next_hop);
  ASSERT_EQ(ok.r.verdict, Verdict::kForward) << to_string(ok.r.reason);
  EXPECT_EQ(ok.r.next_hop, ep("198.18.0.2:5060"));
  std::string foreign = ok_for(inv.out);
  foreign.replace(foreign.find("192.0.2.80"), 10, "198.18.0.1");
  EXPECT_EQ(h.run(foreign, inv.r.next_hop).r.reason, Reason::kForeignVia);
  Step bye = h.run(in_dialog("BYE", "sip:bob@198.19.0.11:5060", "198.18.0.2:5060",
                             "<sip:192.0.2.80:5060;lr;sipshunt-b=" + pin + ">", "314160 BYE"),
                   ep("198.18.0.2:5060"));
  ASSERT_EQ(bye.r.verdict, Verdict::kForward) << to_string(bye.r.reason);
  EXPECT_EQ(bye.r.reason, Reason::kPinned);
  EXPECT_EQ(bye.r.backend, inv.r.backend);
}

// A request whose destination no network reaches (no gateway, no route): no-route.
TEST(Networks, DestinationWithoutRouteIsDropped) {
  Harness h(load_config(kTwoArmed));
  Step o = h.run(in_dialog("BYE", "sip:carol@203.0.113.5:5060", "198.19.0.11:5060", "", "1 BYE"), ep("198.19.0.11:5060"),
                 0, 1);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kNoRoute);
  EXPECT_EQ(to_string(Reason::kNoRoute), "no-route");
}

// Arriving and leaving on the same network of several: one Record-Route, as with one network.
TEST(Networks, SameNetworkKeepsOneRecordRoute) {
  Harness h(load_config(kTwoArmed));
  Step o = h.run(invite_from("198.19.0.50:5060"), ep("198.19.0.50:5060"), 0, 1);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  const auto rrs = lines_starting(o.out, "Record-Route:");
  ASSERT_EQ(rrs.size(), 1u);
  EXPECT_EQ(rrs[0].rfind("Record-Route: <sip:198.19.0.1:5060;lr;", 0), 0u);
}

// A response whose top Via names any of our addresses is ours; a foreign one is not. The next
// Via's received= is read with or without brackets (RFC 5118 §4.5).
TEST(Networks, ResponsesToAnyOfOurAddresses) {
  Harness h(load_config(kSixToFour));
  const std::string tail = "To: <sip:b@example.com>;tag=1\r\nFrom: <sip:a@example.com>;tag=2\r\nCall-ID: r1\r\n"
                           "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  for (const char* received : {"2001:db8:1::7", "[2001:db8:1::7]"}) {
    SCOPED_TRACE(received);
    const std::string m = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.19.0.1:5060;branch=z9hG4bKx\r\n"
                          "Via: SIP/2.0/UDP [2001:db8:1::99]:5062;branch=z9hG4bKy;received=" +
                          std::string(received) + "\r\n" + tail;
    Step o = h.run(m, ep("198.19.0.11:5060"), 0, 1);
    ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
    EXPECT_EQ(o.r.next_hop, ep("[2001:db8:1::7]:5062"));
    EXPECT_EQ(o.r.route.network, 0);
  }
  // Our address as our Via writes it (compared as text) and in other spellings (read).
  for (const char* top : {"[2001:db8:1::1]", "[2001:DB8:1::1]", "[2001:db8:1:0:0:0:0:1]", "[2001:0db8:1::0001]"}) {
    SCOPED_TRACE(top);
    Step ours6 = h.run("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP " + std::string(top) + ":5060;branch=z9hG4bKx\r\n"
                       "Via: SIP/2.0/UDP 198.19.0.11:5060;branch=z9hG4bKy\r\n" + tail,
                       ep("[2001:db8:1::2]:5060"), 0, 0);
    EXPECT_EQ(ours6.r.verdict, Verdict::kForward) << to_string(ours6.r.reason);
    EXPECT_EQ(ours6.r.route.network, 1);
  }
  for (const char* top : {"198.19.0.1", "198.019.0.1"}) {  // the farm side's address, as text and read
    SCOPED_TRACE(top);
    Step ours4 = h.run("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP " + std::string(top) + ":5060;branch=z9hG4bKx\r\n"
                       "Via: SIP/2.0/UDP [2001:db8:1::99]:5062;branch=z9hG4bKy\r\n" + tail,
                       ep("198.19.0.11:5060"), 0, 1);
    EXPECT_EQ(ours4.r.verdict, Verdict::kForward) << to_string(ours4.r.reason);
  }
  Step foreign = h.run("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP [2001:db8:1::5]:5060;branch=z9hG4bKx\r\n"
                       "Via: SIP/2.0/UDP 198.19.0.11:5060;branch=z9hG4bKy\r\n" + tail,
                       ep("[2001:db8:1::2]:5060"), 0, 0);
  EXPECT_EQ(foreign.r.reason, Reason::kForeignVia);
}

// RFC 3261 §18.2.1 with an IPv6 source: received= carries the address without brackets (RFC 5118
// §4.5: never send them); a bracketed received naming another address is replaced.
TEST(Networks, Ipv6ReceivedIsWrittenBare) {
  Harness h(load_config(kSixToFour));
  std::string m = invite_from("[2001:db8:1::99]:5060");
  m.replace(m.find(";rport"), 6, "");
  Step o = h.run(m, ep("[2001:db8:1::2]:5060"), 0, 0);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_NE(o.out.find("Via: SIP/2.0/UDP [2001:db8:1::99]:5060;branch=z9hG4bK776asdhds;received=2001:db8:1::2\r\n"),
            std::string::npos) << o.out;
  std::string bracketed = invite_from("[2001:db8:1::99]:5060");
  bracketed.replace(bracketed.find(";rport"), 6, ";received=[2001:db8:1::5]");
  o = h.run(bracketed, ep("[2001:db8:1::2]:5060"), 0, 0);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_NE(o.out.find(";received=2001:db8:1::2\r\n"), std::string::npos) << o.out;
  // The same address in brackets is the source already: left as it came.
  bracketed.replace(bracketed.find("[2001:db8:1::5]"), 15, "[2001:db8:1::2]");
  o = h.run(bracketed, ep("[2001:db8:1::2]:5060"), 0, 0);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_NE(o.out.find(";received=[2001:db8:1::2]\r\n"), std::string::npos) << o.out;
}

// Unknown arrival network indices fall back to the network of proxy.address.
TEST(Networks, ArrivalBeyondTheListIsTheProxyAddressNetwork) {
  Harness h(load_config(kTwoArmed));
  Step o = h.run(invite_from("198.18.0.2:5060"), ep("198.18.0.2:5060"), 0, 7);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(lines_starting(o.out, "Record-Route:").size(), 2u);
}

}  // namespace
}  // namespace sipshunt::proxy::test
