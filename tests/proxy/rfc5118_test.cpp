// RFC 5118 IPv6 torture messages through the code path of `sipshunt explain` (explain_setup,
// process, explain_json), checked against conformance/rfc5118/EXPECTED.tsv, with an IPv4 proxy
// and client (rfc4475.toml) and with an IPv6 proxy, client and backends (rfc5118-ipv6.toml): the
// dispositions do not depend on the family. The corpus is reference data outside the project,
// read in place: a missing corpus is a failure, not a skip.
#include <gtest/gtest.h>


#include "helpers.hpp"
#include "sipshunt/health/probe.hpp"
#include "sipshunt/proxy/explain.hpp"

namespace sipshunt::proxy::test {
namespace {

const std::string kCorpus = std::string(CONFORMANCE_DIR) + "/rfc5118";

std::vector<ExpectedRow> read_expected() { return test::read_expected(kCorpus); }
std::string read_corpus_file(const std::string& name) { return test::read_corpus_file(kCorpus, name); }

struct Setting {
  const char* config;
  const char* source;
  const char* our_via;   // the start of the Via we add
};

class Rfc5118 : public ::testing::TestWithParam<Setting> {
 protected:
  void SetUp() override {
    auto setup = explain_setup(std::string(PROXY_TEST_DATA "/") + GetParam().config, {}, health::kProbeCallIdPrefix);
    ASSERT_TRUE(setup) << setup.error().to_string();
    snapshot_ = *setup;
    ASSERT_TRUE(prepare(worker_, *snapshot_));
  }

  struct Run {
    Outcome r;
    std::string out, json;
  };
  Run run(const std::string& datagram) {
    std::unique_ptr<char[]> in(new char[datagram.empty() ? 1 : datagram.size()]);
    std::memcpy(in.get(), datagram.data(), datagram.size());
    std::vector<char> out(datagram.size() + kMaxGrowth);
    Run x;
    now_ += 1'000'000;
    x.r = process(*snapshot_, worker_, in.get(), datagram.size(), ep(GetParam().source), 0, out.data(), out.size(), now_);
    x.json = explain_json(*snapshot_, x.r, out.data());
    if (x.r.verdict == Verdict::kForward || x.r.verdict == Verdict::kReply) x.out.assign(out.data(), x.r.length);
    return x;
  }

  std::shared_ptr<const Snapshot> snapshot_;
  ThreadState worker_;
  std::uint64_t now_ = 0;
};

TEST_P(Rfc5118, EveryMessageGetsItsExpectedDisposition) {
  const std::vector<ExpectedRow> expected = read_expected();
  ASSERT_EQ(expected.size(), 12u) << "RFC 5118 has 12 messages";
  for (const ExpectedRow& e : expected) {
    SCOPED_TRACE(e.file + " (" + e.section + ") expected " + e.disposition);
    const std::string in = read_corpus_file(e.file);
    ASSERT_FALSE(in.empty());
    const Run x = run(in);
    if (e.disposition == "forward") {
      ASSERT_EQ(x.r.verdict, Verdict::kForward) << x.json;
      EXPECT_EQ(x.r.reason, Reason::kForwarded);
      sip::Status in_st, out_st;
      auto in_msg = parse(in, &in_st);
      auto out_msg = parse(x.out, &out_st);
      ASSERT_EQ(out_st, sip::Status::kOk) << x.out;
      EXPECT_EQ(all_vias(*out_msg).size(), all_vias(*in_msg).size() + 1);
      EXPECT_EQ(out_msg->vias[0].value.rfind(GetParam().our_via, 0), 0u) << x.out;
      EXPECT_EQ(out_msg->max_forwards, in_msg->max_forwards - 1);
      // Every byte we do not own as it came (the Vias below ours included).
      EXPECT_EQ(normalise(x.out, *snapshot_, false), normalise(framed(in), *snapshot_, false));
    } else if (e.disposition == "reject") {
      EXPECT_NE(x.r.verdict, Verdict::kForward) << x.json;
      if (x.r.verdict == Verdict::kReply) {
        EXPECT_GE(x.r.status, 400);
        EXPECT_LT(x.r.status, 600);
      }
    } else if (e.disposition == "either") {
      if (x.r.verdict == Verdict::kReply) {
        EXPECT_GE(x.r.status, 400) << x.json;
        EXPECT_LT(x.r.status, 500) << x.json;
      } else {
        ASSERT_EQ(x.r.verdict, Verdict::kForward) << x.json;
        sip::Status st;
        (void)parse(x.out, &st);
        EXPECT_EQ(st, sip::Status::kOk);
      }
    } else {
      ADD_FAILURE() << "unknown disposition " << e.disposition;
    }
  }
}

// The responses to the forwarded messages (our Via on top, the client's below, as the backend
// sends them): each goes back to the client's received/rport or sent-by, IPv6 references read
// with or without brackets (RFC 5118 §4.5, §4.7).
TEST_P(Rfc5118, ResponsesFindTheirWayBack) {
  for (const ExpectedRow& e : read_expected()) {
    if (e.disposition != "forward") continue;
    SCOPED_TRACE(e.file);
    const Run x = run(read_corpus_file(e.file));
    ASSERT_EQ(x.r.verdict, Verdict::kForward);
    auto fwd = parse(x.out);
    std::string resp = "SIP/2.0 200 OK\r\n";
    for (std::size_t i = 0; i < fwd->header_count; ++i) {
      const sip::Header& hd = fwd->headers[i];
      if (hd.id == sip::HeaderId::kVia || hd.id == sip::HeaderId::kFrom || hd.id == sip::HeaderId::kTo ||
          hd.id == sip::HeaderId::kCallId || hd.id == sip::HeaderId::kCSeq)
        resp.append(hd.line());
    }
    resp += "Content-Length: 0\r\n\r\n";
    const Run y = run(resp);
    ASSERT_EQ(y.r.verdict, Verdict::kForward) << y.json << "\n" << resp;
    EXPECT_EQ(y.r.reason, Reason::kResponse);
    auto back = parse(y.out);
    EXPECT_EQ(all_vias(*back).size(), all_vias(*fwd).size() - 1);
    EXPECT_FALSE(y.r.next_hop.ip.is_unsendable());
  }
}

// RFC 5118 §4.2: a Request-URI whose host (after the last '@' before any ';' or '?') is IPv6
// without brackets is answered 400; a bracketed host, colons in the userinfo, the parameters or
// the headers are not that.
TEST_P(Rfc5118, UnbracketedIpv6RequestUriHostIsRefused) {
  const struct {
    const char* uri;
    bool refused;
  } cases[] = {
      {"sip:2001:db8::10", true},
      {"sips:2001:db8::10", true},
      {"sip:alice@2001:db8::10", true},
      {"sip:alice@2001:db8::10:5060;user=phone", true},
      {"sip:a@b@2001:db8::1", true},
      {"sip:2001:db8::1;maddr=x", true},
      {"sip:2001:db8::1?subject=x", true},
      {"sip:alice@[2001:db8::10]", false},
      {"sip:+13105550000@[2001:db8::1]:5060;user=phone", false},
      {"sip:[2001:db8::10];x=a:b:c", false},
      {"sip:alice:secret@198.18.0.1:5060", false},
      {"sip:alice@198.18.0.1:5060;x=a:b:c", false},
      {"sip:h;x=2001:db8::1", false},
      {"sip:h?x=a:b:c", false},
      {"sip:h:5060?x=a:b", false},
      {"sip:bob@biloxi.example.com", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.uri);
    const Run x = run(std::string("OPTIONS ") + c.uri +
                      " SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK5118uri\r\nMax-Forwards: 70\r\n"
                      "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\nCall-ID: 5118-uri@x\r\n"
                      "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(x.r.reason == reason_for(sip::Status::kBadRequestUri), c.refused) << x.json;
    if (c.refused) {
      EXPECT_EQ(x.r.status, 400) << x.json;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, Rfc5118,
                         ::testing::Values(Setting{"rfc4475.toml", "198.18.0.2:5060", "SIP/2.0/UDP 198.18.0.1:5060;branch="},
                                           Setting{"rfc5118-ipv6.toml", "[2001:db8::2]:5060",
                                                   "SIP/2.0/UDP [2001:db8::1]:5060;branch="}),
                         [](const auto& info) { return info.index == 0 ? std::string("Ipv4") : std::string("Ipv6"); });

}  // namespace
}  // namespace sipshunt::proxy::test
