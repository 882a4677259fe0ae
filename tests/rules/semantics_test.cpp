// What each condition, action and statement of the rule language means, one behaviour per test.
#include <gtest/gtest.h>

#include <cctype>

#include <fstream>
#include <sstream>

#include "helpers.hpp"
#include "impl.hpp"

namespace sipshunt::rules::test {
namespace {

#define COMPILE_OK(c)                                                                   \
  ASSERT_TRUE((c)->result) << ((c)->result ? std::string() : (c)->result.error().to_string())

TEST(RuleSemantics, IssueExampleAsWritten) {
  auto c = std::make_unique<Compiled>();
  c->dir.write("more/extra.rules", "rule extra: header X-Extra ~ /yes/ => drop\n");
  const auto main = c->dir.write("main.rules", R"(# first match wins
include "more/*.rules"
rule scanners:  header User-Agent ~ /friendly-scanner|sipvicious|sipcli/i  => drop
rule registrar: method REGISTER                                           => pool registrars
rule emergency: method INVITE and ruri ~ /^sips?:(911|112)@/               => pool emergency
rule keepalive: method OPTIONS and not src 198.19.0.0/16, 2001:db8::/32    => reply 200 "OK"
rule rest:      any                                                        => pool core
)");
  const std::filesystem::path files[] = {main};
  c->result = RuleSet::compile(files, default_pools());
  COMPILE_OK(c);
  ASSERT_TRUE(c->scratch->prepare(**c->result));
  const auto rules = (*c->result)->rules();
  ASSERT_EQ(rules.size(), 6u);
  EXPECT_EQ(rules[0].name, "extra");  // the include sits where it is written
  EXPECT_EQ(rules[1].line, 3u);
  EXPECT_EQ(rules[2].action.kind, ActionKind::kPool);
  EXPECT_EQ(default_pools()[rules[2].action.pool], "registrars");
  EXPECT_EQ(rules[4].action.kind, ActionKind::kReply);
  EXPECT_EQ(rules[4].action.status, 200);
  EXPECT_EQ(rules[4].action.reason_phrase, "OK");
  EXPECT_EQ(rules[1].action.kind, ActionKind::kDrop);

  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"User-Agent: SIPVicious/0.3"})), "scanners");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"X-Extra: yes"})), "extra");
  EXPECT_EQ(decide(*c, request("REGISTER", "sip:example.com")), "registrar");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:911@example.com")), "emergency");
  EXPECT_EQ(decide(*c, request("INVITE", "sips:112@example.com")), "emergency");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:9110@example.com")), "rest");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:example.com")), "keepalive");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:example.com"), "198.19.4.5:5060"), "rest");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:example.com"), "[2001:db8::7]:5060"), "rest");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:example.com"), "[2001:db9::7]:5060"), "keepalive");
  EXPECT_EQ(decide(*c, request("BYE", "sip:bob@example.com")), "rest");
}

TEST(RuleSemantics, FirstMatchWinsInFileOrder) {
  auto c = compile_text(
      "rule one: ruri ~ /bob/ => pool core\n"
      "rule two: method INVITE => pool registrars\n"
      "rule three: any => drop\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com")), "one");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:carol@example.com")), "two");
  EXPECT_EQ(decide(*c, request("BYE", "sip:carol@example.com")), "three");
  // Reversed: the catch-all first shadows everything.
  auto r = compile_text("rule three: any => drop\nrule one: ruri ~ /bob/ => pool core\n");
  COMPILE_OK(r);
  EXPECT_EQ(decide(*r, request("INVITE", "sip:bob@example.com")), "three");
}

TEST(RuleSemantics, NoRuleMatches) {
  auto c = compile_text("rule a: method INVITE => drop\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("BYE", "sip:bob@example.com")), "(none)");
  auto empty = compile_text("# nothing here\n\n");
  COMPILE_OK(empty);
  EXPECT_EQ((*empty->result)->rules().size(), 0u);
  EXPECT_EQ(decide(*empty, request("BYE", "sip:bob@example.com")), "(none)");
}

// A header a message may carry several fields of is scanned in every one of them, wherever they
// are; To, of which a message that parsed has one, is found through Message::first
// (match.cpp), also when other scanned headers come before or after it.
TEST(RuleSemantics, EveryFieldOfAScannedHeaderIsScanned) {
  auto c = compile_text(
      "rule ua: header User-Agent ~ /evil/ => drop\n"
      "rule to: header To ~ /carol/ => drop\n"
      "rule rest: any => pool core\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"User-Agent: good", "User-Agent: evil 1.0"})), "ua");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"User-Agent: evil", "Subject: x", "User-Agent: good"})), "ua");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"User-Agent: good", "User-Agent: good"})), "rest");
  std::string to_carol = request("INVITE", "sip:bob@example.com", {"User-Agent: good"});
  to_carol.replace(to_carol.find("<sip:bob@"), 9, "<sip:carol@");
  EXPECT_EQ(decide(*c, to_carol), "to");
}

TEST(RuleSemantics, ConjunctionNeedsEveryCondition) {
  auto c = compile_text("rule both: method INVITE and ruri ~ /^sip:1800/ and header Subject ~ /urgent/ => drop\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:18005550100@example.com", {"Subject: urgent"})), "both");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:18005550100@example.com", {"Subject: later"})), "(none)");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:18885550100@example.com", {"Subject: urgent"})), "(none)");
  EXPECT_EQ(decide(*c, request("MESSAGE", "sip:18005550100@example.com", {"Subject: urgent"})), "(none)");
}

TEST(RuleSemantics, Negation) {
  auto c = compile_text(
      "rule not-invite: not method INVITE => drop\n"
      "rule no-subject: not header Subject ~ /./ => pool core\n"
      "rule double: not not ruri ~ /bob/ => pool registrars\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("BYE", "sip:bob@example.com")), "not-invite");
  // An absent header does not match, so its negation holds.
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com")), "no-subject");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"Subject: hi"})), "double");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:carol@example.com", {"Subject: hi"})), "(none)");
}

TEST(RuleSemantics, MethodIsAnExactCaseSensitiveToken) {
  auto c = compile_text(
      "rule reg: method REGISTER => pool registrars\n"
      "rule list: method BYE, CANCEL,ACK => drop\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("REGISTER", "sip:example.com")), "reg");
  EXPECT_EQ(decide(*c, request("register", "sip:example.com")), "(none)");
  EXPECT_EQ(decide(*c, request("REGISTERX", "sip:example.com")), "(none)");
  EXPECT_EQ(decide(*c, request("REGISTE", "sip:example.com")), "(none)");
  EXPECT_EQ(decide(*c, request("CANCEL", "sip:bob@example.com")), "list");
  EXPECT_EQ(decide(*c, request("ACK", "sip:bob@example.com")), "list");
  EXPECT_EQ(decide(*c, request("Bye", "sip:bob@example.com")), "(none)");
}

TEST(RuleSemantics, Rfc4475Esc02IsNotRegister) {
  const std::string path = std::string(SIPSHUNT_CONFORMANCE_DIR) + "/rfc4475/esc02.dat";
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string datagram = ss.str();
  auto c = compile_text(
      "rule registrar: method REGISTER => pool registrars\n"
      "rule escaped: method RE%47IST%45R => pool emergency\n"
      "rule rest: any => pool core\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, datagram), "escaped");
  auto without = compile_text("rule registrar: method REGISTER => pool registrars\nrule rest: any => pool core\n");
  COMPILE_OK(without);
  EXPECT_EQ(decide(*without, datagram), "rest");
}

// Header names without a HeaderId are looked up by length, then text: names of one length and
// of several, each found whatever its case, and a name no rule reads found by none.
TEST(RuleSemantics, EveryOtherHeaderNameIsFound) {
  const char* names[] = {"X-A", "X-B", "X-Ab", "X-Ba", "X-Tenant", "X-Tenanu", "User-Agent", "X-Longer-Name-Here"};
  std::string text;
  for (const char* n : names) text += std::string("rule r-") + n + ": header " + n + " ~ /^hit$/ => drop\n";
  auto c = compile_text(text);
  COMPILE_OK(c);
  for (const char* n : names) {
    std::string upper = n;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {std::string(n) + ": hit"})), std::string("r-") + n);
    EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {upper + ": hit"})), std::string("r-") + n);
  }
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"X-C: hit", "X-Tenanv: hit", "X-Ac: hit"})), "(none)");
}

TEST(RuleSemantics, CompactAndLongHeaderNamesAreOneHeader) {
  auto c = compile_text(
      "rule ua: header user-agent ~ /scanner/ => drop\n"
      "rule callid: header Call-ID ~ /^magic-/ => pool core\n"
      "rule subject: header s ~ /hello/ => pool registrars\n"
      "rule custom: header X-Tenant ~ /^acme$/ => pool emergency\n");
  COMPILE_OK(c);
  // One database per field: user-agent, Call-ID, Subject (via `s`), X-Tenant.
  EXPECT_EQ((*c->result)->summary().databases, 4u);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"User-Agent: friendly-scanner"})), "ua");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"USER-AGENT: friendly-scanner"})), "ua");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject: hello there"})), "subject");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"s: hello there"})), "subject");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"x-tenant: acme"})), "custom");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"X-TENANT: acme"})), "custom");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"X-Tenant-Id: acme"})), "(none)");

  // Call-ID written in its compact form `i:` on the wire.
  std::string compact = request("INVITE", "sip:b@x");
  const auto at = compact.find("Call-ID: ");
  compact.replace(at, 9, "i: magic-");
  EXPECT_EQ(decide(*c, compact), "callid");
  // And a rule written with the compact name matches the long form.
  auto i = compile_text("rule i: header i ~ /^a84b4c76e66710@/ => drop\n");
  COMPILE_OK(i);
  EXPECT_EQ(decide(*i, request("INVITE", "sip:b@x")), "i");
}

TEST(RuleSemantics, EveryFieldOfARepeatedHeaderIsScanned) {
  auto c = compile_text("rule second: header X-Tag ~ /^two$/ => drop\nrule contact: header Contact ~ /c2/ => pool core\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"X-Tag: one", "X-Tag: two"})), "second");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"X-Tag: one", "x-tag: three"})), "(none)");
  // A comma list is matched as the whole field value.
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Contact: <sip:c1@h>, <sip:c2@h>"})), "contact");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Contact: <sip:c1@h>", "m: <sip:c2@h>"})), "contact");
}

TEST(RuleSemantics, RegexFlagsAndAnchors) {
  auto c = compile_text(
      "rule anchored: ruri ~ /^sip:alice@/ => drop\n"
      "rule caseless: header Subject ~ /URGENT/i => pool core\n"
      "rule exact: header Subject ~ /Quiet/ => pool registrars\n"
      "rule tail: header Subject ~ /end$/ => pool emergency\n"
      "rule empty: header Subject ~ /^$/ => pool tollfree\n");
  COMPILE_OK(c);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:alice@x")), "anchored");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:alice@x", {"Subject: a"})), "anchored");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:xalice@x", {"Subject: a"})), "(none)");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject: this is urgent"})), "caseless");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject: quiet"})), "(none)");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject: Quiet"})), "exact");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject: the end"})), "tail");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject: the end."})), "(none)");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x", {"Subject:"})), "empty");

  auto slash = compile_text("rule slash: header X-Path ~ /a\\/b[/]c/ => drop\n");
  COMPILE_OK(slash);
  EXPECT_EQ(decide(*slash, request("INVITE", "sip:b@x", {"X-Path: a/b/c"})), "slash");
}

TEST(RuleSemantics, SourcePrefixesIPv4AndIPv6) {
  auto c = compile_text(
      "rule host: src 198.18.7.7 => drop\n"
      "rule inner: src 198.18.7.0/24 => pool registrars\n"
      "rule v6: src 2001:db8:1::/48, 198.18.9.0/24 => pool emergency\n"
      "rule v6host: src 2001:db8:2::1 => pool tollfree\n"
      "rule outer: src 198.18.0.0/15 => pool core\n"
      "rule not-trunk: method INVITE and not src 203.0.113.0/24, 2001:db8::/32 => pool carrier\n");
  COMPILE_OK(c);
  const std::string inv = request("INVITE", "sip:b@x");
  EXPECT_EQ(decide(*c, inv, "198.18.7.7:5060"), "host");
  EXPECT_EQ(decide(*c, inv, "198.18.7.8:5060"), "inner");
  EXPECT_EQ(decide(*c, inv, "198.18.7.255:5060"), "inner");
  EXPECT_EQ(decide(*c, inv, "198.18.9.1:5060"), "v6");
  EXPECT_EQ(decide(*c, inv, "198.19.255.255:5060"), "outer");
  EXPECT_EQ(decide(*c, inv, "198.18.0.0:5060"), "outer");
  EXPECT_EQ(decide(*c, inv, "198.20.0.0:5060"), "not-trunk");
  EXPECT_EQ(decide(*c, inv, "203.0.113.9:5060"), "(none)");
  EXPECT_EQ(decide(*c, inv, "[2001:db8:1:ffff::1]:5060"), "v6");
  EXPECT_EQ(decide(*c, inv, "[2001:db8:2::1]:5060"), "v6host");
  EXPECT_EQ(decide(*c, inv, "[2001:db8:2::2]:5060"), "(none)");  // in 2001:db8::/32
  EXPECT_EQ(decide(*c, inv, "[2001:db9::1]:5060"), "not-trunk");
  // An IPv4 prefix never matches an IPv6 source and the other way round.
  EXPECT_EQ(decide(*c, request("BYE", "sip:b@x"), "[::ffff:198.18.7.7]:5060"), "(none)");
  EXPECT_EQ((*c->result)->summary().prefixes, 8u);
}

TEST(RuleSemantics, EverythingPrefixes) {
  auto c = compile_text("rule all4: src 0.0.0.0/0 => drop\nrule all6: src ::/0 => pool core\n");
  COMPILE_OK(c);
  const std::string inv = request("INVITE", "sip:b@x");
  EXPECT_EQ(decide(*c, inv, "255.255.255.255:1"), "all4");
  EXPECT_EQ(decide(*c, inv, "0.0.0.1:1"), "all4");
  EXPECT_EQ(decide(*c, inv, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:1"), "all6");
  EXPECT_EQ(decide(*c, inv, "[::]:1"), "all6");
}

TEST(RuleSemantics, RulesMaySpanLinesAndCarryComments) {
  auto c = compile_text(
      "rule trunk:   # the carrier's signalling addresses\n"
      "    src 203.0.113.0/24,\n"
      "        2001:db8:5::/48\n"
      "    and method INVITE   # calls only\n"
      "    => pool carrier\n"
      "\n"
      "rule scanners: header User-Agent ~ /sipvicious/i => drop  # trailing comment\n");
  COMPILE_OK(c);
  ASSERT_EQ((*c->result)->rules().size(), 2u);
  EXPECT_EQ((*c->result)->rules()[1].line, 7u);
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x"), "[2001:db8:5::9]:5060"), "trunk");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:b@x"), "203.0.113.1:5060"), "trunk");
  EXPECT_EQ(decide(*c, request("BYE", "sip:b@x"), "203.0.113.1:5060"), "(none)");
}

TEST(RuleSemantics, ReplyReasonKeepsEscapes) {
  auto c = compile_text("rule r: any => reply 403 \"Forbidden \\\"here\\\" \\\\ there\"\n");
  COMPILE_OK(c);
  EXPECT_EQ((*c->result)->rules()[0].action.status, 403);
  EXPECT_EQ((*c->result)->rules()[0].action.reason_phrase, "Forbidden \"here\" \\ there");
}

TEST(RuleSemantics, IncludesDirectoriesAndGlobsInOrder) {
  auto c = std::make_unique<Compiled>();
  c->dir.write("d/20-b.rules", "rule b: header X-B ~ /1/ => drop\n");
  c->dir.write("d/10-a.rules", "rule a: header X-A ~ /1/ => drop\n");
  c->dir.write("d/notes.txt", "this is not a rule file\n");
  c->dir.write("g/x1.rules", "rule x1: any => drop\n");
  c->dir.write("g/y1.rules", "rule y1: any => drop\n");
  c->dir.write("sub/nested.rules", "include \"../d\"\n");
  const auto main = c->dir.write("main.rules",
                                 "rule first: header X-First ~ /1/ => drop\n"
                                 "include \"sub/nested.rules\"\n"
                                 "include \"g/x*.rules\"\n"
                                 "include \"g/none-*.rules\"   # matches nothing: fine\n");
  const std::filesystem::path files[] = {main};
  c->result = RuleSet::compile(files, default_pools());
  COMPILE_OK(c);
  std::vector<std::string> names;
  for (const Rule& r : (*c->result)->rules()) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"first", "a", "b", "x1"}));
  EXPECT_EQ((*c->result)->summary().files, 5u);
  EXPECT_EQ((*c->result)->rules()[1].file, (c->dir.path() / "d/10-a.rules").string());
}

TEST(RuleSemantics, PatternsAreSharedWithinAFieldAndCounted) {
  auto c = compile_text(
      "rule a: ruri ~ /x/ => drop\n"
      "rule b: ruri ~ /x/ and header From ~ /x/ => drop\n"
      "rule c: ruri ~ /x/i and header f ~ /x/ => drop\n");
  COMPILE_OK(c);
  const auto s = (*c->result)->summary();
  EXPECT_EQ(s.rules, 3u);
  EXPECT_EQ(s.patterns, 3u);   // ruri /x/, ruri /x/i, From /x/
  EXPECT_EQ(s.databases, 2u);  // ruri, From
  EXPECT_EQ(s.files, 1u);
}

TEST(RuleSemantics, UnpreparedScratchIsAnErrorNotADecision) {
  auto c = compile_text("rule a: ruri ~ /x/ => drop\n");
  COMPILE_OK(c);
  Scratch fresh;
  auto msg = std::make_unique<sip::Message>();
  const std::string text = request("INVITE", "sip:x@y");
  ASSERT_EQ(sip::parse(text.data(), text.size(), *msg), sip::Status::kOk);
  const Match m = (*c->result)->match(*msg, endpoint("198.18.0.1:5060"), fresh);
  EXPECT_TRUE(m.error);
  EXPECT_EQ(m.rule, -1);
  ASSERT_TRUE(fresh.prepare(**c->result));
  EXPECT_EQ((*c->result)->match(*msg, endpoint("198.18.0.1:5060"), fresh).rule, 0);
}

TEST(RuleSemantics, OneScratchServesSeveralRuleSets) {
  auto big = compile_text("rule a: ruri ~ /a/ => drop\nrule b: header Subject ~ /b/ => drop\nrule c: header X-C ~ /c/ => drop\n");
  auto small = compile_text("rule z: ruri ~ /z/ => drop\n");
  COMPILE_OK(big);
  COMPILE_OK(small);
  Scratch scratch;
  ASSERT_TRUE(scratch.prepare(**big->result));
  ASSERT_TRUE(scratch.prepare(**small->result));
  auto msg = std::make_unique<sip::Message>();
  const std::string text = request("INVITE", "sip:abz@y", {"Subject: b", "X-C: c"});
  ASSERT_EQ(sip::parse(text.data(), text.size(), *msg), sip::Status::kOk);
  for (int i = 0; i < 3; ++i) {  // the bitset is left clear between messages
    EXPECT_EQ((*big->result)->match(*msg, endpoint("198.18.0.1:5060"), scratch).rule, 0);
    EXPECT_EQ((*small->result)->match(*msg, endpoint("198.18.0.1:5060"), scratch).rule, 0);
  }
  const std::string other = request("INVITE", "sip:q@y", {"X-C: c"});
  ASSERT_EQ(sip::parse(other.data(), other.size(), *msg), sip::Status::kOk);
  EXPECT_EQ((*big->result)->match(*msg, endpoint("198.18.0.1:5060"), scratch).rule, 2);
  EXPECT_EQ((*small->result)->match(*msg, endpoint("198.18.0.1:5060"), scratch).rule, -1);
}

TEST(RuleSemantics, TopLevelDirectoryAndSeveralFiles) {
  TempDir dir;
  dir.write("conf.d/a.rules", "rule a: header X-A ~ /1/ => drop\n");
  dir.write("conf.d/b.rules", "rule b: any => pool core\n");
  const auto extra = dir.write("extra.rules", "rule c: method FOO => drop\n");
  const std::filesystem::path files[] = {extra, dir.path() / "conf.d"};
  const auto result = RuleSet::compile(files, default_pools());
  ASSERT_TRUE(result) << result.error().to_string();
  ASSERT_EQ((*result)->rules().size(), 3u);
  EXPECT_EQ((*result)->rules()[0].name, "c");
  EXPECT_EQ((*result)->rules()[2].name, "b");
}

}  // namespace
}  // namespace sipshunt::rules::test
