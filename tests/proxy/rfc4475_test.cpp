// RFC 4475 torture messages through the code path of `sipshunt explain` (explain_setup, process,
// explain_json), checked against the expected dispositions of conformance/rfc4475/EXPECTED.tsv.
// The corpus is reference data outside the project: a missing corpus is a failure, not a skip.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "helpers.hpp"
#include "sipshunt/health/probe.hpp"
#include "sipshunt/proxy/explain.hpp"

namespace sipshunt::proxy::test {
namespace {

const std::string kCorpus = std::string(CONFORMANCE_DIR) + "/rfc4475";

std::vector<ExpectedRow> read_expected() { return test::read_expected(kCorpus); }
std::string read_corpus_file(const std::string& name) { return test::read_corpus_file(kCorpus, name); }

struct Outcome4475 {
  Outcome r;
  std::string out;
  std::string json;
};

class Rfc4475 : public ::testing::Test {
 protected:
  void SetUp() override {
    auto setup = explain_setup(PROXY_TEST_DATA "/rfc4475.toml", {}, health::kProbeCallIdPrefix);
    ASSERT_TRUE(setup) << setup.error().to_string();
    snapshot_ = *setup;
    ASSERT_TRUE(prepare(worker_, *snapshot_));
  }

  Outcome4475 run(const std::string& datagram) {
    std::unique_ptr<char[]> in(new char[datagram.empty() ? 1 : datagram.size()]);
    std::memcpy(in.get(), datagram.data(), datagram.size());
    std::vector<char> out(datagram.size() + kMaxGrowth);
    Outcome4475 x;
    now_ += 1'000'000;  // 1 ms apart: the reply budget (10/ms) never runs out
    x.r = process(*snapshot_, worker_, in.get(), datagram.size(), kSource, 0, out.data(), out.size(), now_);
    x.json = explain_json(*snapshot_, x.r, out.data());
    if (x.r.verdict == Verdict::kForward || x.r.verdict == Verdict::kReply) x.out.assign(out.data(), x.r.length);
    return x;
  }

  const Endpoint kSource = ep("198.18.0.2:5060");
  std::shared_ptr<const Snapshot> snapshot_;
  ThreadState worker_;
  std::uint64_t now_ = 0;
};

// A reply the proxy built. To a request that parsed: a well-formed response echoing the request's
// Call-ID, with a To-tag. To a malformed request: the status line, the request's header lines
// echoed (RFC 3261 §8.2.6.2: From, To, Call-ID, CSeq and Via equal the request's, so they are as
// malformed as they were) and Content-Length: 0.
void expect_valid_reply(const std::string& file, const std::string& request, const Outcome4475& x, std::uint16_t status) {
  const std::string& reply = x.out;
  EXPECT_EQ(reply.rfind("SIP/2.0 " + std::to_string(status) + " ", 0), 0u) << file;
  EXPECT_EQ(reply.substr(reply.size() - 23), "\r\nContent-Length: 0\r\n\r\n") << file;
  if (x.r.kind != Kind::kInvalid) {
    sip::Status st;
    auto m = parse(reply, &st);
    ASSERT_EQ(st, sip::Status::kOk) << file << " reply does not parse:\n" << reply;
    EXPECT_FALSE(m->is_request) << file;
    EXPECT_EQ(m->status_code, status) << file;
    EXPECT_FALSE(m->to_tag.empty()) << file;
    EXPECT_NE(request.find(std::string(m->call_id)), std::string::npos) << file;
    return;
  }
  // Every reply line but the status line and our Content-Length comes from the request (To with
  // a tag appended).
  std::size_t at = reply.find("\r\n") + 2;
  while (at < reply.size() - 23) {
    const std::size_t eol = reply.find("\r\n", at);
    std::string line = reply.substr(at, eol - at);
    const std::size_t tag = line.find(";tag=");
    const bool found = request.find(line + "\r\n") != std::string::npos ||
                       (tag != std::string::npos && request.find(line.substr(0, tag) + "\r\n") != std::string::npos);
    EXPECT_TRUE(found) << file << ": reply line not from the request: " << line;
    at = eol + 2;
  }
}

TEST_F(Rfc4475, EveryMessageGetsItsExpectedDisposition) {
  const std::vector<ExpectedRow> expected = read_expected();
  ASSERT_EQ(expected.size(), 49u) << "RFC 4475 has 49 messages";
  for (const ExpectedRow& e : expected) {
    SCOPED_TRACE(e.file + " (" + e.section + ") expected " + e.disposition);
    const std::string in = read_corpus_file(e.file);
    ASSERT_FALSE(in.empty());
    const Outcome4475 x = run(in);
    EXPECT_NE(x.json.find("\"reason\":\"" + std::string(to_string(x.r.reason)) + "\""), std::string::npos) << x.json;

    if (e.disposition == "forward") {
      ASSERT_EQ(x.r.verdict, Verdict::kForward) << x.json;
      EXPECT_EQ(x.r.kind, Kind::kRequest);
      EXPECT_EQ(x.r.reason, Reason::kForwarded);
      EXPECT_NE(x.json.find("\"rule\":\"catch-all\",\"pool\":\"core\""), std::string::npos) << x.json;
      sip::Status in_st, out_st;
      auto in_msg = parse(in, &in_st);
      auto out_msg = parse(x.out, &out_st);
      ASSERT_EQ(out_st, sip::Status::kOk) << x.out;
      EXPECT_EQ(out_msg->vias[0].value.substr(0, 35), "SIP/2.0/UDP 198.18.0.1:5060;branch=");
      EXPECT_EQ(out_msg->max_forwards, in_msg->max_forwards < 0 ? 70 : in_msg->max_forwards - 1);
      EXPECT_EQ(out_msg->body, in_msg->body);
      EXPECT_EQ(normalise(x.out, *snapshot_, in_msg->max_forwards < 0),
                normalise(framed(in), *snapshot_, false));
    } else if (e.disposition == "valid-response") {
      EXPECT_EQ(x.r.kind, Kind::kResponse) << x.json;
      // Its top Via is not ours: dropped. With our Via as its top Via (we are the element that
      // sent the request) it goes to its next Via, unless that is unsendable (bcast.dat) or a
      // host name.
      EXPECT_EQ(x.r.verdict, Verdict::kDrop);
      EXPECT_EQ(x.r.reason, Reason::kForeignVia);
      sip::Status st;
      auto msg = parse(in, &st);
      ASSERT_EQ(st, sip::Status::kOk);
      const std::string top(msg->vias[0].value);
      std::string ours = in;
      const std::string our_via = "SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKtest";
      if (msg->decoded_vias > 1) {
        ours.replace(ours.find(top), top.size(), our_via);
      } else {  // a single Via: ours goes on top of it
        ours.insert(ours.find("\r\n") + 2, "Via: " + our_via + "\r\n");
      }
      const Outcome4475 y = run(ours);
      if (e.file == "bcast.dat") {
        EXPECT_EQ(y.r.verdict, Verdict::kDrop);
        EXPECT_EQ(y.r.reason, Reason::kUnsendableDestination) << y.json;
      } else if (y.r.verdict == Verdict::kForward) {
        EXPECT_EQ(y.out.find(our_via), std::string::npos);
        if (msg->decoded_vias == 1) {
          EXPECT_EQ(y.out, framed(in));
        } else {
          EXPECT_EQ(y.out.size(), framed(ours).size() - our_via.size() - 7) << "our Via line removed";
        }
        EXPECT_FALSE(y.r.next_hop.ip.is_unsendable());
      } else {
        EXPECT_EQ(y.r.reason, Reason::kUnresolvableNextHop) << y.json;
      }
    } else if (e.disposition.rfind("reply:", 0) == 0) {
      const auto status = static_cast<std::uint16_t>(std::stoi(e.disposition.substr(6)));
      ASSERT_EQ(x.r.verdict, Verdict::kReply) << x.json;
      EXPECT_EQ(x.r.status, status);
      EXPECT_EQ(x.r.next_hop, kSource);
      EXPECT_NE(x.json.find("\"status\":" + std::to_string(status) + ","), std::string::npos) << x.json;
      expect_valid_reply(e.file, in, x, status);
      if (status == 420) {
        EXPECT_NE(x.out.find("\r\nUnsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n"), std::string::npos)
            << x.out;
        EXPECT_EQ(x.r.reason, Reason::kUnsupportedExtension);
      }
      if (status == 483) {
        EXPECT_EQ(x.r.reason, Reason::kMaxForwardsExhausted);
      }
      if (status == 505) {
        EXPECT_EQ(x.r.reason, reason_for(sip::Status::kBadVersion));
      }
    } else if (e.disposition == "reject") {
      EXPECT_NE(x.r.verdict, Verdict::kForward) << x.json;
      if (x.r.verdict == Verdict::kReply) {
        EXPECT_GE(x.r.status, 400);
        EXPECT_LT(x.r.status, 600);
        expect_valid_reply(e.file, in, x, x.r.status);
      } else {
        EXPECT_EQ(x.r.verdict, Verdict::kDrop);
      }
    } else if (e.disposition == "drop") {
      EXPECT_EQ(x.r.verdict, Verdict::kDrop) << x.json;
      EXPECT_NE(x.r.kind, Kind::kRequest);
    } else if (e.disposition == "either") {
      if (x.r.verdict == Verdict::kReply) {
        EXPECT_GE(x.r.status, 400) << x.json;
        EXPECT_LT(x.r.status, 500) << x.json;
        expect_valid_reply(e.file, in, x, x.r.status);
      } else {
        EXPECT_EQ(x.r.verdict, Verdict::kForward) << x.json;
        if (x.r.verdict == Verdict::kForward) {
          sip::Status st;
          (void)parse(x.out, &st);
          EXPECT_EQ(st, sip::Status::kOk);
        }
      }
    } else {
      ADD_FAILURE() << "unknown disposition " << e.disposition;
    }
  }
}

TEST_F(Rfc4475, EveryTruncationOfEveryMessageIsHandled) {
  const std::vector<ExpectedRow> expected = read_expected();
  ASSERT_FALSE(expected.empty());
  for (const ExpectedRow& e : expected) {
    const std::string in = read_corpus_file(e.file);
    for (std::size_t n = 0; n <= in.size(); ++n) {
      const Outcome4475 x = run(in.substr(0, n));
      if (x.r.verdict == Verdict::kForward || (x.r.verdict == Verdict::kReply && x.r.kind != Kind::kInvalid)) {
        sip::Status st;
        (void)parse(x.out, &st);
        EXPECT_EQ(st, sip::Status::kOk) << e.file << " cut at " << n << ":\n" << x.out;
      }
      if (x.r.verdict == Verdict::kReply) {
        EXPECT_EQ(x.out.substr(x.out.size() - 23), "\r\nContent-Length: 0\r\n\r\n");
      }
    }
  }
}

// Random damage (octet flips, insertions, deletions, duplicated lines) to every corpus message:
// whatever comes out, a forwarded message parses, carries our Via on top, and a reply to a
// request that parsed parses too. AddressSanitizer catches any read outside the datagram.
TEST_F(Rfc4475, DamagedMessagesNeverProduceMalformedForwards) {
  const std::vector<ExpectedRow> expected = read_expected();
  ASSERT_FALSE(expected.empty());
  std::mt19937 rng(4475);
  const std::string alphabet = "\r\n:;,<>\"= \t0123456789abcdefzZ@.%/\x00\xff";
  int forwards = 0;
  const char* env = std::getenv("PROXY_DAMAGE_ROUNDS");  // more for a longer local run
  const int rounds = env != nullptr ? std::atoi(env) : 40;
  for (int round = 0; round < rounds; ++round) {
    for (const ExpectedRow& e : expected) {
      std::string m = read_corpus_file(e.file);
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits && !m.empty(); ++k) {
        const std::size_t at = rng() % m.size();
        switch (rng() % 4) {
          case 0: m[at] = alphabet[rng() % alphabet.size()]; break;
          case 1: m.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
          case 2: m.erase(at, 1 + rng() % 8); break;
          default: {
            const std::size_t bol = m.rfind('\n', at);
            const std::size_t eol = m.find('\n', at);
            if (bol != std::string::npos && eol != std::string::npos) m.insert(eol + 1, m.substr(bol + 1, eol - bol));
          }
        }
      }
      const Outcome4475 x = run(m);
      if (x.r.verdict == Verdict::kForward) {
        ++forwards;
        sip::Status st;
        auto out = parse(x.out, &st);
        ASSERT_EQ(st, sip::Status::kOk) << e.file << " damaged:\n" << m << "\nforwarded:\n" << x.out;
        if (out->is_request) {
          EXPECT_EQ(out->vias[0].value.substr(0, 35), "SIP/2.0/UDP 198.18.0.1:5060;branch=");
        }
        EXPECT_FALSE(x.r.next_hop.ip.is_unsendable());
      } else if (x.r.verdict == Verdict::kReply && x.r.kind != Kind::kInvalid) {
        sip::Status st;
        (void)parse(x.out, &st);
        EXPECT_EQ(st, sip::Status::kOk) << e.file << " damaged:\n" << m << "\nreply:\n" << x.out;
      }
    }
  }
  EXPECT_GT(forwards, 100) << "the damage should leave many messages forwardable";
}

}  // namespace
}  // namespace sipshunt::proxy::test
