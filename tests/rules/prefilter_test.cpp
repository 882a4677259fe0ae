// A field's prefilter (src/rules/prefilter.hpp): the literal read off each pattern, the field's
// common lead, and that a value it refuses is never one a pattern matches (std::regex as the
// reference, on the differential test's subset where it agrees with Hyperscan).
#include <gtest/gtest.h>

#include <cctype>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "helpers.hpp"
#include "impl.hpp"

namespace sipshunt::rules::test {
namespace {

#define COMPILE_OK(c)                                                                   \
  ASSERT_TRUE((c)->result) << ((c)->result ? std::string() : (c)->result.error().to_string())

// request() with its To value replaced.
std::string with_to(std::string_view to) {
  std::string m = request("INVITE", "sip:bob@example.com");
  const std::string old = "To: <sip:bob@example.com>";
  return m.replace(m.find(old), old.size(), "To: " + std::string(to));
}

TEST(RulesPrefilter, LeadOfAPattern) {
  struct Case {
    const char* expression;
    bool multiline;
    const char* text;
    bool at_start;
  };
  const Case cases[] = {
      {R"(^sip:\+1800555[0-9]{2}@)", false, "sip:+1800555", true},
      {R"(<sip:ivr-01@)", false, "<sip:ivr-01@", false},
      {R"(^sip:\+1800)", true, "sip:+1800", false},       // m: ^ after any line break too
      {R"(^sips?:)", false, "sip", true},                  // ? makes the s optional
      {R"(^ab*c)", false, "a", true},
      {R"(^ab+c)", false, "a", true},
      {R"(ab{2}c)", false, "a", false},
      {R"(a\+?b)", false, "a", false},                     // the escaped + is the optional one
      {R"(scanner-01|sipvicious-01)", false, "", false},   // alternation
      {R"(^(911|112)@)", false, "", false},
      {R"(x(a)\|b)", false, "", false},                    // any | at all, even escaped
      {R"(^(?i)abc)", false, "", false},                   // starts with a group
      {R"([a-z]bc)", false, "", false},
      {R"(.bc)", false, "", false},
      {R"(\dbc)", false, "", false},                       // \d is a class, not a d
      {R"(\Qa|b\E)", false, "", false},
      {R"(^)", false, "", false},
      {R"()", false, "", false},
      {R"(^$)", false, "", false},
      {R"(^abc$)", false, "abc", true},
      {R"(@customer3\.example\.com[>;])", false, "@customer3.example.com", false},
      {"caf\xc3\xa9", false, "caf", false},                // non-ASCII stops the literal
      {"a\tb", false, "a", false},
  };
  for (const Case& c : cases) {
    const Lead l = lead_of(c.expression, c.multiline);
    EXPECT_EQ(l.text, c.text) << c.expression;
    EXPECT_EQ(l.at_start, c.at_start) << c.expression;
  }
}

TEST(RulesPrefilter, FieldLeadIsTheCommonPrefix) {
  const std::vector<Lead> toll = {{"sip:+180055501", true}, {"sip:+180055502", true}, {"sip:+1800555", true}};
  const Prefilter p = Prefilter::of(toll, false);
  EXPECT_EQ(p.lead, "sip:+1800555");
  EXPECT_TRUE(p.at_start);
  EXPECT_TRUE(p.admits("sip:+18005550199@example.com"));
  EXPECT_FALSE(p.admits("sip:+13105550055@198.18.0.1"));
  EXPECT_FALSE(p.admits("x sip:+18005550199@example.com"));  // only at the start
  EXPECT_FALSE(p.admits("sip:+1800"));
  EXPECT_FALSE(p.admits(""));

  const std::vector<Lead> mixed = {{"sip:+1800", true}, {"sip:ivr", false}};
  const Prefilter m = Prefilter::of(mixed, false);
  EXPECT_EQ(m.lead, "sip:");
  EXPECT_FALSE(m.at_start);
  EXPECT_TRUE(m.admits("<sip:x@y>"));
  EXPECT_FALSE(m.admits("<tel:+1>"));

  EXPECT_TRUE(Prefilter::of(std::vector<Lead>{{"abc", true}, {"", false}}, false).lead.empty());
  EXPECT_TRUE(Prefilter::of(std::vector<Lead>{{"abc", true}, {"xbc", true}}, false).lead.empty());

  const Prefilter i = Prefilter::of(std::vector<Lead>{{"Scanner", false}, {"SCANNER-2", false}}, true);
  EXPECT_EQ(i.lead, "scanner");
  EXPECT_TRUE(i.admits("a sCaNnEr"));
  EXPECT_FALSE(i.admits("a scanne"));
}

// The search for an unanchored lead tests sixteen places at a time, the last ones in a block
// overlapping the one before, then compares the lead where its first and last octets agree: against
// a plain search over every place, on values from 0 to 80 octets (so every block boundary),
// leads of 1 to 12 octets from a small alphabet (many partial candidates), with and without case.
TEST(RulesPrefilter, UnanchoredSearchAgreesWithAPlainSearch) {
  std::mt19937 rng(12);
  const std::string alphabet = "<sSiIpP:-";
  const auto pick = [&](std::size_t n) {
    std::string t;
    for (std::size_t i = 0; i < n; ++i) t += alphabet[rng() % alphabet.size()];
    return t;
  };
  int found = 0, refused = 0;
  for (int round = 0; round < 20000; ++round) {
    const bool caseless = rng() % 2 == 0;
    const std::string lead = pick(1 + rng() % 12);
    std::string value = pick(rng() % 81);
    if (rng() % 2 == 0 && lead.size() <= value.size()) {  // plant it, anywhere up to the very end
      std::string planted = lead;
      if (caseless) {
        for (char& c : planted) c = rng() % 2 ? static_cast<char>(std::toupper(c)) : ascii_lower(c);
      }
      value.replace(rng() % (value.size() - lead.size() + 1), lead.size(), planted);
    }
    const Prefilter p = Prefilter::of(std::vector<Lead>{{lead, false}}, caseless);
    bool expected = false;
    for (std::size_t at = 0; at + p.lead.size() <= value.size() && !expected; ++at) {
      expected = true;
      for (std::size_t j = 0; j < p.lead.size(); ++j) {
        const char c = caseless ? ascii_lower(value[at + j]) : value[at + j];
        expected = expected && c == p.lead[j];
      }
    }
    ASSERT_EQ(p.admits(value), expected) << "lead '" << lead << "' " << (caseless ? "i " : "") << "value '" << value << "'";
    (expected ? found : refused) += 1;
  }
  EXPECT_GT(found, 5000);
  EXPECT_GT(refused, 5000);
}

TEST(RulesPrefilter, RefusedValuesAreNotScannedYetEveryMatchIsFound) {
  auto c = compile_text(
      "rule toll: ruri ~ /^sip:\\+1800555[0-9]{2}@/ => pool tollfree\n"
      "rule toll2: ruri ~ /^sip:\\+1800555/ and method OPTIONS => pool tollfree\n"
      "rule ivr: header To ~ /<sip:ivr-0[1-9]@/ => pool core\n"
      "rule ivr-caseless: header To ~ /<SIP:IVR-1/i => pool core\n"
      "rule empty-ok: header Subject ~ /^$/ => drop\n"
      "rule rest: any => pool carrier\n");
  COMPILE_OK(c);
  const RuleSet::Impl& m = (*c->result)->impl();
  ASSERT_EQ(m.fields.size(), 3u);
  for (const Field& f : m.fields) {
    if (f.name == "ruri") {
      EXPECT_EQ(f.prefilter.lead, "sip:+1800555");
      EXPECT_TRUE(f.prefilter.at_start);
    } else if (f.name == "To") {
      EXPECT_EQ(f.prefilter.lead, "<sip:ivr-");
      EXPECT_FALSE(f.prefilter.at_start);
      EXPECT_TRUE(f.prefilter.caseless);
    } else {
      EXPECT_TRUE(f.prefilter.lead.empty()) << f.name;  // /^$/ matches the empty value
    }
  }
  EXPECT_EQ(decide(*c, request("INVITE", "sip:+180055501@example.com")), "toll");
  EXPECT_EQ(decide(*c, request("OPTIONS", "sip:+1800555@example.com")), "toll2");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:+13105550123@example.com")), "rest");
  EXPECT_EQ(decide(*c, with_to("<sip:ivr-07@example.com>")), "ivr");
  EXPECT_EQ(decide(*c, with_to("IVR <sip:ivr-00@example.com>")), "rest");
  EXPECT_EQ(decide(*c, with_to("<Sip:IVR-12@example.com>")), "ivr-caseless");
  EXPECT_EQ(decide(*c, with_to("<sip:iv-12@example.com>")), "rest");
  EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"Subject:"})), "empty-ok");
}

}  // namespace
}  // namespace sipshunt::rules::test
