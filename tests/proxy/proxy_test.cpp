// The proxy's behaviour, DESIGN.md "What correct means for the proxy": golden call flows,
// branches, RFC 3581, Max-Forwards, responses, stateless replies, pins and drains, rate bound,
// and the property that every byte the proxy does not own is forwarded unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "helpers.hpp"
#include "sipshunt/proxy/explain.hpp"

#include "sipshunt/rules/rules.hpp"
#include "support/config_fixture.hpp"

namespace sipshunt::proxy::test {
namespace {

// The proxy_fixture() world with b3 listening on port 5080.
test_support::ConfigFixture base_config() {
  test_support::ConfigFixture c = test_support::proxy_fixture();
  c.pools[0].backends[2].port = 5080;
  return c;
}
const std::string kConfig = base_config().toml();

const Endpoint kCaller = ep("198.18.0.2:5060");

// The caller's INVITE of RFC 3665 §3.2 style, from 198.18.0.2 with rport.
std::string invite(std::string_view call_id = "a84b4c76e66710@pc33.example.org",
                   std::string_view branch = "z9hG4bK776asdhds") {
  std::string m = crlf(
      "INVITE sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=BRANCH;rport\n"
      "Max-Forwards: 70\n"
      "To: Bob <sip:bob@example.com>\n"
      "From: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: CALLID\n"
      "CSeq: 314159 INVITE\n"
      "Contact: <sip:alice@198.18.0.2:5060>\n"
      "Content-Type: application/sdp\n"
      "Content-Length: 36\n"
      "\n"
      "v=0\n"
      "o=alice 1 1 IN IP4 198.18.0.2\n");
  m.replace(m.find("BRANCH"), 6, branch);
  m.replace(m.find("CALLID"), 6, call_id);
  return m;
}

// One header line of `text` (without CRLF) that starts with `prefix`, "" when none.
std::string line_starting(const std::string& text, std::string_view prefix) {
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t eol = text.find("\r\n", at);
    if (eol == std::string::npos) break;
    if (text.compare(at, prefix.size(), prefix) == 0) return text.substr(at, eol - at);
    if (eol == at) break;  // end of headers
    at = eol + 2;
  }
  return "";
}

bool is_hex16(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

class ProxyTest : public ::testing::Test {
 protected:
  Harness h{load_config(kConfig)};
};

// --- golden call flow -------------------------------------------------------------------------

TEST_F(ProxyTest, InviteIsForwardedWithOurViaRecordRouteAndDecrementedMaxForwards) {
  const std::string in = invite();
  const Step o = h.run(in, kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.reason, Reason::kForwarded);
  EXPECT_EQ(o.r.kind, Kind::kRequest);
  ASSERT_GE(o.r.backend, 0);
  const BackendView& b = h.snapshot().backends[static_cast<std::size_t>(o.r.backend)];
  EXPECT_EQ(o.r.next_hop, b.endpoint);
  EXPECT_EQ(o.r.pool, 0);
  const std::string branch = top_branch(o.out);
  ASSERT_EQ(branch.substr(0, 7), "z9hG4bK");
  EXPECT_TRUE(is_hex16(branch.substr(7))) << branch;
  // The same branch as every earlier version (XXH3 of z9hG4bK776asdhds, 198.18.0.2, 5060): an
  // instance upgraded while its peers still run the old one must give a retransmission, its
  // CANCEL and its ACK the branch the old one gave.
  EXPECT_EQ(branch, "z9hG4bK9d4871cfe0458c51");
  const std::string expected = crlf(
      "INVITE sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" + branch + "\n"
      "Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b=" + b.name + ">\n"
      "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK776asdhds;rport=5060;received=198.18.0.2\n"
      "Max-Forwards: 69\n"
      "To: Bob <sip:bob@example.com>\n"
      "From: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: a84b4c76e66710@pc33.example.org\n"
      "CSeq: 314159 INVITE\n"
      "Contact: <sip:alice@198.18.0.2:5060>\n"
      "Content-Type: application/sdp\n"
      "Content-Length: 36\n"
      "\n"
      "v=0\n"
      "o=alice 1 1 IN IP4 198.18.0.2\n");
  EXPECT_EQ(o.out, expected);
}

TEST_F(ProxyTest, ProvisionalAndFinalResponsesGoBackToTheCaller) {
  const Step inv = h.run(invite(), kCaller);
  ASSERT_EQ(inv.r.verdict, Verdict::kForward);
  const Endpoint backend = inv.r.next_hop;
  // The backend answers with the Via and Record-Route it received.
  const std::string our_via = line_starting(inv.out, "Via: SIP/2.0/UDP 198.18.0.1");
  const std::string caller_via = line_starting(inv.out, "Via: SIP/2.0/UDP 198.18.0.2");
  const std::string rr = line_starting(inv.out, "Record-Route:");
  for (std::string_view status : {"100 Trying", "180 Ringing", "200 OK"}) {
    const bool trying = status[0] == '1' && status[1] == '0';
    std::string resp = "SIP/2.0 " + std::string(status) + "\r\n" + our_via + "\r\n" + caller_via + "\r\n" +
                       (trying ? "" : rr + "\r\n") +
                       crlf(std::string("To: Bob <sip:bob@example.com>") + (trying ? "" : ";tag=a6c85cf") +
                            "\n"
                            "From: Alice <sip:alice@example.org>;tag=1928301774\n"
                            "Call-ID: a84b4c76e66710@pc33.example.org\n"
                            "CSeq: 314159 INVITE\n"
                            "Contact: <sip:bob@198.19.0.11:5060>\n"
                            "Content-Length: 0\n"
                            "\n");
    const Step o = h.run(resp, backend);
    ASSERT_EQ(o.r.verdict, Verdict::kForward) << status << " " << to_string(o.r.reason);
    EXPECT_EQ(o.r.reason, Reason::kResponse);
    EXPECT_EQ(o.r.kind, Kind::kResponse);
    EXPECT_EQ(o.r.next_hop, kCaller);
    std::string expected = resp;
    expected.erase(expected.find(our_via), our_via.size() + 2);
    EXPECT_EQ(o.out, expected) << status;
  }
}

TEST_F(ProxyTest, ResponseGoesToRportAndReceivedBehindNat) {
  // The caller is behind a NAT: its Via says 10.0.0.5:5060, the packet comes from 198.18.0.2:40000.
  std::string in = invite();
  in.replace(in.find("198.18.0.2:5060;branch"), 15, "10.0.0.5:5060");
  const Endpoint nat = ep("198.18.0.2:40000");
  const Step inv = h.run(in, nat);
  ASSERT_EQ(inv.r.verdict, Verdict::kForward);
  const std::string caller_via = line_starting(inv.out, "Via: SIP/2.0/UDP 10.0.0.5");
  EXPECT_EQ(caller_via, "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK776asdhds;rport=40000;received=198.18.0.2");
  const std::string resp = crlf("SIP/2.0 180 Ringing\n" + line_starting(inv.out, "Via: SIP/2.0/UDP 198.18.0.1") +
                                "\n" + caller_via +
                                "\nTo: <sip:bob@example.com>;tag=1\nFrom: <sip:alice@example.org>;tag=2\n"
                                "Call-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
  const Step o = h.run(resp, inv.r.next_hop);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.next_hop, nat);
}

// In-dialog requests from the caller carry our Record-Route as their Route.
std::string in_dialog(std::string_view method, std::string_view pin, std::string_view branch, std::uint32_t cseq,
                      std::string_view call_id = "a84b4c76e66710@pc33.example.org") {
  std::string m = std::string(method) + " sip:bob@198.19.0.11:5060 SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=" + std::string(branch) + "\r\n";
  m += "Route: <sip:198.18.0.1:5060;lr;sipshunt-b=" + std::string(pin) + ">\r\n";
  m += crlf(
      "Max-Forwards: 70\n"
      "To: Bob <sip:bob@example.com>;tag=a6c85cf\n"
      "From: Alice <sip:alice@example.org>;tag=1928301774\n");
  m += "Call-ID: " + std::string(call_id) + "\r\n";
  m += "CSeq: " + std::to_string(cseq) + " " + std::string(method) + "\r\nContent-Length: 0\r\n\r\n";
  return m;
}

TEST_F(ProxyTest, AckAndByeFollowTheRecordRouteToTheSameBackend) {
  // Pin each backend in turn: at least two of them are not where Maglev would send the Call-ID.
  for (std::string_view pin : {"b1", "b2", "b3"}) {
    for (std::string_view method : {"ACK", "BYE"}) {
      const std::string in = in_dialog(method, pin, "z9hG4bKnashds8", method == "ACK" ? 314159 : 314160);
      const Step o = h.run(in, kCaller);
      ASSERT_EQ(o.r.verdict, Verdict::kForward) << method << " " << pin;
      EXPECT_EQ(o.r.reason, Reason::kPinned);
      EXPECT_EQ(h.backend_name(o.r), pin);
      EXPECT_EQ(o.r.next_hop, h.snapshot().backends[static_cast<std::size_t>(h.backend_index(pin))].endpoint);
      EXPECT_EQ(o.out.find("Route:"), std::string::npos) << "our Route must be popped:\n" << o.out;
      EXPECT_EQ(o.out.find("Record-Route:"), std::string::npos) << "in-dialog requests are not record-routed";
    }
  }
}

// RFC 3261 §16.4 and §16.12.1.2: an RFC 2543 strict router puts our Record-Route URI in the
// Request-URI and the remote target last in the Route set. We restore the Request-URI from that
// last value, drop it from the Route set, and follow our pin.
TEST_F(ProxyTest, StrictRoutedRequestsGetTheirRequestUriBackAndFollowThePin) {
  const auto bye = [](std::string_view ruri, std::string_view routes) {
    std::string m = "BYE " + std::string(ruri) + " SIP/2.0\n";
    m += "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bKstrict1\n";
    m += routes;
    m += "Max-Forwards: 70\nFrom: Alice <sip:alice@example.org>;tag=1928301774\n"
         "To: Bob <sip:bob@example.com>;tag=a6c85cf\nCall-ID: strict-1@pc33.example.org\nCSeq: 2 BYE\n"
         "Content-Length: 0\n\n";
    return crlf(m);
  };
  const std::string ours = "sip:198.18.0.1:5060;lr;sipshunt-b=b2";
  Step o = h.run(bye(ours, "Route: <sip:bob@198.19.0.12:5060>\n"), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  EXPECT_EQ(o.r.reason, Reason::kPinned);
  EXPECT_EQ(h.backend_name(o.r), "b2");
  const std::string branch = top_branch(o.out);
  EXPECT_EQ(o.out, crlf("BYE sip:bob@198.19.0.12:5060 SIP/2.0\n"
                        "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" + branch + "\n"
                        "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bKstrict1\n"
                        "Max-Forwards: 69\nFrom: Alice <sip:alice@example.org>;tag=1928301774\n"
                        "To: Bob <sip:bob@example.com>;tag=a6c85cf\nCall-ID: strict-1@pc33.example.org\n"
                        "CSeq: 2 BYE\nContent-Length: 0\n\n"));

  // More Route values: only the last one leaves, with its separator.
  o = h.run(bye(ours, "Route: <sip:p9.example.net;lr>, <sip:bob@198.19.0.12:5060>;x=1\n"), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.out.rfind("BYE sip:bob@198.19.0.12:5060 SIP/2.0\r\n", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("\r\nRoute: <sip:p9.example.net;lr>\r\nMax-Forwards: 69\r\n"), std::string::npos) << o.out;
  o = h.run(bye(ours, "Route: <sip:p9.example.net;lr>\nRoute: <sip:bob@198.19.0.12:5060>\n"), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_NE(o.out.find("\r\nRoute: <sip:p9.example.net;lr>\r\nMax-Forwards: 69\r\n"), std::string::npos) << o.out;

  // The pinned backend is down: the rules decide, and the Request-URI is still restored.
  Harness down(load_config(kConfig), {{"b2", false, config::AdminState::kEnabled}});
  o = down.run(bye(ours, "Route: <sip:bob@198.19.0.12:5060>\n"), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.reason, Reason::kForwarded);
  EXPECT_NE(down.backend_name(o.r), "b2");
  EXPECT_EQ(o.out.rfind("BYE sip:bob@198.19.0.12:5060 SIP/2.0\r\n", 0), 0u) << o.out;

  // Not ours: a user part, another port, or no pin. Forwarded as it came (Route kept).
  for (std::string_view ruri : {"sip:bob@198.18.0.1:5060;lr;sipshunt-b=b2", "sip:198.18.0.1:5070;lr;sipshunt-b=b2",
                                "sip:198.18.0.1:5060;lr"}) {
    SCOPED_TRACE(std::string(ruri));
    o = h.run(bye(ruri, "Route: <sip:bob@198.19.0.12:5060>\n"), kCaller);
    ASSERT_EQ(o.r.verdict, Verdict::kForward);
    EXPECT_EQ(o.r.reason, Reason::kForwarded);
    EXPECT_EQ(o.out.rfind("BYE " + std::string(ruri) + " SIP/2.0\r\n", 0), 0u) << o.out;
    EXPECT_NE(o.out.find("Route: <sip:bob@198.19.0.12:5060>"), std::string::npos);
  }

  // A backend's strict-routed request goes where the restored Route set says.
  o = h.run(bye("sip:198.18.0.1:5060;lr;sipshunt-b=b1", "Route: <sip:alice@198.18.0.2:5062>\n"),
            ep("198.19.0.11:5060"));
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  EXPECT_EQ(o.r.reason, Reason::kOutbound);
  EXPECT_EQ(o.r.next_hop, ep("198.18.0.2:5062"));
  EXPECT_EQ(o.out.rfind("BYE sip:alice@198.18.0.2:5062 SIP/2.0\r\n", 0), 0u) << o.out;
  EXPECT_EQ(o.out.find("Route:"), std::string::npos) << o.out;
}

TEST_F(ProxyTest, CancelAndNon2xxAckReachTheInvitesBackendWithTheInvitesBranch) {
  const std::string inv_text = invite("cancel-test-1@198.18.0.2");
  const Step inv = h.run(inv_text, kCaller);
  ASSERT_EQ(inv.r.verdict, Verdict::kForward);
  const std::string cancel = crlf(
      "CANCEL sip:bob@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK776asdhds;rport\n"
      "Max-Forwards: 70\n"
      "To: Bob <sip:bob@example.com>\n"
      "From: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: cancel-test-1@198.18.0.2\n"
      "CSeq: 314159 CANCEL\n"
      "Content-Length: 0\n\n");
  const Step c = h.run(cancel, kCaller);
  ASSERT_EQ(c.r.verdict, Verdict::kForward);
  EXPECT_EQ(c.r.backend, inv.r.backend);
  EXPECT_EQ(top_branch(c.out), top_branch(inv.out));
  EXPECT_EQ(c.out.find("Record-Route"), std::string::npos);

  // The ACK for a 487 carries the same top Via and the response's To-tag.
  std::string ack = cancel;
  ack.replace(ack.find("CANCEL sip"), 6, "ACK");
  ack.replace(ack.find("CSeq: 314159 CANCEL"), 19, "CSeq: 314159 ACK");
  ack.replace(ack.find("To: Bob <sip:bob@example.com>"), 29, "To: Bob <sip:bob@example.com>;tag=487tag");
  const Step a = h.run(ack, kCaller);
  ASSERT_EQ(a.r.verdict, Verdict::kForward);
  EXPECT_EQ(a.r.backend, inv.r.backend);
  EXPECT_EQ(top_branch(a.out), top_branch(inv.out));
}

TEST_F(ProxyTest, RetransmissionGetsTheSameBranchAndOtherTransactionsDoNot) {
  const Step first = h.run(invite(), kCaller);
  const Step again = h.run(invite(), kCaller);
  EXPECT_EQ(first.out, again.out);
  const Step other = h.run(invite("a84b4c76e66710@pc33.example.org", "z9hG4bK776asdhdt"), kCaller);
  EXPECT_NE(top_branch(other.out), top_branch(first.out));
  EXPECT_EQ(other.r.backend, first.r.backend) << "same Call-ID, same backend";
}

TEST_F(ProxyTest, ReInviteStaysOnItsBackendWithoutANewRecordRoute) {
  const std::string in = in_dialog("INVITE", "b2", "z9hG4bKreinv1", 314161);
  const Step o = h.run(in, kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.reason, Reason::kPinned);
  EXPECT_EQ(h.backend_name(o.r), "b2");
  EXPECT_EQ(o.out.find("Record-Route"), std::string::npos);
}

TEST_F(ProxyTest, ByeFromTheBackendGoesToTheCallerThroughItsRouteSet) {
  const Endpoint b3 = ep("198.19.0.13:5080");
  const std::string bye = crlf(
      "BYE sip:alice@198.18.0.2:5060 SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.19.0.13:5080;branch=z9hG4bKb3bye1\n"
      "Route: <sip:198.18.0.1:5060;lr;sipshunt-b=b3>\n"
      "Max-Forwards: 70\n"
      "From: Bob <sip:bob@example.com>;tag=a6c85cf\n"
      "To: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: a84b4c76e66710@pc33.example.org\n"
      "CSeq: 231 BYE\n"
      "Content-Length: 0\n\n");
  const Step o = h.run(bye, b3);
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  EXPECT_EQ(o.r.reason, Reason::kOutbound);
  EXPECT_EQ(o.r.next_hop, kCaller);
  EXPECT_EQ(o.r.backend, -1);
  const std::string branch = top_branch(o.out);
  const std::string expected = crlf(
      "BYE sip:alice@198.18.0.2:5060 SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=" + branch + "\n"
      "Via: SIP/2.0/UDP 198.19.0.13:5080;branch=z9hG4bKb3bye1\n"
      "Max-Forwards: 69\n"
      "From: Bob <sip:bob@example.com>;tag=a6c85cf\n"
      "To: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: a84b4c76e66710@pc33.example.org\n"
      "CSeq: 231 BYE\n"
      "Content-Length: 0\n\n");
  EXPECT_EQ(o.out, expected);

  // The caller's 200 OK comes back through us to b3.
  const std::string ok = crlf("SIP/2.0 200 OK\n" + line_starting(o.out, "Via: SIP/2.0/UDP 198.18.0.1") +
                              "\nVia: SIP/2.0/UDP 198.19.0.13:5080;branch=z9hG4bKb3bye1\n"
                              "From: Bob <sip:bob@example.com>;tag=a6c85cf\n"
                              "To: Alice <sip:alice@example.org>;tag=1928301774\n"
                              "Call-ID: a84b4c76e66710@pc33.example.org\nCSeq: 231 BYE\nContent-Length: 0\n\n");
  const Step r = h.run(ok, kCaller);
  ASSERT_EQ(r.r.verdict, Verdict::kForward);
  EXPECT_EQ(r.r.next_hop, b3);
}

// Many SIP servers send requests from another port than the one they listen on (an ephemeral
// port, another transport's socket). Such a BYE is still the backend's: it goes out to the
// caller, not back into the pool (where the pin would send it to the backend itself).
TEST_F(ProxyTest, ABackendSendingFromAnotherPortIsStillABackend) {
  const std::string bye = crlf(
      "BYE sip:alice@198.18.0.2:5060 SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.19.0.13:5080;branch=z9hG4bKb3bye2\n"
      "Route: <sip:198.18.0.1:5060;lr;sipshunt-b=b3>\n"
      "Max-Forwards: 70\n"
      "From: Bob <sip:bob@example.com>;tag=a6c85cf\n"
      "To: Alice <sip:alice@example.org>;tag=1928301774\n"
      "Call-ID: eph@pc33.example.org\n"
      "CSeq: 232 BYE\n"
      "Content-Length: 0\n\n");
  const Step o = h.run(bye, ep("198.19.0.13:40123"));
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  EXPECT_EQ(o.r.reason, Reason::kOutbound);
  EXPECT_EQ(o.r.next_hop, kCaller);

  // With backend_source = "address-port" the same datagram counts as a client's: it follows
  // our pin back to b3.
  test_support::ConfigFixture strict = base_config();
  strict.backend_source = "address-port";
  Harness exact{load_config(strict.toml())};
  const Step e = exact.run(bye, ep("198.19.0.13:40123"));
  ASSERT_EQ(e.r.verdict, Verdict::kForward) << to_string(e.r.reason);
  EXPECT_EQ(e.r.reason, Reason::kPinned);
  EXPECT_EQ(e.r.next_hop, ep("198.19.0.13:5080"));
}

// A backend's request to a host name goes where [proxy.hosts] maps it (any case); the URI's port
// wins over the mapping's; a name the config does not know is dropped, never guessed.
TEST_F(ProxyTest, BackendRequestsToHostNamesFollowTheConfiguredHosts) {
  test_support::ConfigFixture cfg = base_config();
  cfg.hosts = {{"carrier.example.com", "203.0.113.5:5070"}, {"pstn", "198.19.2.1"}};
  Harness hosts{load_config(cfg.toml())};
  const auto invite_to = [](std::string_view ruri, std::string_view route) {
    std::string m = "INVITE " + std::string(ruri) + " SIP/2.0\n";
    m += "Via: SIP/2.0/UDP 198.19.0.11:5060;branch=z9hG4bKout1\n";
    if (!route.empty()) m += "Route: " + std::string(route) + "\n";
    m += "Max-Forwards: 70\nFrom: <sip:b1@example.com>;tag=9\nTo: <sip:+15551234@carrier.example.com>\n"
         "Call-ID: out-1@b1\nCSeq: 1 INVITE\nContent-Length: 0\n\n";
    return crlf(m);
  };
  const Endpoint b1 = ep("198.19.0.11:5060");
  Step o = hosts.run(invite_to("sip:+15551234@Carrier.EXAMPLE.com", ""), b1);
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  EXPECT_EQ(o.r.reason, Reason::kOutbound);
  EXPECT_EQ(o.r.next_hop, ep("203.0.113.5:5070"));
  EXPECT_NE(o.out.find("Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b=b1>"), std::string::npos) << o.out;

  o = hosts.run(invite_to("sip:+15551234@carrier.example.com:5099;user=phone", ""), b1);
  EXPECT_EQ(o.r.next_hop, ep("203.0.113.5:5099")) << "the URI's port wins";
  o = hosts.run(invite_to("sip:+15551234@pstn", ""), b1);
  EXPECT_EQ(o.r.next_hop, ep("198.19.2.1:5060")) << "no port anywhere: 5060";
  o = hosts.run(invite_to("sip:+15551234@198.18.0.2", "<sip:pstn;lr>"), b1);
  EXPECT_EQ(o.r.next_hop, ep("198.19.2.1:5060")) << "a Route naming a host";

  o = hosts.run(invite_to("sip:+15551234@unknown.example.com", ""), b1);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kUnresolvableNextHop);
  o = h.run(invite_to("sip:+15551234@carrier.example.com", ""), b1);  // config without [proxy.hosts]
  EXPECT_EQ(o.r.reason, Reason::kUnresolvableNextHop);
}

TEST_F(ProxyTest, BackendRequestFollowsTheNextRouteElseTheRequestUri) {
  const Endpoint b1 = ep("198.19.0.11:5060");
  const std::string base = crlf(
      "BYE sip:alice@198.18.0.2:5062 SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.19.0.11;branch=z9hG4bKb1\n"
      "ROUTES"
      "From: <sip:bob@example.com>;tag=1\nTo: <sip:alice@example.org>;tag=2\n"
      "Call-ID: route-test\nCSeq: 2 BYE\nContent-Length: 0\n\n");
  auto with = [&](std::string routes) {
    std::string m = base;
    m.replace(m.find("ROUTES"), 6, crlf(routes));
    return m;
  };
  // Our Route and another one in the same field: the other becomes the next hop and stays.
  Step o = h.run(with("Route: <sip:198.18.0.1;lr;sipshunt-b=b1>, <sip:198.18.7.7:5070;lr>\n"), b1);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.next_hop, ep("198.18.7.7:5070"));
  EXPECT_NE(o.out.find("\r\nRoute: <sip:198.18.7.7:5070;lr>\r\n"), std::string::npos) << o.out;
  // No Route at all: the Request-URI.
  o = h.run(with(""), b1);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.next_hop, ep("198.18.0.2:5062"));
  // A host name needs resolution the proxy does not do.
  o = h.run(with("Route: <sip:proxy.example.com;lr>\n"), b1);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kUnresolvableNextHop);
  // Routed back to ourselves: a loop.
  o = h.run(with("Route: <sip:198.18.0.1:5060;lr>, <sip:198.18.0.1:5060;lr>\n"), b1);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kNextHopIsSelf);
  // Multicast Request-URI: never sent.
  std::string mc = with("");
  mc.replace(mc.find("198.18.0.2:5062"), 15, "239.1.1.1:5060");
  o = h.run(mc, b1);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kUnsendableDestination);
}

TEST_F(ProxyTest, DialogsStartedByABackendAreRecordRoutedWithItsPin) {
  const Endpoint b2 = ep("198.19.0.12:5060");
  const std::string in = crlf(
      "INVITE sip:carol@198.18.0.9:5060 SIP/2.0\n"
      "Via: SIP/2.0/UDP 198.19.0.12:5060;branch=z9hG4bKb2inv\n"
      "Max-Forwards: 70\nFrom: <sip:bob@example.com>;tag=1\nTo: <sip:carol@example.org>\n"
      "Call-ID: from-backend\nCSeq: 1 INVITE\nContent-Length: 0\n\n");
  const Step o = h.run(in, b2);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.next_hop, ep("198.18.0.9:5060"));
  EXPECT_EQ(line_starting(o.out, "Record-Route:"), "Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b=b2>");
}

TEST_F(ProxyTest, RegisterAndOptionsGoToTheDefaultPoolWithoutRecordRoute) {
  for (std::string_view method : {"REGISTER", "OPTIONS"}) {
    const std::string in = crlf(std::string(method) + " sip:example.com SIP/2.0\n"
                                "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bKreg1\n"
                                "Max-Forwards: 70\nTo: <sip:alice@example.com>\n"
                                "From: <sip:alice@example.com>;tag=456248\nCall-ID: 843817637684230@998sdasdh09\n"
                                "CSeq: 1826 " + std::string(method) + "\n"
                                "Contact: <sip:alice@198.18.0.2>\nExpires: 7200\nContent-Length: 0\n\n");
    const Step o = h.run(in, kCaller);
    ASSERT_EQ(o.r.verdict, Verdict::kForward) << method;
    EXPECT_EQ(o.r.reason, Reason::kForwarded);
    EXPECT_EQ(o.r.pool, 0);
    EXPECT_EQ(o.out.find("Record-Route"), std::string::npos);
    EXPECT_EQ(line_starting(o.out, "Via: SIP/2.0/UDP 198.18.0.2"), "Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bKreg1")
        << "sent-by equals the source and no rport: no received";
  }
}

TEST_F(ProxyTest, Rfc2543RequestsWithoutBranchGetStableBranches) {
  const std::string inv = crlf(
      "INVITE sip:UserB@example.com SIP/2.0\n"
      "Via: SIP/2.0/UDP iftgw.example.com\n"
      "From: <sip:+13035551111@ift.client.example.net;user=phone>;tag=f1\n"
      "To: sip:+16505552222@ss1.example.net;user=phone\n"
      "Call-ID: inv2543.1717@ift.client.example.com\n"
      "CSeq: 56 INVITE\n"
      "Content-Length: 0\n\n");
  const Step a = h.run(inv, kCaller);
  ASSERT_EQ(a.r.verdict, Verdict::kForward);
  EXPECT_EQ(line_starting(a.out, "Via: SIP/2.0/UDP iftgw"), "Via: SIP/2.0/UDP iftgw.example.com;received=198.18.0.2");
  EXPECT_NE(a.out.find("\r\nMax-Forwards: 70\r\n"), std::string::npos);
  const Step again = h.run(inv, kCaller);
  EXPECT_EQ(top_branch(again.out), top_branch(a.out));
  // CANCEL and the non-2xx ACK (with the response's To-tag) get the INVITE's branch.
  std::string cancel = inv;
  cancel.replace(0, 6, "CANCEL");
  cancel.replace(cancel.find("56 INVITE"), 9, "56 CANCEL");
  EXPECT_EQ(top_branch(h.run(cancel, kCaller).out), top_branch(a.out));
  std::string ack = inv;
  ack.replace(0, 6, "ACK");
  ack.replace(ack.find("56 INVITE"), 9, "56 ACK");
  ack.replace(ack.find(";user=phone\r\nCall-ID"), 11, ";user=phone;tag=resp");
  const Step ack_out = h.run(ack, kCaller);
  ASSERT_EQ(ack_out.r.verdict, Verdict::kForward);
  EXPECT_EQ(top_branch(ack_out.out), top_branch(a.out));
  // A new transaction (next CSeq) gets another branch.
  std::string next = inv;
  next.replace(next.find("56 INVITE"), 9, "57 INVITE");
  EXPECT_NE(top_branch(h.run(next, kCaller).out), top_branch(a.out));
}

// --- RFC 3581 and Via ---------------------------------------------------------------------------

TEST_F(ProxyTest, Rfc3581ReceivedAndRport) {
  struct Case {
    std::string via;
    std::string source;
    std::string expected;
  };
  const Case cases[] = {
      {"198.18.0.2:5060;branch=z9hG4bK1", "198.18.0.2:5060", "198.18.0.2:5060;branch=z9hG4bK1"},
      {"198.18.0.2:5060;branch=z9hG4bK1", "198.18.0.3:5060", "198.18.0.2:5060;branch=z9hG4bK1;received=198.18.0.3"},
      {"198.18.0.2;rport;branch=z9hG4bK1", "198.18.0.2:6000",
       "198.18.0.2;rport=6000;branch=z9hG4bK1;received=198.18.0.2"},
      {"client.example.com:5060;branch=z9hG4bK1;rport", "198.18.0.4:1234",
       "client.example.com:5060;branch=z9hG4bK1;rport=1234;received=198.18.0.4"},
      {"198.18.0.2:5060;branch=z9hG4bK1;rport=777", "198.18.0.4:1234",
       "198.18.0.2:5060;branch=z9hG4bK1;rport=777;received=198.18.0.4"},
      {"10.0.0.1;received=10.9.9.9;branch=z9hG4bK1", "198.18.0.4:5060",
       "10.0.0.1;received=198.18.0.4;branch=z9hG4bK1"},
      {"[2001:db8::1]:5060;branch=z9hG4bK1", "198.18.0.4:5060", "[2001:db8::1]:5060;branch=z9hG4bK1;received=198.18.0.4"},
      // A bare rport after a received parameter: the port is written whatever received says.
      {"198.18.0.2;branch=z9hG4bK1;received=198.18.0.3;rport", "198.18.0.3:6000",
       "198.18.0.2;branch=z9hG4bK1;received=198.18.0.3;rport=6000"},
      {"198.18.0.2;branch=z9hG4bK1;received=10.9.9.9;rport", "198.18.0.3:6000",
       "198.18.0.2;branch=z9hG4bK1;received=198.18.0.3;rport=6000"},
      {"198.18.0.2;branch=z9hG4bK1;received;rport", "198.18.0.3:6000",
       "198.18.0.2;branch=z9hG4bK1;received=198.18.0.3;rport=6000"},
      // A bare rport last: its value and the received parameter written as one text.
      {"198.18.0.2:5060;branch=z9hG4bK1;rport", "198.18.0.5:65535",
       "198.18.0.2:5060;branch=z9hG4bK1;rport=65535;received=198.18.0.5"},
  };
  for (const Case& c : cases) {
    const std::string in = crlf("OPTIONS sip:x@example.com SIP/2.0\nVia: SIP/2.0/UDP " + c.via +
                                "\nFrom: <sip:a@b>;tag=1\nTo: <sip:x@example.com>\nCall-ID: rport-" + c.via +
                                "\nCSeq: 1 OPTIONS\nMax-Forwards: 5\nContent-Length: 0\n\n");
    const Step o = h.run(in, ep(c.source));
    ASSERT_EQ(o.r.verdict, Verdict::kForward) << c.via;
    sip::Status st;
    auto m = parse(o.out, &st);
    ASSERT_EQ(st, sip::Status::kOk);
    const auto vias = all_vias(*m);
    ASSERT_EQ(vias.size(), 2u);
    EXPECT_EQ(vias[1].value, "SIP/2.0/UDP " + c.expected) << c.via;
  }
}

TEST_F(ProxyTest, MaxForwardsEdgeCases) {
  struct Case {
    const char* header;  // nullptr: absent
    Verdict verdict;
    std::uint16_t status;
    const char* forwarded;
  };
  const Case cases[] = {
      {nullptr, Verdict::kForward, 0, "Max-Forwards: 70"},
      {"Max-Forwards: 0", Verdict::kReply, 483, nullptr},
      {"Max-Forwards: 1", Verdict::kForward, 0, "Max-Forwards: 0"},
      {"Max-Forwards: 255", Verdict::kForward, 0, "Max-Forwards: 254"},
      {"Max-Forwards: 101", Verdict::kForward, 0, "Max-Forwards: 100"},
      {"Max-Forwards: 256", Verdict::kReply, 400, nullptr},
      {"Max-Forwards:   010", Verdict::kForward, 0, "Max-Forwards:   9"},
  };
  for (const Case& c : cases) {
    std::string in = "OPTIONS sip:x@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKmf\r\n";
    if (c.header != nullptr) in += std::string(c.header) + "\r\n";
    in += crlf("From: <sip:a@b>;tag=1\nTo: <sip:x@example.com>\nCall-ID: mf\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n");
    const Step o = h.run(in, kCaller);
    const std::string name = c.header != nullptr ? c.header : "(absent)";
    ASSERT_EQ(o.r.verdict, c.verdict) << name << " " << to_string(o.r.reason);
    if (c.verdict == Verdict::kReply) {
      EXPECT_EQ(o.r.status, c.status) << name;
      EXPECT_EQ(o.out.substr(0, 11), "SIP/2.0 " + std::to_string(c.status)) << name;
    } else {
      EXPECT_EQ(line_starting(o.out, "Max-Forwards:"), c.forwarded) << name;
    }
  }
  EXPECT_EQ(h.run(crlf("OPTIONS sip:x SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKmf\nMax-Forwards: 0\n"
                       "From: <sip:a@b>;tag=1\nTo: <sip:x>\nCall-ID: mf\nCSeq: 1 OPTIONS\n\n"),
                  kCaller)
                .r.reason,
            Reason::kMaxForwardsExhausted);
}

// --- responses ----------------------------------------------------------------------------------

std::string response_with_vias(std::string_view vias) {
  return crlf("SIP/2.0 200 OK\n" + std::string(vias) +
              "From: <sip:a@b>;tag=1\nTo: <sip:x@example.com>;tag=2\nCall-ID: resp\nCSeq: 1 OPTIONS\n"
              "Content-Length: 0\n\n");
}

TEST_F(ProxyTest, ResponseWhoseTopViaIsNotOursIsDropped) {
  for (std::string_view top : {"198.18.0.9:5060", "198.18.0.1:5061", "proxy.example.com", "198.18.0.10"}) {
    const Step o = h.run(response_with_vias("Via: SIP/2.0/UDP " + std::string(top) +
                                               ";branch=z9hG4bKx\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKy\n"),
                            ep("198.19.0.11:5060"));
    EXPECT_EQ(o.r.verdict, Verdict::kDrop) << top;
    EXPECT_EQ(o.r.reason, Reason::kForeignVia) << top;
  }
  // Our address without a port is ours when we listen on 5060.
  const Step o = h.run(response_with_vias("Via: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bKx\n"
                                             "Via: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKy\n"),
                          ep("198.19.0.11:5060"));
  EXPECT_EQ(o.r.verdict, Verdict::kForward);
}

TEST_F(ProxyTest, OurViaIsRemovedFromACommaList) {
  const std::string in = response_with_vias(
      "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKours , SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bKy\n"
      "Via: SIP/2.0/UDP 198.18.0.5;branch=z9hG4bKz\n");
  const Step o = h.run(in, ep("198.19.0.11:5060"));
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.next_hop, ep("198.18.0.2:5070"));
  EXPECT_EQ(line_starting(o.out, "Via:"), "Via: SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bKy");
}

TEST_F(ProxyTest, NothingIsSentToBroadcastMulticastOrUnspecifiedAddresses) {
  for (std::string_view next : {"255.255.255.255", "224.0.0.1:5060", "239.255.255.250", "0.0.0.0",
                                "198.18.0.2;received=255.255.255.255", "[ff02::1]", "[::]:5060"}) {
    const Step o = h.run(response_with_vias("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKx\nVia: SIP/2.0/UDP " +
                                               std::string(next) + ";branch=z9hG4bKy\n"),
                            ep("198.19.0.11:5060"));
    EXPECT_EQ(o.r.verdict, Verdict::kDrop) << next;
    EXPECT_EQ(o.r.reason, Reason::kUnsendableDestination) << next;
  }
  // A stateless reply to an unspecified source address is not sent either.
  const Step o = h.run(crlf("OPTIONS sip:x SIP/2.0\nVia: SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKmf\nMax-Forwards: 0\n"
                               "From: <sip:a@b>;tag=1\nTo: <sip:x>\nCall-ID: mf\nCSeq: 1 OPTIONS\n\n"),
                          ep("0.0.0.0:5060"));
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kUnsendableDestination);
}

TEST_F(ProxyTest, ResponseWithOnlyOurViaOrAHostNameIsDropped) {
  Step o = h.run(response_with_vias("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKx\n"), ep("198.19.0.11:5060"));
  EXPECT_EQ(o.r.reason, Reason::kNoNextVia);
  o = h.run(response_with_vias("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKx\n"
                               "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKy\n"),
            ep("198.19.0.11:5060"));
  EXPECT_EQ(o.r.reason, Reason::kUnresolvableNextHop);
  o = h.run(response_with_vias("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKx\n"
                               "Via: SIP/2.0/UDP client.example.com;branch=z9hG4bKy;received=198.18.0.8;rport=4444\n"),
            ep("198.19.0.11:5060"));
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.r.next_hop, ep("198.18.0.8:4444"));
}

TEST_F(ProxyTest, ProbeRepliesAreHandedToHealthNotForwarded) {
  std::string in = response_with_vias("Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKprobe\n");
  in.replace(in.find("Call-ID: resp"), 13, "Call-ID: sipshunt-probe-b1-17");
  const Step o = h.run(in, ep("198.19.0.11:5060"));
  EXPECT_EQ(o.r.verdict, Verdict::kLocal);
  EXPECT_EQ(o.r.reason, Reason::kLocalReply);
  EXPECT_EQ(o.r.status, 200);
}

// --- stateless replies ----------------------------------------------------------------------------

TEST_F(ProxyTest, StatelessReplyCopiesViaFromToCallIdCSeqAndAddsATag) {
  const std::string in = crlf(
      "OPTIONS sip:user@example.com SIP/2.0\n"
      "v: SIP/2.0/UDP 198.18.0.2:5062;rport;branch=z9hG4bKzero\n"
      "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKinner\n"
      "To: sip:user@example.com\n"
      "From: sip:caller@example.net;tag=3ghsd41\n"
      "Call-ID: zeromf.1\n"
      "CSeq: 39234321 OPTIONS\n"
      "Max-Forwards: 0\n"
      "Content-Length: 0\n\n");
  const Endpoint src = ep("198.18.0.2:40000");
  const Step o = h.run(in, src);
  ASSERT_EQ(o.r.verdict, Verdict::kReply);
  EXPECT_EQ(o.r.status, 483);
  EXPECT_EQ(o.r.next_hop, src) << "rport: back to the source port";
  sip::Status st;
  auto m = parse(o.out, &st);
  ASSERT_EQ(st, sip::Status::kOk) << o.out;
  const std::string tag(m->to_tag);
  EXPECT_TRUE(is_hex16(tag)) << tag;
  EXPECT_EQ(o.out, crlf("SIP/2.0 483 Too Many Hops\n"
                        "v: SIP/2.0/UDP 198.18.0.2:5062;rport=40000;branch=z9hG4bKzero;received=198.18.0.2\n"
                        "Via: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKinner\n"
                        "To: sip:user@example.com;tag=" + tag + "\n"
                        "From: sip:caller@example.net;tag=3ghsd41\n"
                        "Call-ID: zeromf.1\n"
                        "CSeq: 39234321 OPTIONS\n"
                        "Content-Length: 0\n\n"));
  // A retransmission gets the same reply, tag included.
  EXPECT_EQ(h.run(in, src).out, o.out);
  EXPECT_EQ(h.worker().counters.replies_by_status[483], 2u);
  EXPECT_EQ(h.worker().counters.by_reason[static_cast<std::size_t>(Reason::kMaxForwardsExhausted)], 2u);
}

TEST_F(ProxyTest, ReplyWithoutRportGoesToTheSentByPortAtTheSourceAddress) {
  const std::string in = crlf("OPTIONS sip:x SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2:5070;branch=z9hG4bKp\n"
                              "Max-Forwards: 0\nFrom: <sip:a@b>;tag=1\nTo: <sip:x>;tag=9\nCall-ID: p\nCSeq: 1 OPTIONS\n\n");
  const Step o = h.run(in, ep("198.18.0.3:40000"));
  ASSERT_EQ(o.r.verdict, Verdict::kReply);
  EXPECT_EQ(o.r.next_hop, ep("198.18.0.3:5070"));
  EXPECT_NE(o.out.find("To: <sip:x>;tag=9\r\n"), std::string::npos) << "an existing To-tag is kept";
}

TEST_F(ProxyTest, ProxyRequireGets420WithUnsupported) {
  const std::string in = crlf(
      "OPTIONS sip:user@example.com SIP/2.0\nTo: sip:j_user@example.com\nFrom: sip:caller@example.net;tag=242etr\n"
      "Max-Forwards: 6\nCall-ID: bext01.0ha0isndaksdj\nRequire: nothingSupportsThis\n"
      "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\nProxy-Require: third\nCSeq: 8 OPTIONS\n"
      "Via: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKkdjuw\nContent-Length: 0\n\n");
  const Step o = h.run(in, kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kReply);
  EXPECT_EQ(o.r.status, 420);
  EXPECT_EQ(o.r.reason, Reason::kUnsupportedExtension);
  EXPECT_EQ(line_starting(o.out, "Unsupported:"), "Unsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis, third");
}

TEST_F(ProxyTest, NoReplyToAnAckEver) {
  const std::string ack_base = crlf(
      "ACK sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKack\nMAXFWD"
      "From: <sip:a@b>;tag=1\nTo: <sip:bob@example.com>;tag=2\nCall-ID: ack\nCSeq: 1 ACK\nEXTRA\n");
  auto ack = [&](std::string_view mf, std::string_view extra) {
    std::string m = ack_base;
    m.replace(m.find("MAXFWD"), 6, mf);
    m.replace(m.find("EXTRA"), 5, extra);
    return m;
  };
  const std::string cases[] = {
      ack("Max-Forwards: 0\r\n", ""),                                  // would be 483
      ack("Max-Forwards: 5\r\n", "Proxy-Require: foo\r\n"),            // would be 420
      ack("Max-Forwards: 256\r\n", ""),                                // would be 400
      ack("", "Content-Length: 99\r\n"),                               // would be 400
  };
  for (const std::string& in : cases) {
    const Step o = h.run(in, kCaller);
    EXPECT_EQ(o.r.verdict, Verdict::kDrop) << in;
    EXPECT_TRUE(o.out.empty());
  }
  EXPECT_EQ(h.run(cases[0], kCaller).r.reason, Reason::kAckNotAnswered);
  EXPECT_EQ(h.worker().counters.replies_by_status[483], 0u);
  std::string version = cases[0];
  version.replace(version.find("SIP/2.0\r\n"), 7, "SIP/3.0");
  EXPECT_EQ(h.run(version, kCaller).r.verdict, Verdict::kDrop);

  // Nor when no backend is up.
  Harness down(load_config(kConfig), {{"b1", false, config::AdminState::kEnabled},
                                      {"b2", false, config::AdminState::kEnabled},
                                      {"b3", false, config::AdminState::kEnabled}});
  const Step o = down.run(ack("Max-Forwards: 5\r\n", ""), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kAckNotAnswered);
}

TEST_F(ProxyTest, ReplyRateIsBoundedPerWorker) {
  test_support::ConfigFixture cfg = base_config();
  cfg.reply_rate = 20;  // burst: 2 replies
  Harness limited(load_config(cfg.toml()));
  const std::string in = crlf("OPTIONS sip:x SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKrl\nMax-Forwards: 0\n"
                              "From: <sip:a@b>;tag=1\nTo: <sip:x>\nCall-ID: rl\nCSeq: 1 OPTIONS\n\n");
  const std::uint64_t t0 = 1'000'000'000;
  EXPECT_EQ(limited.run(in, kCaller, t0).r.verdict, Verdict::kReply);
  EXPECT_EQ(limited.run(in, kCaller, t0).r.verdict, Verdict::kReply);
  const Step over = limited.run(in, kCaller, t0);
  EXPECT_EQ(over.r.verdict, Verdict::kDrop);
  EXPECT_EQ(over.r.reason, Reason::kReplyRateLimited);
  // 50 ms at 20/s refills one reply.
  EXPECT_EQ(limited.run(in, kCaller, t0 + 50'000'000).r.verdict, Verdict::kReply);
  EXPECT_EQ(limited.run(in, kCaller, t0 + 50'000'000).r.verdict, Verdict::kDrop);
  // Forwarding is not rate bound.
  EXPECT_EQ(limited.run(invite(), kCaller, t0).r.verdict, Verdict::kForward);
}

// --- pools, pins, health and admin states -----------------------------------------------------------

TEST_F(ProxyTest, NoUsableBackendGives503WithRetryAfter) {
  Harness down(load_config(kConfig), {{"b1", false, config::AdminState::kEnabled},
                                      {"b2", true, config::AdminState::kDrained},
                                      {"b3", true, config::AdminState::kDisabled}});
  const Step o = down.run(invite(), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kReply);
  EXPECT_EQ(o.r.status, 503);
  EXPECT_EQ(o.r.reason, Reason::kNoBackendUp);
  EXPECT_EQ(o.r.pool, 0);
  EXPECT_EQ(line_starting(o.out, "Retry-After:"), "Retry-After: " + std::to_string(kRetryAfterSeconds));
  EXPECT_EQ(o.out.substr(0, 31), "SIP/2.0 503 Service Unavailable");
}

TEST_F(ProxyTest, DrainedBackendKeepsItsDialogsButGetsNoNewCalls) {
  Harness drained(load_config(kConfig), {{"b2", true, config::AdminState::kDrained}});
  // New calls never land on b2.
  for (int i = 0; i < 200; ++i) {
    const Step o = drained.run(invite("drain-" + std::to_string(i)), kCaller);
    ASSERT_EQ(o.r.verdict, Verdict::kForward);
    EXPECT_NE(drained.backend_name(o.r), "b2");
  }
  // Pinned in-dialog requests still do.
  Step o = drained.run(in_dialog("BYE", "b2", "z9hG4bKd", 2), kCaller);
  EXPECT_EQ(drained.backend_name(o.r), "b2");
  EXPECT_EQ(o.r.reason, Reason::kPinned);
  // A disabled or down pinned backend: the request is balanced like a new one (and the pin popped).
  Harness gone(load_config(kConfig), {{"b2", true, config::AdminState::kDisabled}, {"b3", false, config::AdminState::kEnabled}});
  for (std::string_view pin : {"b2", "b3", "nosuch"}) {
    o = gone.run(in_dialog("BYE", pin, "z9hG4bKd", 2), kCaller);
    ASSERT_EQ(o.r.verdict, Verdict::kForward);
    EXPECT_EQ(o.r.reason, Reason::kForwarded);
    EXPECT_EQ(gone.backend_name(o.r), "b1");
    EXPECT_EQ(o.out.find("Route:"), std::string::npos);
  }
}

TEST_F(ProxyTest, CallsSpreadOverTheBackendsByCallId) {
  std::map<std::string, int> per_backend;
  for (int i = 0; i < 3000; ++i) {
    const Step o = h.run(invite("spread-" + std::to_string(i) + "@198.18.0.2"), kCaller);
    ASSERT_EQ(o.r.verdict, Verdict::kForward);
    ++per_backend[h.backend_name(o.r)];
  }
  ASSERT_EQ(per_backend.size(), 3u);
  for (const auto& [name, n] : per_backend) EXPECT_NEAR(n, 1000, 150) << name;
  EXPECT_EQ(h.worker().counters.by_backend[0] + h.worker().counters.by_backend[1] + h.worker().counters.by_backend[2],
            3000u);
}

TEST(SnapshotIndex, FindsEveryBackendByEndpointAndPinAndNothingElse) {
  for (const bool strict : {false, true}) {
  SCOPED_TRACE(strict ? "backend_source = address-port" : "backend_source = address (default)");
  test_support::ConfigFixture cfg{.backend_source = strict ? "address-port" : "", .default_pool = "p0"};
  for (int p = 0; p < 3; ++p) {
    cfg.pools.push_back({.name = "p" + std::to_string(p)});
    for (int b = 0; b < 200; ++b)
      cfg.pools.back().backends.push_back({.name = "be-" + std::to_string(p) + "-" + std::to_string(b),
                                           .address = "198.19." + std::to_string(p) + "." + std::to_string(b + 1),
                                           .port = 5060 + b % 3});
  }
  const auto s = build_snapshot(load_config(cfg.toml()), nullptr, {}, 1);
  ASSERT_EQ(s->backends.size(), 600u);
  for (std::size_t i = 0; i < s->backends.size(); ++i) {
    EXPECT_EQ(find_backend(*s, s->backends[i].endpoint), static_cast<std::int32_t>(i));
    EXPECT_EQ(find_pinned(*s, s->backends[i].name), static_cast<std::int32_t>(i));
    Endpoint other = s->backends[i].endpoint;
    other.port = static_cast<std::uint16_t>(other.port + 10);
    EXPECT_EQ(find_backend(*s, other), strict ? -1 : static_cast<std::int32_t>(i)) << "another source port";
  }
  EXPECT_EQ(find_pinned(*s, "be-9-9"), -1);
  EXPECT_EQ(find_pinned(*s, ""), -1);
  EXPECT_EQ(find_backend(*s, ep("198.18.0.2:5060")), -1);
  EXPECT_EQ(find_backend(*s, ep("198.19.0.250:5060")), -1);
  }
}

// Several backends on one host, each on its own port: the port picks the backend; a datagram
// from another port of that host is from the first of them (config order) unless the config
// asks for an exact match.
TEST(SnapshotIndex, BackendsSharingAnAddressAreTellApartByPort) {
  for (const bool strict : {false, true}) {
    SCOPED_TRACE(strict ? "address-port" : "address");
    test_support::ConfigFixture cfg{.backend_source = strict ? "address-port" : "", .default_pool = "p",
                                    .pools = {{.name = "p"}}};
    for (int b = 0; b < 5; ++b)
      cfg.pools[0].backends.push_back({.name = "s" + std::to_string(b), .address = "198.19.0.9", .port = 5070 - b});
    cfg.pools[0].backends.push_back({"other", "198.19.0.10"});
    const auto s = build_snapshot(load_config(cfg.toml()), nullptr, {}, 1);
    for (int b = 0; b < 5; ++b) EXPECT_EQ(find_backend(*s, ep("198.19.0.9:" + std::to_string(5070 - b))), b);
    EXPECT_EQ(find_backend(*s, ep("198.19.0.10:5060")), 5);
    EXPECT_EQ(find_backend(*s, ep("198.19.0.9:40000")), strict ? -1 : 0);
    EXPECT_EQ(find_backend(*s, ep("198.19.0.10:40000")), strict ? -1 : 5);
  }
}

TEST_F(ProxyTest, OurRouteIsPoppedFromACommaListAndRecordRouteGoesFirst) {
  std::string in = invite("rr-order");
  in.replace(in.find("Max-Forwards"), 0,
             "Route: <sip:198.18.0.1;lr>, <sip:198.19.9.9;lr>\r\nRecord-Route: <sip:198.18.3.3;lr>\r\n");
  const Step o = h.run(in, kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(line_starting(o.out, "Route:"), "Route: <sip:198.19.9.9;lr>");
  const std::size_t ours = o.out.find("Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b=");
  const std::size_t theirs = o.out.find("Record-Route: <sip:198.18.3.3;lr>");
  ASSERT_NE(ours, std::string::npos);
  ASSERT_NE(theirs, std::string::npos);
  EXPECT_LT(ours, theirs);
}

TEST_F(ProxyTest, RecordRouteCanBeTurnedOff) {
  test_support::ConfigFixture cfg = base_config();
  cfg.record_route = false;
  Harness off(load_config(cfg.toml()));
  const Step o = off.run(invite(), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(o.out.find("Record-Route"), std::string::npos);
}

TEST_F(ProxyTest, NoDefaultPoolAndNoRuleRepliesTheConfiguredStatus) {
  test_support::ConfigFixture cfg = base_config();
  cfg.default_pool = "";
  cfg.no_match_status = 403;
  cfg.no_match_reason = "Not Here";
  Harness none(load_config(cfg.toml()));
  const Step o = none.run(invite(), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kReply);
  EXPECT_EQ(o.r.status, 403);
  EXPECT_EQ(o.r.reason, Reason::kNoMatch);
  EXPECT_EQ(o.out.substr(0, 24), "SIP/2.0 403 Not Here\r\nVi");
}

TEST(Decision, EachRuleActionKind) {
  const auto base = build_snapshot(load_config(kConfig), nullptr, {}, 1);
  Snapshot s = *base;
  s.rule_views = {RuleView{"to-core", rules::ActionKind::kPool, 0, 0, ""},
                  RuleView{"busy", rules::ActionKind::kReply, -1, 486, ""},
                  RuleView{"teapot", rules::ActionKind::kReply, -1, 418, "I'm a teapot"},
                  RuleView{"blackhole", rules::ActionKind::kDrop, -1, 0, ""}};
  Decision d = decision_for_rule(s, 0);
  EXPECT_EQ(d.kind, rules::ActionKind::kPool);
  EXPECT_EQ(d.pool, 0);
  EXPECT_EQ(d.rule, 0);
  d = decision_for_rule(s, 1);
  EXPECT_EQ(d.kind, rules::ActionKind::kReply);
  EXPECT_EQ(d.status, 486);
  EXPECT_EQ(d.phrase, "Busy Here");
  EXPECT_EQ(d.reason, Reason::kRuleReply);
  d = decision_for_rule(s, 2);
  EXPECT_EQ(d.phrase, "I'm a teapot");
  d = decision_for_rule(s, 3);
  EXPECT_EQ(d.kind, rules::ActionKind::kDrop);
  EXPECT_EQ(d.reason, Reason::kRuleDrop);
  d = decision_for_rule(s, -1);
  EXPECT_EQ(d.kind, rules::ActionKind::kPool);
  EXPECT_EQ(d.pool, s.default_pool);
  EXPECT_EQ(d.rule, -1);
}

TEST(ProxyRules, EveryActionKindThroughProcess) {
  auto loaded = config::load_file(PROXY_TEST_DATA "/example.toml");
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  auto cfg = std::make_shared<const config::Config>(*loaded);
  std::vector<std::string> pools;
  for (const auto& p : cfg->pools) pools.push_back(p.name);
  auto compiled = rules::RuleSet::compile(cfg->rule_files, pools);
  ASSERT_TRUE(compiled) << compiled.error().to_string();
  Harness h(cfg, {}, *compiled);
  auto request = [](std::string_view method, std::string_view extra) {
    return crlf(std::string(method) + " sip:x@example.com SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKr\n" +
                std::string(extra) + "From: <sip:a@b>;tag=1\nTo: <sip:x@example.com>\nCall-ID: rules\nCSeq: 1 " +
                std::string(method) + "\nContent-Length: 0\n\n");
  };
  auto rule_name = [&](const Outcome& r) {
    return r.rule >= 0 ? h.snapshot().rule_views[static_cast<std::size_t>(r.rule)].name : std::string("<none>");
  };
  Step o = h.run(request("INVITE", "User-Agent: friendly-scanner\n"), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop);
  EXPECT_EQ(o.r.reason, Reason::kRuleDrop);
  EXPECT_EQ(rule_name(o.r), "scanners");
  o = h.run(request("MESSAGE", ""), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kReply);
  EXPECT_EQ(o.r.status, 405);
  EXPECT_EQ(o.r.reason, Reason::kRuleReply);
  EXPECT_EQ(o.out.substr(0, 30), "SIP/2.0 405 Method Not Allowed");
  o = h.run(request("REGISTER", ""), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(rule_name(o.r), "registrations");
  EXPECT_EQ(h.backend_name(o.r), "r1");
  o = h.run(request("INVITE", ""), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kForward);
  EXPECT_EQ(rule_name(o.r), "everything-else");
  EXPECT_EQ(h.snapshot().pools[static_cast<std::size_t>(o.r.pool)].name, "core");
  EXPECT_EQ(h.worker().counters.by_rule[static_cast<std::size_t>(o.r.rule)], 1u);

  // A worker whose scratch was never prepared for this rule set drops rather than guess.
  auto unprepared = std::make_unique<ThreadState>();
  const std::string in = request("INVITE", "");
  std::vector<char> out(in.size() + kMaxGrowth);
  const Outcome r = process(h.snapshot(), *unprepared, in.data(), in.size(), kCaller, 0, out.data(), out.size(), 0);
  EXPECT_EQ(r.verdict, Verdict::kDrop);
  EXPECT_EQ(r.reason, Reason::kRulesError);
}

// --- explain's JSON -------------------------------------------------------------------------------

TEST(ExplainJson, EscapesControlCharactersAndInvalidUtf8) {
  EXPECT_EQ(json_string("a\"b\\c\r\n\t"), R"("a\"b\\c\r\n\t")");
  EXPECT_EQ(json_string(std::string_view("\0\x01\x7f", 3)), R"("\u0000\u0001\u007f")");
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");         // valid UTF-8 passes
  EXPECT_EQ(json_string("\xff\xc3"), R"("\u00ff\u00c3")");          // invalid octets
  EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // a surrogate is not UTF-8
  EXPECT_EQ(json_string("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

TEST_F(ProxyTest, ExplainJsonHasEveryFieldOfTheContract) {
  const std::string in = invite();
  std::vector<char> out(in.size() + kMaxGrowth);
  const Outcome r = process(h.snapshot(), h.worker(), in.data(), in.size(), kCaller, 0, out.data(), out.size(), 0);
  const std::string j = explain_json(h.snapshot(), r, out.data());
  EXPECT_EQ(j.find("{\"kind\":\"request\",\"verdict\":\"forward\",\"status\":null,\"reason\":\"forwarded\","
                   "\"rule\":null,\"pool\":\"core\",\"backend\":\"" + h.backend_name(r) + "\",\"next_hop\":\"" +
                   r.next_hop.to_string() + "\",\"output\":\"INVITE sip:bob@example.com SIP/2.0\\r\\nVia: "),
            0u)
      << j;
  EXPECT_EQ(j.back(), '}');
  const std::string drop = response_with_vias("Via: SIP/2.0/UDP 198.18.0.9;branch=z9hG4bKx\n");
  const Outcome d = process(h.snapshot(), h.worker(), drop.data(), drop.size(), kCaller, 0, out.data(), out.size(), 0);
  EXPECT_EQ(explain_json(h.snapshot(), d, out.data()),
            R"({"kind":"response","verdict":"drop","status":null,"reason":"foreign-via","rule":null,"pool":null,)"
            R"("backend":null,"next_hop":null,"output":null})");
}

// --- every byte the proxy does not own is forwarded unchanged -----------------------------------------

class MessageGenerator {
 public:
  explicit MessageGenerator(std::uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool coin() { return pick(2) == 0; }

  std::string token(int min, int max) {
    static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";
    std::string s;
    const int n = min + pick(max - min + 1);
    for (int i = 0; i < n; ++i) s.push_back(kChars[static_cast<std::size_t>(pick(static_cast<int>(kChars.size())))]);
    return s;
  }
  std::string ip() {
    return "198.18." + std::to_string(pick(256)) + "." + std::to_string(1 + pick(254));
  }
  std::string via_value(bool rport) {
    std::string v = "SIP/2.0/" + std::string(coin() ? "UDP" : "TCP") + (coin() ? " " : "  ") + ip();
    if (coin()) v += ":" + std::to_string(1024 + pick(60000));
    v += ";branch=z9hG4bK" + token(1, 20);
    if (rport) v += coin() ? ";rport" : ";rport=" + std::to_string(1 + pick(65535));
    if (coin()) v += ";x-" + token(1, 5) + "=" + token(1, 8);
    return v;
  }
  std::string body() {
    std::string b;
    const int n = pick(300);
    for (int i = 0; i < n; ++i) b.push_back(static_cast<char>(pick(256)));  // binary, NULs, CRLFs
    return b;
  }

  struct Pair {
    std::string in;        // what the proxy receives
    std::string expected;  // the same without our Route (request) or our Via (response)
  };

  // A request with shuffled headers, compact forms, folding, list values and an optional Route to us.
  Pair request(const std::string& self_route, bool from_backend) {
    const char* methods[] = {"INVITE", "OPTIONS", "REGISTER", "BYE", "MESSAGE", "SUBSCRIBE", "INFO"};
    const std::string method = methods[pick(7)];
    std::vector<std::string> headers;
    std::string top_via = via_value(coin());
    if (coin()) {
      headers.push_back(std::string(coin() ? "Via" : "v") + ": " + top_via + (coin() ? ", " : " ,\r\n  ") + via_value(false));
    } else {
      headers.push_back("Via: " + top_via);
      if (coin()) headers.push_back("Via: " + via_value(false));
    }
    headers.push_back(std::string(coin() ? "From" : "f") + ": \"" + token(0, 10) + "\" <sip:" + token(1, 10) +
                      "@example.com>;tag=" + token(1, 12));
    headers.push_back(std::string(coin() ? "To" : "t") + ":<sip:" + token(1, 10) + "@example.org>" +
                      (coin() ? ";tag=" + token(1, 10) : ""));
    headers.push_back(std::string(coin() ? "Call-ID" : "i") + ": " + token(5, 40) + "@" + ip());
    headers.push_back("CSeq: " + std::to_string(pick(1000000)) + " " + method);
    if (coin()) headers.push_back(std::string(coin() ? "Max-Forwards" : "max-forwards") + ":" + (coin() ? " " : "  ") +
                                  std::to_string(1 + pick(255)));
    if (coin()) headers.push_back("Record-Route: <sip:" + ip() + ";lr>");
    const int extra = pick(6);
    for (int i = 0; i < extra; ++i) {
      std::string h = "X-" + token(1, 10) + ": " + token(0, 30);
      if (coin()) h += "\r\n\t" + token(1, 20);  // folded
      headers.push_back(h);
    }
    if (coin()) headers.push_back("Contact: <sip:" + token(1, 8) + "@" + ip() + ">;expires=" + std::to_string(pick(4000)));
    std::shuffle(headers.begin() + 1, headers.end(), rng_);  // keep the Via fields in order on top
    if (coin()) std::rotate(headers.begin(), headers.begin() + 1, headers.begin() + 1 + pick(static_cast<int>(headers.size())));
    // The Route fields go anywhere; ours is the first Route value.
    const std::string other_route = "<sip:" + ip() + ":" + std::to_string(1024 + pick(60000)) + ";lr>";
    const int route_shape = pick(4);  // 0 none, 1 ours alone, 2 ours + other in one field, 3 other only
    std::size_t route_at = static_cast<std::size_t>(pick(static_cast<int>(headers.size()) + 1));
    std::string with_route, without_route;
    switch (route_shape) {
      case 1: with_route = "Route: " + self_route; break;
      case 2:
        with_route = "Route: " + self_route + (coin() ? "," : " ,  ") + other_route;
        without_route = "Route: " + other_route;
        break;
      case 3: with_route = without_route = "Route: " + other_route; break;
      default: break;
    }
    const std::string b = body();
    const std::string uri_host = from_backend ? ip() + ":" + std::to_string(1024 + pick(60000)) : "example.com";
    const std::string user = token(1, 10);
    auto build = [&](const std::string& route) {
      std::string m = method + " sip:" + user + "@" + uri_host + " SIP/2.0\r\n";
      for (std::size_t i = 0; i <= headers.size(); ++i) {
        if (i == route_at && !route.empty()) m += route + "\r\n";
        if (i < headers.size()) m += headers[i] + "\r\n";
      }
      m += "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
      return m;
    };
    Pair p;
    p.in = build(with_route);
    p.expected = build(without_route);
    if (coin()) p.in += "trailing octets beyond Content-Length";  // not forwarded
    return p;
  }

  Pair response(const std::string& our_via) {
    std::vector<std::string> headers;
    const bool list = coin();
    const std::string next = via_value(false);
    std::string first_field = list ? "Via: " + our_via + (coin() ? ", " : " ,\r\n ") + next : "Via: " + our_via;
    std::string first_expected = list ? "Via: " + next : "";
    headers.push_back("From: <sip:" + token(1, 10) + "@example.com>;tag=" + token(1, 12));
    headers.push_back("To: <sip:" + token(1, 10) + "@example.org>;tag=" + token(1, 10));
    headers.push_back("Call-ID: " + token(5, 40));
    headers.push_back("CSeq: " + std::to_string(pick(1000000)) + " INVITE");
    for (int i = pick(5); i > 0; --i) headers.push_back("X-" + token(1, 10) + ": " + token(0, 30));
    if (!list) headers.push_back("Via: " + next);
    std::shuffle(headers.begin(), headers.end(), rng_);
    const std::string b = body();
    const std::string status_line = "SIP/2.0 " + std::to_string(100 + pick(600)) + " " + token(0, 12) + "\r\n";
    auto build = [&](const std::string& first) {
      std::string m = status_line;
      if (!first.empty()) m += first + "\r\n";
      for (const std::string& h : headers) m += h + "\r\n";
      return m + "Content-Length: " + std::to_string(b.size()) + "\r\n\r\n" + b;
    };
    return Pair{build(first_field), build(first_expected)};
  }

 private:
  std::mt19937 rng_;
};

TEST_F(ProxyTest, EveryByteOutsideTheEditsIsForwardedUnchanged) {
  MessageGenerator gen(20261122);
  int requests = 0, responses = 0;
  for (int i = 0; i < 2000; ++i) {
    const bool from_backend = gen.pick(4) == 0;
    const std::string self_route =
        gen.coin() ? "<sip:198.18.0.1:5060;lr;sipshunt-b=b" + std::to_string(1 + gen.pick(3)) + ">" : "<sip:198.18.0.1;lr>";
    const MessageGenerator::Pair p = gen.request(self_route, from_backend);
    const Endpoint src = from_backend ? ep("198.19.0.11:5060") : ep("198.18.0.2:5060");
    const Step o = h.run(p.in, src);
    ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason) << "\n" << p.in;
    sip::Status in_status, out_status;
    auto in_msg = parse(p.in, &in_status);
    auto out_msg = parse(o.out, &out_status);
    ASSERT_EQ(out_status, sip::Status::kOk) << o.out;
    EXPECT_EQ(out_msg->vias[0].value.substr(0, 35), "SIP/2.0/UDP 198.18.0.1:5060;branch=");
    EXPECT_EQ(out_msg->max_forwards, in_msg->max_forwards < 0 ? 70 : in_msg->max_forwards - 1);
    EXPECT_EQ(out_msg->body, in_msg->body);
    EXPECT_EQ(normalise(o.out, h.snapshot(), in_msg->max_forwards < 0),
              normalise(framed(p.expected), h.snapshot(), false))
        << "input:\n" << p.in << "\noutput:\n" << o.out;
    ++requests;

    const std::string our_via = "SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK" + gen.token(16, 16);
    const MessageGenerator::Pair r = gen.response(our_via);
    const Step ro = h.run(r.in, ep("198.19.0.12:5060"));
    ASSERT_EQ(ro.r.verdict, Verdict::kForward) << to_string(ro.r.reason) << "\n" << r.in;
    EXPECT_EQ(ro.out, framed(r.expected)) << "input:\n" << r.in;
    ++responses;
  }
  EXPECT_EQ(requests, 2000);
  EXPECT_EQ(responses, 2000);
}

// --- robustness -----------------------------------------------------------------------------------

TEST_F(ProxyTest, EveryTruncationOfTheGoldenMessagesIsHandled) {
  const std::string messages[] = {invite(), in_dialog("BYE", "b1", "z9hG4bKt", 2),
                                  response_with_vias("Via: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bKx\n"
                                                     "Via: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKy;rport=9\n")};
  for (const std::string& m : messages) {
    for (std::size_t n = 0; n <= m.size(); ++n) {
      const Step o = h.run(std::string_view(m).substr(0, n), kCaller);
      if (o.r.verdict == Verdict::kForward || (o.r.verdict == Verdict::kReply && o.r.kind != Kind::kInvalid)) {
        EXPECT_LE(o.r.length, n + kMaxGrowth);
        sip::Status st;
        (void)parse(o.out, &st);
        EXPECT_EQ(st, sip::Status::kOk) << "output of a truncation at " << n << " does not parse:\n" << o.out;
      }
    }
  }
}

TEST_F(ProxyTest, OutputBufferTooSmallIsADropNotAnOverflow) {
  const std::string in = invite();
  std::vector<char> out(in.size() + 10);  // less than our additions
  const Outcome r = process(h.snapshot(), h.worker(), in.data(), in.size(), kCaller, 0, out.data(), out.size(), 0);
  EXPECT_EQ(r.verdict, Verdict::kDrop);
  EXPECT_EQ(r.reason, Reason::kTooLarge);
}

// The rewrite checks its output's size once, before copying (rewrite.hpp, Edits::apply): a
// buffer of exactly that size gets it whole, one octet less gets nothing (no write past it:
// the buffer is allocated to its size, so the sanitizer build sees any).
TEST_F(ProxyTest, OutputExactlyAtCapacityIsSentOneOctetLessIsTooLarge) {
  const std::string messages[] = {invite(), in_dialog("BYE", "b1", "z9hG4bKcap", 2),
                                  response_with_vias("Via: SIP/2.0/UDP 198.18.0.1;branch=z9hG4bKx\n"
                                                     "Via: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKy;rport=9\n")};
  for (const std::string& in : messages) {
    const Step whole = h.run(in, kCaller);
    ASSERT_EQ(whole.r.verdict, Verdict::kForward) << to_string(whole.r.reason);
    for (const std::size_t cap : {whole.out.size(), whole.out.size() - 1}) {
      std::unique_ptr<char[]> out(new char[cap]);
      const Outcome r = process(h.snapshot(), h.worker(), in.data(), in.size(), kCaller, 0, out.get(), cap, 0);
      if (cap == whole.out.size()) {
        ASSERT_EQ(r.verdict, Verdict::kForward) << to_string(r.reason);
        EXPECT_EQ(std::string_view(out.get(), r.length), whole.out);
      } else {
        EXPECT_EQ(r.verdict, Verdict::kDrop);
        EXPECT_EQ(r.reason, Reason::kTooLarge);
      }
    }
  }
}

// `m` with header lines "X-Pad-N: N" after its start line until it holds `lines` header fields.
std::string padded_to(std::string m, std::size_t lines) {
  sip::Message parsed;
  EXPECT_EQ(sip::parse(m.data(), m.size(), parsed), sip::Status::kOk);
  std::string pad;
  for (std::size_t i = parsed.header_count; i < lines; ++i) pad += "X-Pad-" + std::to_string(i) + ": x\r\n";
  m.insert(m.find("\r\n") + 2, pad);
  return m;
}

// What the proxy sends must parse again here (a second tier): the header fields it adds may not
// take a request past sip::kMaxHeaders; such a request is answered 513 (RFC 3261 §21.5.14).
TEST_F(ProxyTest, ForwardNeverExceedsTheHeaderLimit) {
  static_assert(sip::kMaxHeaders == 64, "the counts below");
  sip::Message out;
  // A new INVITE gains our Via and a Record-Route: 62 fields leave as 64.
  Step o = h.run(padded_to(invite(), 62), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  ASSERT_EQ(sip::parse(o.out.data(), o.out.size(), out), sip::Status::kOk);
  EXPECT_EQ(out.header_count, 64u);
  // 63 would leave as 65: answered, the answer parses.
  o = h.run(padded_to(invite("c63@x"), 63), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kReply) << to_string(o.r.reason);
  EXPECT_EQ(o.r.status, 513);
  EXPECT_EQ(o.r.reason, Reason::kTooLarge);
  ASSERT_EQ(sip::parse(o.out.data(), o.out.size(), out), sip::Status::kOk);
  EXPECT_EQ(out.status_code, 513);
  // An in-dialog BYE loses our Route field as it gains our Via: 64 fields leave as 64.
  o = h.run(padded_to(in_dialog("BYE", "b1", "z9hG4bKbye64", 2), 64), kCaller);
  ASSERT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  ASSERT_EQ(sip::parse(o.out.data(), o.out.size(), out), sip::Status::kOk);
  EXPECT_EQ(out.header_count, 64u);
  // Without Max-Forwards, one is added too: 62 + Via + Record-Route + Max-Forwards is answered.
  std::string no_mf = invite("nomf@x");
  no_mf.erase(no_mf.find("Max-Forwards: 70\r\n"), 18);
  o = h.run(padded_to(no_mf, 62), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kReply) << to_string(o.r.reason);
  o = h.run(padded_to(no_mf, 61), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kForward) << to_string(o.r.reason);
  // An ACK is never answered (RFC 3261 §17.2.3): 64 fields and our Via, dropped.
  std::string ack = invite("ack@x");
  ack.replace(0, 6, "ACK");
  ack.replace(ack.find("314159 INVITE"), 13, "314159 ACK");
  o = h.run(padded_to(ack, 64), kCaller);
  EXPECT_EQ(o.r.verdict, Verdict::kDrop) << to_string(o.r.reason);
}

TEST(ReasonTokens, AreUniqueAndStable) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < static_cast<std::size_t>(Reason::kCount); ++i) {
    const std::string_view t = to_string(static_cast<Reason>(i));
    EXPECT_FALSE(t.empty());
    EXPECT_EQ(t.find(' '), std::string_view::npos) << t;
    EXPECT_TRUE(seen.insert(t).second) << "duplicate token " << t;
  }
  EXPECT_EQ(to_string(Reason::kForwarded), "forwarded");
  EXPECT_EQ(to_string(Reason::kMaxForwardsExhausted), "max-forwards-exhausted");
  EXPECT_EQ(to_string(Reason::kForeignVia), "foreign-via");
  EXPECT_EQ(to_string(Reason::kNoBackendUp), "no-backend-up");
  EXPECT_EQ(to_string(reason_for(sip::Status::kBadContentLength)), "bad-content-length");
  EXPECT_EQ(to_string(reason_for(sip::Status::kCSeqMethodMismatch)), sip::to_string(sip::Status::kCSeqMethodMismatch));
}

}  // namespace
}  // namespace sipshunt::proxy::test
