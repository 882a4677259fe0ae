// RFC 4475 conformance: every message in the shared corpus gets the parser verdict its
// EXPECTED.tsv disposition calls for. Messages to forward (and valid responses) parse; messages
// to reject, drop or answer with 505 are flagged with the precise status the proxy acts on.
// The corpus is required: a missing folder fails the suite, it never skips.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "invariants.hpp"
#include "sipshunt/sip/message.hpp"
#include "support.hpp"

namespace sipshunt::sip::testing {
namespace {

using S = Status;

// The parser's verdict for each file. For "either" rows the status recorded is the one this
// parser gives (kOk: forwarded; an error: rejected); both are allowed by the disposition, and
// pinning it here makes a change of behaviour visible.
const std::map<std::string, std::set<Status>>& expected_status() {
  static const std::map<std::string, std::set<Status>> t = {
      // forward
      {"wsinv.dat", {S::kOk}},     {"intmeth.dat", {S::kOk}},   {"esc01.dat", {S::kOk}},
      {"escnull.dat", {S::kOk}},   {"esc02.dat", {S::kOk}},     {"lwsdisp.dat", {S::kOk}},
      {"longreq.dat", {S::kOk}},   {"dblreq.dat", {S::kOk}},    {"semiuri.dat", {S::kOk}},
      {"transports.dat", {S::kOk}}, {"mpart01.dat", {S::kOk}},  {"badbranch.dat", {S::kOk}},
      {"unksm2.dat", {S::kOk}},    {"invut.dat", {S::kOk}},     {"regaut01.dat", {S::kOk}},
      {"cparam01.dat", {S::kOk}},  {"cparam02.dat", {S::kOk}},  {"regescrt.dat", {S::kOk}},
      {"sdp01.dat", {S::kOk}},     {"inv2543.dat", {S::kOk}},
      // valid-response
      {"unreason.dat", {S::kOk}},  {"noreason.dat", {S::kOk}},  {"bcast.dat", {S::kOk}},
      // replies decided by the proxy, not the parser (420 for Proxy-Require, 483 for Max-Forwards 0)
      {"bext01.dat", {S::kOk}},    {"zeromf.dat", {S::kOk}},
      // reply:505
      {"badvers.dat", {S::kBadVersion}},
      // reject / drop
      {"badinv01.dat", {S::kBadVia}},
      {"clerr.dat", {S::kContentLengthBeyondDatagram}},
      {"ncl.dat", {S::kBadContentLength}},
      {"scalar02.dat", {S::kBadCSeq, S::kBadMaxForwards}},
      {"scalarlg.dat", {S::kBadCSeq}},
      {"ltgtruri.dat", {S::kBadRequestUri}},
      {"lwsruri.dat", {S::kBadRequestUri}},
      {"lwsstart.dat", {S::kBadStartLine}},
      {"trws.dat", {S::kBadStartLine}},
      {"mismatch01.dat", {S::kCSeqMethodMismatch}},
      {"mismatch02.dat", {S::kCSeqMethodMismatch}},
      {"bigcode.dat", {S::kBadStatusCode}},
      {"insuf.dat", {S::kMissingCallId, S::kMissingFrom, S::kMissingTo}},
      {"multi01.dat", {S::kDuplicateCallId, S::kDuplicateFrom, S::kDuplicateTo, S::kDuplicateCSeq}},
      {"mcl01.dat", {S::kDuplicateContentLength}},
      // either (recorded)
      {"quotbal.dat", {S::kBadTo}},  // unterminated quoted display name in To: rejected
      {"escruri.dat", {S::kOk}},     {"baddate.dat", {S::kOk}},   {"regbadct.dat", {S::kOk}},
      {"badaspec.dat", {S::kOk}},    {"baddn.dat", {S::kOk}},     {"unkscm.dat", {S::kOk}},
      {"novelsc.dat", {S::kOk}},
  };
  return t;
}

struct Row {
  std::string file, section, disposition, note;
};

std::vector<Row> expected_rows() {
  std::vector<Row> rows;
  std::ifstream f(corpus_dir() + "/EXPECTED.tsv");
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    Row r;
    std::getline(ss, r.file, '\t');
    std::getline(ss, r.section, '\t');
    std::getline(ss, r.disposition, '\t');
    std::getline(ss, r.note);
    rows.push_back(r);
  }
  return rows;
}

// Loaded once and kept, so views into a parsed file stay valid for the whole test.
const std::string& load(const std::string& file) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(file);
  if (it == cache.end()) it = cache.emplace(file, read_file(corpus_dir() + "/" + file)).first;
  return it->second;
}

Status parse_file(const std::string& file, const std::string& data, Message& m) {
  const Status st = parse(data.data(), data.size(), m);
  const char* bad = check_invariants(m, data.data(), data.size(), st);
  EXPECT_EQ(bad, nullptr) << file << ": " << (bad ? bad : "");
  return st;
}

TEST(Conformance, CorpusIsPresent) {
  ASSERT_TRUE(std::filesystem::is_directory(corpus_dir())) << "RFC 4475 corpus missing: " << corpus_dir();
  ASSERT_TRUE(std::filesystem::is_regular_file(corpus_dir() + "/EXPECTED.tsv")) << corpus_dir();
}

TEST(Conformance, EveryFileHasARowAndAVerdict) {
  std::set<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir()))
    if (e.path().extension() == ".dat") files.insert(e.path().filename().string());
  ASSERT_EQ(files.size(), 49u);
  std::set<std::string> rows;
  for (const Row& r : expected_rows()) {
    EXPECT_TRUE(rows.insert(r.file).second) << "duplicate row " << r.file;
    EXPECT_TRUE(files.count(r.file)) << "row without a file: " << r.file;
    EXPECT_TRUE(expected_status().count(r.file)) << "no parser verdict for " << r.file;
  }
  for (const std::string& f : files) EXPECT_TRUE(rows.count(f)) << "file without a row: " << f;
  EXPECT_EQ(expected_status().size(), files.size());
}

// The verdict table above agrees with the dispositions (so it cannot drift from EXPECTED.tsv).
TEST(Conformance, VerdictsMatchDispositions) {
  for (const Row& r : expected_rows()) {
    SCOPED_TRACE(r.file + " " + r.disposition);
    const auto it = expected_status().find(r.file);
    ASSERT_NE(it, expected_status().end());
    const std::set<Status>& want = it->second;
    if (r.disposition == "forward" || r.disposition == "valid-response") {
      EXPECT_EQ(want, std::set<Status>{S::kOk});
    } else if (r.disposition == "reply:505") {
      EXPECT_EQ(want, std::set<Status>{S::kBadVersion});
    } else if (r.disposition == "reject" || r.disposition == "drop") {
      EXPECT_FALSE(want.count(S::kOk));
    } else if (r.disposition == "reply:420" || r.disposition == "reply:483") {
      EXPECT_EQ(want, std::set<Status>{S::kOk});  // the proxy decides these replies
    } else {
      EXPECT_EQ(r.disposition, "either");
      EXPECT_EQ(want.size(), 1u);
    }
  }
}

TEST(Conformance, EveryMessageGetsItsVerdict) {
  static Message m;
  for (const Row& r : expected_rows()) {
    SCOPED_TRACE(r.file + " (" + r.disposition + ": " + r.note + ")");
    const std::string& data = load(r.file);
    const Status st = parse_file(r.file, data, m);
    const std::set<Status>& want = expected_status().at(r.file);
    EXPECT_TRUE(want.count(st)) << "got " << to_string(st);
    if (r.disposition == "either") std::cout << "[ either   ] " << r.file << " -> " << to_string(st) << "\n";
  }
}

// The From tag, decoded on demand as the proxy does.
std::string_view from_tag_of(const Message& m) {
  std::string_view tag;
  return decode_from_tag(m, tag) == Status::kOk ? tag : std::string_view();
}

// What the proxy needs from specific messages beyond the verdict.
TEST(Conformance, DecodedFields) {
  static Message m;
  static Via vias[kMaxVias];
  std::uint8_t n = 0;
  {
    SCOPED_TRACE("wsinv");
    ASSERT_EQ(parse_file("wsinv", load("wsinv.dat"), m), S::kOk);
    ASSERT_EQ(m.decoded_vias, 1);  // a request: the top Via; the rest on demand
    EXPECT_EQ(m.vias[0].host, "192.0.2.2");
    EXPECT_EQ(m.vias[0].branch, "390skdjuw");
    ASSERT_EQ(decode_vias(m, vias, kMaxVias, n), S::kOk);
    ASSERT_EQ(n, 3);
    EXPECT_EQ(vias[0].host, "192.0.2.2");
    EXPECT_EQ(vias[1].transport, "TCP");
    EXPECT_EQ(vias[1].host, "spindle.example.com");
    EXPECT_EQ(vias[1].branch, "z9hG4bK9ikj8");
    EXPECT_EQ(vias[2].host, "192.168.255.111");
    EXPECT_EQ(vias[2].branch, "z9hG4bK30239");
    EXPECT_EQ(m.max_forwards, 68);
    EXPECT_EQ(m.cseq, 9u);
    EXPECT_EQ(m.cseq_method, "INVITE");
    EXPECT_EQ(m.to_tag, "1918181833n");
    EXPECT_EQ(from_tag_of(m), "98asjd8");
    EXPECT_EQ(m.call_id, "wsinv.ndaksdj@192.0.2.1");
    ASSERT_EQ(m.route_count, 1);
    EXPECT_TRUE(m.routes[0].uri.lr);
    EXPECT_EQ(m.routes[0].uri.host, "services.example.com");
    EXPECT_EQ(m.body.size(), 150u);
    EXPECT_EQ(m.find(HeaderId::kSubject)->value(), "");
    EXPECT_EQ(m.find(HeaderId::kContentLength)->name(), "Content-Length");
  }
  {
    SCOPED_TRACE("longreq");
    ASSERT_EQ(parse_file("longreq", load("longreq.dat"), m), S::kOk);
    EXPECT_EQ(m.decoded_vias, 1);
    EXPECT_EQ(m.vias[0].host, "sip33.example.com");
    ASSERT_EQ(decode_vias(m, vias, kMaxVias, n), S::kOk);
    EXPECT_EQ(n, 34);
    EXPECT_EQ(vias[33].received, "192.0.2.5");
  }
  {
    SCOPED_TRACE("dblreq");
    const std::string& d = load("dblreq.dat");
    ASSERT_EQ(parse_file("dblreq", d, m), S::kOk);
    EXPECT_EQ(m.method, "REGISTER");
    EXPECT_TRUE(m.has_content_length);
    EXPECT_EQ(m.body.size(), 0u);
    EXPECT_LT(m.headers_end, d.find("INVITE"));
  }
  {
    SCOPED_TRACE("inv2543");
    const std::string& d = load("inv2543.dat");
    ASSERT_EQ(parse_file("inv2543", d, m), S::kOk);
    EXPECT_FALSE(m.has_content_length);
    EXPECT_FALSE(m.vias[0].has_branch);
    EXPECT_EQ(m.body.data() + m.body.size(), m.data + d.size());
    EXPECT_EQ(m.body.substr(0, 5), "v=0\r\n");
    RouteValue rr[kMaxRecordRoutes];
    std::uint8_t n = 0;
    ASSERT_EQ(decode_record_routes(m, rr, kMaxRecordRoutes, n), S::kOk);
    ASSERT_EQ(n, 1);
    EXPECT_EQ(rr[0].uri.host, "example.com");
  }
  {
    SCOPED_TRACE("esc02");
    ASSERT_EQ(parse_file("esc02", load("esc02.dat"), m), S::kOk);
    EXPECT_EQ(m.method, "RE%47IST%45R");
    EXPECT_EQ(m.find(HeaderId::kContact)->value(), "<sip:alias1@host1.example.com>");
  }
  {
    SCOPED_TRACE("transports");
    ASSERT_EQ(parse_file("transports", load("transports.dat"), m), S::kOk);
    ASSERT_EQ(decode_vias(m, vias, kMaxVias, n), S::kOk);
    ASSERT_EQ(n, 5);
    const char* want[] = {"UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
    for (int i = 0; i < 5; ++i) EXPECT_EQ(vias[i].transport, want[i]);
    EXPECT_EQ(m.call_id, "transports.kijh4akdnaqjkwendsasfdj");
  }
  {
    SCOPED_TRACE("bext01");
    ASSERT_EQ(parse_file("bext01", load("bext01.dat"), m), S::kOk);
    std::vector<std::string> tokens;
    std::string_view t;
    for (ListIterator it(m.find(HeaderId::kProxyRequire)->value()); it.next(t);) tokens.emplace_back(t);
    EXPECT_EQ(tokens, (std::vector<std::string>{"noProxiesSupportThis", "norDoAnyProxiesSupportThis"}));
  }
  {
    SCOPED_TRACE("zeromf");
    ASSERT_EQ(parse_file("zeromf", load("zeromf.dat"), m), S::kOk);
    EXPECT_EQ(m.max_forwards, 0);
  }
  {
    SCOPED_TRACE("bcast");
    ASSERT_EQ(parse_file("bcast", load("bcast.dat"), m), S::kOk);
    ASSERT_EQ(m.decoded_vias, 2);
    EXPECT_EQ(m.vias[1].host, "255.255.255.255");
    EXPECT_EQ(m.status_code, 200);
  }
  {
    SCOPED_TRACE("noreason / unreason");
    ASSERT_EQ(parse_file("noreason", load("noreason.dat"), m), S::kOk);
    EXPECT_EQ(m.status_code, 100);
    EXPECT_EQ(m.reason, "");
    ASSERT_EQ(parse_file("unreason", load("unreason.dat"), m), S::kOk);
    EXPECT_EQ(m.reason.substr(0, 12), "= 2**3 * 5**");
    EXPECT_EQ(m.reason.size(), 74u);
  }
  {
    SCOPED_TRACE("mpart01");
    ASSERT_EQ(parse_file("mpart01", load("mpart01.dat"), m), S::kOk);
    EXPECT_EQ(m.body.size(), 553u);
    ASSERT_EQ(m.route_count, 1);
    EXPECT_EQ(m.routes[0].uri.host, "127.0.0.1");
    EXPECT_EQ(m.routes[0].uri.port, 5080);
    EXPECT_TRUE(m.vias[0].has_rport);
    EXPECT_EQ(m.vias[0].rport, "");
  }
  {
    SCOPED_TRACE("intmeth");
    ASSERT_EQ(parse_file("intmeth", load("intmeth.dat"), m), S::kOk);
    EXPECT_EQ(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
    EXPECT_EQ(m.cseq_method, m.method);
    EXPECT_EQ(from_tag_of(m), "_token~1'+`*%!-.");
    EXPECT_EQ(m.max_forwards, 255);
    Uri u;
    ASSERT_TRUE(parse_uri(m.request_uri, u));
    EXPECT_EQ(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    EXPECT_EQ(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  }
  {
    SCOPED_TRACE("semiuri / esc01");
    ASSERT_EQ(parse_file("semiuri", load("semiuri.dat"), m), S::kOk);
    Uri u;
    ASSERT_TRUE(parse_uri(m.request_uri, u));
    EXPECT_EQ(u.user, "user;par=u%40example.net");
    EXPECT_EQ(u.host, "example.com");
    ASSERT_EQ(parse_file("esc01", load("esc01.dat"), m), S::kOk);
    ASSERT_TRUE(parse_uri(m.request_uri, u));
    EXPECT_EQ(u.user, "sips%3Auser%40example.com");
    EXPECT_EQ(m.find(HeaderId::kContact)->value(), "<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>");
  }
  {
    SCOPED_TRACE("badvers: a 505 can be built");
    ASSERT_EQ(parse_file("badvers", load("badvers.dat"), m), S::kBadVersion);
    EXPECT_EQ(m.decoded_vias, 1);
    EXPECT_EQ(m.vias[0].host, "c.example.com");
    EXPECT_EQ(m.call_id, "badvers.31417@c.example.com");
    EXPECT_EQ(from_tag_of(m), "qweoiqpe");
    EXPECT_NE(m.find(HeaderId::kTo), nullptr);
    EXPECT_EQ(m.cseq_method, "OPTIONS");
  }
  {
    SCOPED_TRACE("mismatch01: a 400 can be built");
    ASSERT_EQ(parse_file("mismatch01", load("mismatch01.dat"), m), S::kCSeqMethodMismatch);
    EXPECT_EQ(m.decoded_vias, 1);
    EXPECT_EQ(m.call_id, "mismatch01.dj0234sxdfl3");
    EXPECT_EQ(m.cseq_method, "INVITE");
    EXPECT_EQ(m.method, "OPTIONS");
  }
  {
    SCOPED_TRACE("clerr / insuf");
    const std::string& d = load("clerr.dat");
    ASSERT_EQ(parse_file("clerr", d, m), S::kContentLengthBeyondDatagram);
    EXPECT_EQ(m.content_length, 9999u);
    EXPECT_EQ(m.decoded_vias, 1);
    ASSERT_EQ(parse_file("insuf", load("insuf.dat"), m), S::kMissingCallId);
    EXPECT_EQ(m.decoded_vias, 1);
  }
}

}  // namespace
}  // namespace sipshunt::sip::testing
