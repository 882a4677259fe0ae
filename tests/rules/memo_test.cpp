// The per-worker memo of field results (src/rules/memo.hpp): a value seen again is answered from
// it with exactly what a scan reports, never across rule sets, never for another value that
// shares its slot or its length.
#include <gtest/gtest.h>

#include <string>

#include "helpers.hpp"
#include "impl.hpp"

namespace sipshunt::rules::test {
namespace {

#define COMPILE_OK(c)                                                                   \
  ASSERT_TRUE((c)->result) << ((c)->result ? std::string() : (c)->result.error().to_string())

std::string with_ua(std::string_view ua) { return request("INVITE", "sip:bob@example.com", {"User-Agent: " + std::string(ua)}); }

const FieldMemo& memo_of(const Compiled& c, std::size_t field) { return c.scratch->impl()->memos.at(field); }

TEST(RulesMemo, ARepeatedValueIsAnsweredFromTheMemo) {
  auto c = compile_text("rule ua: header User-Agent ~ /scanner/i => drop\nrule rest: any => pool core\n");
  COMPILE_OK(c);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decide(*c, with_ua("A Scanner 1.0")), "ua");
    EXPECT_EQ(decide(*c, with_ua("softphone 1.0")), "rest");
  }
  const FieldMemo::Entry& e = memo_of(*c, 0).at(FieldMemo::slot_of("A Scanner 1.0"));
  EXPECT_EQ(e.set, (*c->result)->impl().serial);
  ASSERT_EQ(e.size, 13u);
  EXPECT_EQ(std::string(e.value, e.size), "A Scanner 1.0");
  ASSERT_EQ(e.count, 1u);
  EXPECT_EQ(e.ids[0], 0u);
}

TEST(RulesMemo, AResultIsNeverUsedWithAnotherRuleSet) {
  // Both sets give pattern id 0 to User-Agent; a memo keyed on the field and value alone would
  // answer the second set with the first set's match.
  auto foo = compile_text("rule foo: header User-Agent ~ /[f]oo/ => drop\n");
  auto bar = compile_text("rule bar: header User-Agent ~ /[b]ar/ => drop\n");
  COMPILE_OK(foo);
  COMPILE_OK(bar);
  EXPECT_EQ(decide(*foo, with_ua("foo")), "foo");  // memoised: "foo" matched id 0
  ASSERT_TRUE(foo->scratch->prepare(**bar->result));
  ASSERT_TRUE(bar->scratch->prepare(**foo->result));
  std::swap(bar->scratch, foo->scratch);  // bar now matches with the scratch foo filled
  EXPECT_EQ(decide(*bar, with_ua("foo")), "(none)");
  EXPECT_EQ(decide(*foo, with_ua("foo")), "foo");
  EXPECT_EQ(decide(*bar, with_ua("foo")), "(none)");
  EXPECT_EQ(decide(*bar, with_ua("bar")), "bar");
  EXPECT_EQ(decide(*foo, with_ua("bar")), "(none)");
}

TEST(RulesMemo, AnotherValueOfTheSameLengthInTheSameSlotIsScanned) {
  std::string hit, miss;
  for (int i = 0; i < 1000 && miss.empty(); ++i) {
    const std::string a = "scanner-" + std::to_string(1000 + i);
    for (int j = 0; j < 1000 && miss.empty(); ++j) {
      const std::string b = "scammer-" + std::to_string(1000 + j);
      if (FieldMemo::slot_of(a) == FieldMemo::slot_of(b)) hit = a, miss = b;
    }
  }
  ASSERT_FALSE(miss.empty());
  ASSERT_EQ(hit.size(), miss.size());
  auto c = compile_text("rule ua: header User-Agent ~ /[s]canner/ => drop\n");
  COMPILE_OK(c);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decide(*c, with_ua(hit)), "ua");
    EXPECT_EQ(decide(*c, with_ua(hit)), "ua");
    EXPECT_EQ(decide(*c, with_ua(miss)), "(none)");
    EXPECT_EQ(decide(*c, with_ua(miss)), "(none)");
  }
}

TEST(RulesMemo, AValueMatchingMorePatternsThanAnEntryHoldsIsScannedEachTime) {
  std::string rules;
  for (int i = 1; i <= 4; ++i) {
    rules += "rule p" + std::to_string(i) + ": header User-Agent ~ /p" + std::to_string(i) + "/ and method OPTIONS => drop\n";
  }
  rules += "rule p5: header User-Agent ~ /p5/ => pool core\n";
  auto c = compile_text(rules);
  COMPILE_OK(c);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decide(*c, with_ua("p1 p2 p3 p4 p5")), "p5");  // five ids: not memoised
    EXPECT_EQ(decide(*c, with_ua("p5 p1 p2 p3")), "p5");     // four: memoised whole
  }
}

TEST(RulesMemo, AValueRepeatedInOneMessageIsMemoisedWithEveryIdItMatched) {
  // The second field's scan finds /foo/ already set by the first: the memo must still record it.
  auto c = compile_text("rule foo: header User-Agent ~ /foo/ and header User-Agent ~ /x/ => drop\n"
                        "rule only-foo: header User-Agent ~ /foo/ => pool core\n");
  COMPILE_OK(c);
  const std::string both = request("INVITE", "sip:bob@example.com", {"User-Agent: xfoo", "User-Agent: foo"});
  EXPECT_EQ(decide(*c, both), "foo");
  EXPECT_EQ(decide(*c, with_ua("foo")), "only-foo");
  EXPECT_EQ(decide(*c, with_ua("foo")), "only-foo");
}

TEST(RulesMemo, AFieldThatMissesMostlyRestsAndStaysCorrect) {
  auto c = compile_text("rule ua: header User-Agent ~ /[7]$/ => drop\nrule rest: any => pool core\n");
  COMPILE_OK(c);
  for (int i = 0; i < 600; ++i) {
    const std::string ua = "phone-" + std::to_string(i);
    ASSERT_EQ(decide(*c, with_ua(ua)), i % 10 == 7 ? "ua" : "rest") << ua;
  }
  EXPECT_GT(memo_of(*c, 0).resting(), 0u);
  EXPECT_EQ(decide(*c, with_ua("phone-7")), "ua");
}

TEST(RulesMemo, LongAndEmptyValues) {
  auto c = compile_text("rule ua: header User-Agent ~ /z$|^$/ => drop\nrule rest: any => pool core\n");
  COMPILE_OK(c);
  const std::string long_ua(FieldMemo::kMaxValue + 1, 'a');
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(decide(*c, with_ua(long_ua)), "rest");
    EXPECT_EQ(decide(*c, with_ua(long_ua + "z")), "ua");
    EXPECT_EQ(decide(*c, request("INVITE", "sip:bob@example.com", {"User-Agent:"})), "ua");
  }
}

}  // namespace
}  // namespace sipshunt::rules::test
