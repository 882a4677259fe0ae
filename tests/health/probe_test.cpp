// Probe bytes and reply recognition.
#include <gtest/gtest.h>

#include <string>

#include "sipshunt/health/probe.hpp"

#include "sipshunt/health/post_reply.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::health {
namespace {

Endpoint ep(const char* text) { return *Endpoint::parse(text); }

std::string build(const ProbeCodec& codec, const ProbeTarget& t) {
  std::string s(kMaxProbeSize, '\0');
  s.resize(codec.build(t, s.data(), s.size()));
  return s;
}

TEST(ProbeCodec, BuildsTheExactOptionsRequest) {
  const ProbeCodec codec(0x0123456789abcdefULL);
  const std::string p = build(codec, {ep("198.18.0.1:5060"), ep("198.18.1.10:5080"), 2, 77});
  EXPECT_EQ(p,
            "OPTIONS sip:198.18.1.10:5080 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK0123456789abcdef.2.77\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:sipshunt@198.18.0.1:5060>;tag=0123456777\r\n"
            "To: <sip:198.18.1.10:5080>\r\n"
            "Call-ID: sipshunt-probe-0123456789abcdef.2.77\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "User-Agent: sipshunt-health\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(ProbeCodec, IPv6AndLargestNumbersFit) {
  const ProbeCodec codec(~0ULL);
  const std::string p = build(codec, {ep("[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
                                      ep("[2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535"), UINT32_MAX, UINT64_MAX});
  ASSERT_FALSE(p.empty());
  EXPECT_LT(p.size(), kMaxProbeSize);
  EXPECT_NE(p.find("Via: SIP/2.0/UDP [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535;branch="), std::string::npos);
  EXPECT_NE(p.find("OPTIONS sip:[2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 SIP/2.0"), std::string::npos);
}

TEST(ProbeCodec, TooSmallBufferWritesNothingAndReturnsZero) {
  const ProbeCodec codec(1);
  char buf[100];
  EXPECT_EQ(codec.build({ep("198.18.0.1:5060"), ep("198.18.1.10:5060"), 0, 1}, buf, sizeof buf), 0u);
}

TEST(ProbeCodec, DistinctProbesGetDistinctCallIdsAndBranches) {
  const ProbeCodec codec(42);
  const auto a = build(codec, {ep("198.18.0.1:5060"), ep("198.18.1.10:5060"), 1, 10});
  const auto b = build(codec, {ep("198.18.0.1:5060"), ep("198.18.1.10:5060"), 1, 11});
  EXPECT_NE(a, b);
}

// A reply as the parser would present it; the fields match() reads.
struct FakeReply {
  std::string call_id, branch, cseq_method = "OPTIONS";
  std::uint16_t status = 200;
  bool request = false;
  bool has_via = true;
  sip::Message msg{};
  sip::Message& get() {
    msg.is_request = request;
    msg.status_code = status;
    msg.call_id = call_id;
    msg.cseq_method = cseq_method;
    msg.decoded_vias = has_via ? 1 : 0;
    msg.vias[0] = sip::Via{};
    msg.vias[0].has_branch = !branch.empty();
    msg.vias[0].branch = branch;
    return msg;
  }
};

FakeReply reply_for(std::string_view token, std::uint16_t status = 200) {
  FakeReply r;
  r.call_id = std::string(kProbeCallIdPrefix).append(token);
  r.branch = std::string("z9hG4bK").append(token);
  r.status = status;
  return r;
}

TEST(ProbeCodec, MatchesItsOwnReplyAndDecodesBackendAndSequence) {
  const ProbeCodec codec(0x00000000000000ffULL);
  auto r = reply_for("00000000000000ff.3.123456789012", 486);
  ProbeReply out;
  ASSERT_EQ(codec.match(r.get(), out), MatchResult::kOk);
  EXPECT_EQ(out.backend, 3u);
  EXPECT_EQ(out.seq, 123456789012u);
  EXPECT_EQ(out.status, 486);
}

TEST(ProbeCodec, RejectsEverythingThatIsNotExactlyOurs) {
  const ProbeCodec codec(0x00000000000000ffULL);
  const std::string good = "00000000000000ff.3.12";
  struct Case {
    const char* what;
    FakeReply reply;
    MatchResult want;
  };
  std::vector<Case> cases;
  cases.push_back({"plain call", FakeReply{.call_id = "a84b4c76e66710@pc33", .branch = "z9hG4bKx"}, MatchResult::kNotProbe});
  cases.push_back({"prefix case differs", reply_for(good), MatchResult::kNotProbe});
  cases.back().reply.call_id[0] = 'S';
  cases.push_back({"request with our id", reply_for(good), MatchResult::kNotResponse});
  cases.back().reply.request = true;
  cases.push_back({"other nonce", reply_for("00000000000000fe.3.12"), MatchResult::kForeign});
  cases.push_back({"short nonce", reply_for("ff.3.12"), MatchResult::kForeign});
  cases.push_back({"no backend", reply_for("00000000000000ff..12"), MatchResult::kForeign});
  cases.push_back({"no seq", reply_for("00000000000000ff.3."), MatchResult::kForeign});
  cases.push_back({"no seq dot", reply_for("00000000000000ff.3"), MatchResult::kForeign});
  cases.push_back({"leading zero", reply_for("00000000000000ff.03.12"), MatchResult::kForeign});
  cases.push_back({"sign", reply_for("00000000000000ff.+3.12"), MatchResult::kForeign});
  cases.push_back({"backend > 2^32-1", reply_for("00000000000000ff.4294967296.12"), MatchResult::kForeign});
  cases.push_back({"seq > 2^64-1", reply_for("00000000000000ff.3.18446744073709551616"), MatchResult::kForeign});
  cases.push_back({"trailing junk", reply_for("00000000000000ff.3.12x"), MatchResult::kForeign});
  cases.push_back({"trailing host", reply_for("00000000000000ff.3.12@h"), MatchResult::kForeign});
  cases.push_back({"branch of another probe", reply_for(good), MatchResult::kBadBranch});
  cases.back().reply.branch = "z9hG4bK00000000000000ff.3.13";
  cases.push_back({"branch without cookie", reply_for(good), MatchResult::kBadBranch});
  cases.back().reply.branch = good;
  cases.push_back({"branch with suffix", reply_for(good), MatchResult::kBadBranch});
  cases.back().reply.branch += "0";
  cases.push_back({"no branch", reply_for(good), MatchResult::kBadBranch});
  cases.back().reply.branch.clear();
  cases.push_back({"no via", reply_for(good), MatchResult::kBadBranch});
  cases.back().reply.has_via = false;
  cases.push_back({"cseq INVITE", reply_for(good), MatchResult::kBadCSeq});
  cases.back().reply.cseq_method = "INVITE";
  cases.push_back({"cseq lower case", reply_for(good), MatchResult::kBadCSeq});
  cases.back().reply.cseq_method = "options";
  for (auto& c : cases) {
    ProbeReply out;
    EXPECT_EQ(codec.match(c.reply.get(), out), c.want) << c.what;
  }
  // and the unmodified one is accepted (the table above is not vacuous)
  auto ok = reply_for(good);
  ProbeReply out;
  EXPECT_EQ(codec.match(ok.get(), out), MatchResult::kOk);
}

TEST(ProbeCodec, NonceTextIsSixteenLowerHexDigits) {
  EXPECT_EQ(ProbeCodec(0xA1B2C3D4E5F60718ULL).nonce_text(), "a1b2c3d4e5f60718");
  EXPECT_EQ(ProbeCodec(1).nonce_text(), "0000000000000001");
  EXPECT_NE(random_nonce(), random_nonce());
}

// What a UAS does with our OPTIONS: same Via, From, Call-ID, CSeq; a To tag; a status line.
std::string answer(const std::string& probe, int status, const char* reason) {
  std::string r = "SIP/2.0 ";
  r.append(std::to_string(status)).append(" ").append(reason).append("\r\n");
  std::size_t pos = probe.find("\r\n") + 2;
  while (pos < probe.size()) {
    const std::size_t end = probe.find("\r\n", pos);
    std::string line = probe.substr(pos, end - pos);
    pos = end + 2;
    if (line.empty()) break;
    if (line.rfind("Max-Forwards", 0) == 0 || line.rfind("User-Agent", 0) == 0) continue;
    if (line.rfind("To:", 0) == 0) line += ";tag=uas1";
    r.append(line).append("\r\n");
  }
  r += "\r\n";
  return r;
}

TEST(ProbeCodec, ParsedProbeIsValidSipAndItsParsedAnswerMatches) {
  const ProbeCodec codec(0xfeedfacecafebeefULL);
  for (const char* self : {"198.18.0.1:5060", "[2001:db8::1]:5060"}) {
    const std::string probe = build(codec, {ep(self), ep("198.18.1.10:5070"), 7, 99});
    sip::Message m;
    ASSERT_EQ(sip::parse(probe.data(), probe.size(), m), sip::Status::kOk) << probe;
    EXPECT_TRUE(m.is_request);
    EXPECT_EQ(m.method, "OPTIONS");
    EXPECT_EQ(m.max_forwards, 70);
    std::string_view from_tag;
    EXPECT_EQ(sip::decode_from_tag(m, from_tag), sip::Status::kOk);
    EXPECT_FALSE(from_tag.empty());
    EXPECT_TRUE(has_probe_prefix(m.call_id));
    ProbeReply out;
    EXPECT_EQ(codec.match(m, out), MatchResult::kNotResponse);

    const std::string resp = answer(probe, 200, "OK");
    sip::Message r;
    ASSERT_EQ(sip::parse(resp.data(), resp.size(), r), sip::Status::kOk) << resp;
    ASSERT_EQ(codec.match(r, out), MatchResult::kOk);
    EXPECT_EQ(out.backend, 7u);
    EXPECT_EQ(out.seq, 99u);
    EXPECT_EQ(out.status, 200);
    EXPECT_EQ(ProbeCodec(0xfeedfacecafebeeeULL).match(r, out), MatchResult::kForeign);
  }
}

TEST(PostReply, OurParsedReplyIsPostedOthersAreNot) {
  const ProbeCodec codec(0xfeedfacecafebeefULL);
  ReplyMailbox box(2);
  const std::string probe = build(codec, {ep("198.18.0.1:5060"), ep("198.18.1.10:5060"), 4, 5});
  const std::string ok = answer(probe, 404, "Not Found");
  MatchResult mr{};
  EXPECT_EQ(post_reply(codec, box, ok.data(), ok.size(), 1234, &mr), PostResult::kPosted);
  EXPECT_EQ(mr, MatchResult::kOk);
  ReplyEvent ev;
  ASSERT_TRUE(box.pop(ev));
  EXPECT_EQ(ev.backend, 4u);
  EXPECT_EQ(ev.seq, 5u);
  EXPECT_EQ(ev.status, 404);
  EXPECT_EQ(ev.rx_ns, 1234u);

  const std::string foreign = answer(build(ProbeCodec(1), {ep("198.18.0.1:5060"), ep("198.18.1.10:5060"), 4, 5}), 200, "OK");
  EXPECT_EQ(post_reply(codec, box, foreign.data(), foreign.size(), 1, &mr), PostResult::kNotOurs);
  EXPECT_EQ(mr, MatchResult::kForeign);
  EXPECT_EQ(post_reply(codec, box, probe.data(), probe.size(), 1, &mr), PostResult::kNotOurs);
  EXPECT_EQ(mr, MatchResult::kNotResponse);
  // every truncation of our reply is either rejected or (when only the body framing is cut) ours
  for (std::size_t n = 0; n < ok.size(); ++n) {
    const std::string cut = ok.substr(0, n);
    (void)post_reply(codec, box, cut.data(), cut.size(), 1, &mr);
    while (box.pop(ev)) {
    }
  }
  EXPECT_FALSE(box.pop(ev));
  ASSERT_EQ(post_reply(codec, box, ok.data(), ok.size(), 1), PostResult::kPosted);
  ASSERT_EQ(post_reply(codec, box, ok.data(), ok.size(), 1), PostResult::kPosted);
  EXPECT_EQ(post_reply(codec, box, ok.data(), ok.size(), 1), PostResult::kMailboxFull);
  EXPECT_EQ(box.dropped(), 1u);
}

}  // namespace
}  // namespace sipshunt::health
