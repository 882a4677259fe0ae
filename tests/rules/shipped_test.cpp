// The rule files shipped under dispatch-rules/: each compiles, and each decides real SIP messages
// as its comments promise.
#include <gtest/gtest.h>

#include "helpers.hpp"

namespace sipshunt::rules::test {
namespace {

const std::filesystem::path kShipped = std::filesystem::path(SIPSHUNT_SOURCE_DIR) / "dispatch-rules";

std::unique_ptr<Compiled> load(const std::string& relative) {
  auto c = std::make_unique<Compiled>();
  const std::filesystem::path files[] = {kShipped / relative};
  c->result = RuleSet::compile(files, default_pools());
  if (!c->result) throw std::runtime_error(c->result.error().to_string());
  if (!c->scratch->prepare(**c->result)) throw std::runtime_error("prepare failed");
  return c;
}

// A realistic INVITE with an SDP body (the kind a desk phone sends).
std::string invite(std::string_view ruri, std::string_view user_agent = "Yealink SIP-T46U 108.86.0.20",
                   std::string_view from = "\"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl") {
  const std::string body =
      "v=0\r\no=alice 2890844526 2890844526 IN IP4 198.18.0.10\r\ns=-\r\nc=IN IP4 198.18.0.10\r\n"
      "t=0 0\r\nm=audio 49172 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";
  std::string m;
  m.append("INVITE ").append(ruri).append(" SIP/2.0\r\n");
  m.append("Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK74bf9;rport\r\n");
  m.append("Max-Forwards: 70\r\n");
  m.append("From: ").append(from).append("\r\n");
  m.append("To: <").append(ruri).append(">\r\n");
  m.append("Call-ID: 3848276298220188511@atlanta.example.com\r\n");
  m.append("CSeq: 1 INVITE\r\n");
  m.append("Contact: <sip:alice@198.18.0.10:5060;transport=udp>\r\n");
  m.append("Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO, MESSAGE\r\n");
  m.append("Supported: replaces, timer\r\n");
  if (!user_agent.empty()) m.append("User-Agent: ").append(user_agent).append("\r\n");
  m.append("Content-Type: application/sdp\r\n");
  m.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n\r\n");
  m.append(body);
  return m;
}

std::string with_user_agent(std::string_view method, std::string_view ruri, std::string_view ua) {
  return request(method, ruri, {"User-Agent: " + std::string(ua)});
}

TEST(ShippedRules, DefaultSendsEverythingToCore) {
  auto c = load("default.rules");
  ASSERT_EQ((*c->result)->rules().size(), 1u);
  const Rule& r = (*c->result)->rules()[0];
  EXPECT_EQ(r.action.kind, ActionKind::kPool);
  EXPECT_EQ(default_pools()[r.action.pool], "core");
  EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com")), "everything");
  EXPECT_EQ(decide(*c, request("REGISTER", "sip:biloxi.example.com")), "everything");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:198.18.0.1"), "[2001:db8::5]:5060"), "everything");
}

TEST(ShippedRules, ScannersAreDroppedByUserAgent) {
  auto c = load("examples/scanners.rules");
  ASSERT_EQ((*c->result)->rules()[0].action.kind, ActionKind::kDrop);
  for (const char* ua : {"friendly-scanner", "Friendly-Scanner", "friendly-request", "sipvicious", "SIPVicious/0.3.4",
                         "sipcli/v1.8", "VaxSIPUserAgent/3.1", "VaxIPUserAgent/3.0", "pplsip", "sundayddr",
                         "iWar", "SIVuS", "siparmyknife", "sip-scan", "smap 0.6.0"}) {
    EXPECT_EQ(decide(*c, with_user_agent("OPTIONS", "sip:100@198.18.0.1", ua)), "scanner-agents") << ua;
    EXPECT_EQ(decide(*c, invite("sip:100@198.18.0.1", ua)), "scanner-agents") << ua;
  }
  for (const char* ua : {"Yealink SIP-T46U 108.86.0.20", "PolycomVVX-VVX_450-UA/6.4.3", "Asterisk PBX 20.5.0",
                         "Linphone/5.2.0", "FreeSWITCH-mod_sofia/1.10.11", "Zoiper rv2.10", "Bria 6",
                         "smapper"}) {
    EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com", ua)), "(none)") << ua;
  }
  EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com", "")), "(none)");  // no User-Agent at all
}

TEST(ShippedRules, RegistrationsGoToTheRegistrars) {
  auto c = load("examples/registrar.rules");
  EXPECT_EQ(default_pools()[(*c->result)->rules()[0].action.pool], "registrars");
  EXPECT_EQ(decide(*c, request("REGISTER", "sip:biloxi.example.com", {"Contact: <sip:bob@198.18.0.20>", "Expires: 3600"})),
            "registrations");
  EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com")), "(none)");
}

TEST(ShippedRules, EmergencyNumbersHaveTheirOwnPool) {
  auto c = load("examples/emergency.rules");
  for (const char* ruri : {"sip:911@ims.example.com", "sip:112@ims.example.com;user=phone", "sips:999@gw.example.com",
                           "tel:+112", "tel:911", "sip:000@example.com.au", "sip:+110@example.jp",
                           "SIP:119@example.cn"}) {
    EXPECT_EQ(decide(*c, invite(ruri)), "emergency-number") << ruri;
  }
  EXPECT_EQ(decide(*c, invite("urn:service:sos")), "emergency-urn");
  EXPECT_EQ(decide(*c, invite("urn:service:sos.police")), "emergency-urn");
  for (const char* ruri : {"sip:9110@example.com", "sip:1911@example.com", "sip:+15551120000@example.com",
                           "sip:alice911@example.com", "urn:service:sosx", "sip:112.example.com"}) {
    EXPECT_EQ(decide(*c, invite(ruri)), "(none)") << ruri;
  }
  // Only calls: a MESSAGE to 911 is not an emergency call here.
  EXPECT_EQ(decide(*c, request("MESSAGE", "sip:911@ims.example.com")), "(none)");
}

TEST(ShippedRules, TollFreePrefixes) {
  auto c = load("examples/toll-free.rules");
  for (const char* ruri : {"sip:18005550100@gw.example.com", "sip:+18885550100@gw.example.com",
                           "sip:8775550100@gw.example.com;user=phone", "sips:18335550100@gw.example.com"}) {
    EXPECT_EQ(decide(*c, invite(ruri)), "toll-free-nanp") << ruri;
  }
  for (const char* ruri : {"sip:0800123456@gw.example.co.uk", "sip:08081234567@gw.example.co.uk",
                           "sip:+44800123456@gw.example.co.uk"}) {
    EXPECT_EQ(decide(*c, invite(ruri)), "toll-free-uk") << ruri;
  }
  for (const char* ruri : {"sip:18015550100@gw.example.com", "sip:180055501@gw.example.com",
                           "sip:0801123456@gw.example.co.uk", "sip:bob@1800.example.com",
                           "sip:180055501000@gw.example.com"}) {
    EXPECT_EQ(decide(*c, invite(ruri)), "(none)") << ruri;
  }
}

TEST(ShippedRules, KeepalivesAreAnsweredByTheProxy) {
  auto c = load("examples/keepalive.rules");
  const Rule& r = (*c->result)->rules()[0];
  EXPECT_EQ(r.action.kind, ActionKind::kReply);
  EXPECT_EQ(r.action.status, 200);
  EXPECT_EQ(r.action.reason_phrase, "OK");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:198.18.0.1:5060")), "keepalive");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:edge.example.com;transport=udp")), "keepalive");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:alice@atlanta.example.com")), "(none)");
  EXPECT_EQ(decide(*c, invite("sip:198.18.0.1")), "(none)");
}

TEST(ShippedRules, CarrierTrunkAllowList) {
  auto c = load("examples/carrier-trunk.rules");
  EXPECT_EQ((*c->result)->summary().prefixes, 2u);
  const std::string from_carrier = invite("sip:+15551230000@edge.example.com", "Carrier SBC",
                                          "<sip:+15559870000@trunk.carrier.example>;tag=c4rr13r");
  EXPECT_EQ(decide(*c, from_carrier, "203.0.113.5:5060"), "carrier-trunk");
  EXPECT_EQ(decide(*c, from_carrier, "203.0.113.15:5060"), "carrier-trunk");
  EXPECT_EQ(decide(*c, from_carrier, "[2001:db8:c0:1::5]:5060"), "carrier-trunk");
  // Same claim from outside the allow-list: refused.
  EXPECT_EQ(decide(*c, from_carrier, "203.0.113.16:5060"), "carrier-spoofed");
  EXPECT_EQ(decide(*c, from_carrier, "[2001:db8:c1::5]:5060"), "carrier-spoofed");
  const Rule& spoofed = (*c->result)->rules()[1];
  EXPECT_EQ(spoofed.action.kind, ActionKind::kReply);
  EXPECT_EQ(spoofed.action.status, 403);
  // Ordinary traffic from elsewhere is left to later rules.
  EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com"), "198.18.0.10:5060"), "(none)");
  EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com", "x", "<sip:a@trunk.carrier.example.org>;tag=1"),
                   "198.18.0.10:5060"),
            "(none)");
}

TEST(ShippedRules, EdgeCombinesThemInOrder) {
  auto c = load("examples/edge.rules");
  EXPECT_EQ((*c->result)->summary().files, 7u);
  // Emergency comes first, even from a client whose User-Agent looks like a scanner.
  EXPECT_EQ(decide(*c, invite("sip:911@edge.example.com", "friendly-scanner")), "emergency-number");
  EXPECT_EQ(decide(*c, invite("sip:100@edge.example.com", "friendly-scanner")), "scanner-agents");
  EXPECT_EQ(decide(*c, with_user_agent("OPTIONS", "sip:198.18.0.1", "sipvicious")), "scanner-agents");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:198.18.0.1"), "203.0.113.5:5060"), "keepalive");
  EXPECT_EQ(decide(*c, invite("sip:18005550100@edge.example.com"), "203.0.113.5:5060"), "carrier-trunk");
  EXPECT_EQ(decide(*c, invite("sip:18005550100@edge.example.com")), "toll-free-nanp");
  EXPECT_EQ(decide(*c, request("REGISTER", "sip:edge.example.com")), "registrations");
  EXPECT_EQ(decide(*c, invite("sip:bob@biloxi.example.com")), "everything-else");
  EXPECT_EQ(decide(*c, request("BYE", "sip:bob@198.18.0.20")), "everything-else");
}

TEST(ShippedRules, ReadmeExample) {
  auto c = load("examples/readme.rules");
  ASSERT_EQ((*c->result)->rules().size(), 6u);
  EXPECT_EQ((*c->result)->rules()[0].name, "blocked-network");  // from more/*.rules, included first
  EXPECT_EQ(decide(*c, invite("sip:bob@example.com"), "192.0.2.7:5060"), "blocked-network");
  EXPECT_EQ(decide(*c, invite("sip:bob@example.com", "sipcli/v1.8")), "scanners");
  EXPECT_EQ(decide(*c, request("REGISTER", "sip:example.com")), "registrar");
  EXPECT_EQ(decide(*c, invite("sip:112@example.com")), "emergency");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:example.com")), "keepalive");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:example.com"), "198.19.0.11:5060"), "rest");
  EXPECT_EQ(decide(*c, invite("sip:bob@example.com")), "rest");
}

}  // namespace
}  // namespace sipshunt::rules::test
