// Every kind of broken rule file gives one precise message: file:line:col and what was expected.
#include <gtest/gtest.h>

#include <map>

#include "helpers.hpp"

namespace sipshunt::rules::test {
namespace {

struct Case {
  const char* what;
  std::map<std::string, std::string> files;  // main.rules is compiled; others are for includes
  std::string expected;                      // with "<dir>/" in front of the file name
};

std::string compile_error(const Case& c) {
  TempDir dir;
  for (const auto& [name, text] : c.files) dir.write(name, text);
  const std::filesystem::path files[] = {dir.path() / "main.rules"};
  const auto result = RuleSet::compile(files, default_pools());
  if (result) return "(compiled)";
  std::string s = result.error().to_string();
  const std::string prefix = dir.path().string() + "/";
  for (std::size_t at; (at = s.find(prefix)) != std::string::npos;) s.replace(at, prefix.size(), "");
  return s;
}

class RuleErrors : public ::testing::TestWithParam<Case> {};

TEST_P(RuleErrors, NamesFileLineColumnAndWhatWasExpected) {
  EXPECT_EQ(compile_error(GetParam()), GetParam().expected) << GetParam().what;
}

const Case kCases[] = {
    // --- syntax ---
    {"missing colon", {{"main.rules", "rule a method INVITE => drop\n"}},
     "main.rules:1:8: expected ':' after the rule name, found 'method'"},
    {"unknown statement", {{"main.rules", "# ok\n  rules a: any => drop\n"}},
     "main.rules:2:3: expected 'rule' or 'include' at the start of a statement, found 'rules'"},
    {"unknown condition", {{"main.rules", "rule a: methods INVITE => drop\n"}},
     "main.rules:1:9: expected a condition (method, ruri, header, src, any or not), found 'methods'"},
    {"missing action arrow", {{"main.rules", "rule a: method INVITE\nrule b: any => drop\n"}},
     "main.rules:1:22: expected 'and' or '=>' after a condition, found end of line"},
    {"missing action at the end", {{"main.rules", "rule a: method INVITE =>\n\n# nothing\n"}},
     "main.rules:1:25: expected an action (pool, reply or drop), found end of file"},
    {"missing rule name", {{"main.rules", "rule : any => drop\n"}},
     "main.rules:1:6: expected a rule name after 'rule', found ':'"},
    {"unknown action", {{"main.rules", "rule a: any => forward core\n"}},
     "main.rules:1:16: expected an action (pool, reply or drop), found 'forward'"},
    {"missing pool name", {{"main.rules", "rule a: any => pool\n"}},
     "main.rules:1:20: expected a pool name after 'pool', found end of file"},
    {"trailing garbage", {{"main.rules", "rule a: any => drop now\n"}},
     "main.rules:1:21: expected end of line after the statement, found 'now'"},
    {"missing tilde", {{"main.rules", "rule a: ruri /x/ => drop\n"}},
     "main.rules:1:14: expected '~' after 'ruri', found '/x/'"},
    {"regex without slashes", {{"main.rules", "rule a: header Subject ~ x => drop\n"}},
     "main.rules:1:26: expected '/' to start a regular expression, found 'x'"},
    {"unterminated regex", {{"main.rules", "rule a: ruri ~ /abc => drop\nrule b: any => drop\n"}},
     "main.rules:1:16: unterminated regular expression (no closing '/')"},
    {"empty regex", {{"main.rules", "rule a: ruri ~ // => drop\n"}},
     "main.rules:1:16: empty regular expression (use 'any' to match everything)"},
    {"missing method", {{"main.rules", "rule a: method => drop\n"}},
     "main.rules:1:16: expected a method name, found '=>'"},
    {"dangling comma", {{"main.rules", "rule a: method INVITE, => drop\n"}},
     "main.rules:1:24: expected a method name, found '=>'"},
    {"missing header name", {{"main.rules", "rule a: header ~ /x/ => drop\n"}},
     "main.rules:1:16: expected a header name after 'header', found '~'"},
    {"unterminated string", {{"main.rules", "rule a: any => reply 403 \"Forbidden\n"}},
     "main.rules:1:26: unterminated string (no closing '\"')"},
    {"missing reason", {{"main.rules", "rule a: any => reply 403\n"}},
     "main.rules:1:25: expected a quoted reason phrase after the status code, found end of file"},
    {"include without quotes", {{"main.rules", "include more.rules\n"}},
     "main.rules:1:9: expected a quoted path after 'include', found 'more.rules'"},

    // --- names and pools ---
    {"duplicate rule name",
     {{"main.rules", "rule a: any => drop\ninclude \"b.rules\"\n"}, {"b.rules", "\n\nrule  a: any => drop\n"}},
     "b.rules:3:7: duplicate rule name 'a' (first defined at main.rules:1:6)"},
    {"unknown pool", {{"main.rules", "rule a: any => drop\nrule b: method INVITE => pool voicemail\n"}},
     "main.rules:2:31: unknown pool 'voicemail' in rule 'b' (configured pools: core, registrars, emergency, "
     "tollfree, carrier)"},

    // --- regexes ---
    {"regex Hyperscan refuses (backreference)",
     {{"main.rules", "rule ok: ruri ~ /^sip:/ => drop\nrule bad: ruri ~ /(a)\\1/ => drop\n"}},
     "main.rules:2:18: rule 'bad': Hyperscan cannot compile /(a)\\1/: Back-references are unsupported."},
    {"regex Hyperscan refuses (unbalanced)",
     {{"main.rules", "rule ok: header Subject ~ /fine/ => drop\n\nrule bad:\n  header s ~ /(open/i => drop\n"}},
     "main.rules:4:14: rule 'bad': Hyperscan cannot compile /(open/i: Missing close parenthesis for group "
     "started at index 0."},
    {"bad regex flag", {{"main.rules", "rule a: ruri ~ /x/ix => drop\n"}},
     "main.rules:1:20: unknown regular expression flag 'x' (expected i, s or m)"},
    {"repeated regex flag", {{"main.rules", "rule a: ruri ~ /x/ii => drop\n"}},
     "main.rules:1:20: regular expression flag 'i' given twice"},

    // --- prefixes ---
    {"prefix too long", {{"main.rules", "rule a: src 198.18.0.0/33 => drop\n"}},
     "main.rules:1:13: prefix length 33 is out of range 0..32 for IPv4"},
    {"prefix too long v6", {{"main.rules", "rule a: src 198.18.0.0/15, 2001:db8::/129 => drop\n"}},
     "main.rules:1:28: prefix length 129 is out of range 0..128 for IPv6"},
    {"prefix host bits", {{"main.rules", "rule a: src 198.18.0.1/15 => drop\n"}},
     "main.rules:1:13: prefix 198.18.0.1/15 has host bits set (the network is 198.18.0.0/15)"},
    {"prefix not an address", {{"main.rules", "rule a: src 198.18.0/16 => drop\n"}},
     "main.rules:1:13: '198.18.0' is not an IPv4 or IPv6 address"},
    {"prefix length not a number", {{"main.rules", "rule a: src 10.0.0.0/x8 => drop\n"}},
     "main.rules:1:13: prefix length 'x8' is not a number"},
    {"missing prefix", {{"main.rules", "rule a: src => drop\n"}},
     "main.rules:1:13: expected an address prefix (e.g. 198.18.0.0/15), found '=>'"},

    // --- includes ---
    {"include cycle",
     {{"main.rules", "rule a: any => drop\ninclude \"b.rules\"\n"},
      {"b.rules", "include \"sub/c.rules\"\n"},
      {"sub/c.rules", "# back to the start\ninclude \"../main.rules\"\n"}},
     "sub/c.rules:2:9: include cycle: main.rules -> b.rules -> sub/c.rules -> main.rules"},
    {"include itself", {{"main.rules", "include \"main.rules\"\n"}},
     "main.rules:1:9: include cycle: main.rules -> main.rules"},
    {"missing include", {{"main.rules", "\ninclude \"nowhere.rules\"\n"}},
     "main.rules:2:9: cannot read included file 'nowhere.rules': No such file or directory"},
    {"missing include directory", {{"main.rules", "include \"nowhere/*.rules\"\n"}},
     "main.rules:1:9: cannot read directory 'nowhere': No such file or directory"},
    {"wildcard in a folder name", {{"main.rules", "include \"*/x.rules\"\n"}},
     "main.rules:1:9: wildcards are only allowed in the last part of a path: '*/x.rules'"},
    {"error inside an included file",
     {{"main.rules", "include \"b.rules\"\n"}, {"b.rules", "rule b: src 10.0.0.0/40 => drop\n"}},
     "b.rules:1:13: prefix length 40 is out of range 0..32 for IPv4"},

    // --- reply codes ---
    {"reply code too small", {{"main.rules", "rule a: method OPTIONS => reply 180 \"Ringing\"\n"}},
     "main.rules:1:33: reply status 180 is out of range (expected 200..699)"},
    {"reply code too large", {{"main.rules", "rule a: any => reply 700 \"Nope\"\n"}},
     "main.rules:1:22: reply status 700 is out of range (expected 200..699)"},
    {"reply code four digits", {{"main.rules", "rule a: any => reply 4030 \"Nope\"\n"}},
     "main.rules:1:22: reply status 4030 is out of range (expected 200..699)"},
    {"reply code not a number", {{"main.rules", "rule a: any => reply Forbidden\n"}},
     "main.rules:1:22: expected a status code (200..699) after 'reply', found 'Forbidden'"},
    {"reply reason with escape", {{"main.rules", "rule a: any => reply 403 \"a\\nb\"\n"}},
     "main.rules:1:29: unknown escape in string (only \\\" and \\\\ are allowed)"},
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string s;
  for (const char c : std::string_view(info.param.what)) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(AllKinds, RuleErrors, ::testing::ValuesIn(kCases), case_name);

TEST(RuleErrorsTopLevel, MissingTopLevelFileHasNoPosition) {
  TempDir dir;
  const std::filesystem::path files[] = {dir.path() / "absent.rules"};
  const auto result = RuleSet::compile(files, default_pools());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().to_string(), (dir.path() / "absent.rules").string() +
                                           ": cannot read rule file: No such file or directory");
}

TEST(RuleErrorsTopLevel, NoPoolsConfigured) {
  TempDir dir;
  const std::filesystem::path files[] = {dir.write("main.rules", "rule a: any => pool core\n")};
  const auto result = RuleSet::compile(files, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message, "unknown pool 'core' in rule 'a' (no pools are configured)");
}

}  // namespace
}  // namespace sipshunt::rules::test
