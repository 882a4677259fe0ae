// Differential test: 1,000 generated rules and thousands of generated SIP requests, decided by the
// Hyperscan matcher and by a plain evaluator written here (std::regex ECMAScript, rules tried one
// by one in order). Both must name the same deciding rule for every message.
//
// The regexes come from a subset on which ECMAScript and Hyperscan (PCRE syntax) agree when the
// scanned text has no line breaks: literals, escaped punctuation, alternation, ^ and $, character
// classes, . and .*, ?, +, {m,n}, \d, and the i flag.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <regex>
#include <set>

#include "helpers.hpp"
#include "impl.hpp"
#include "sipshunt/common/prefix.hpp"

namespace sipshunt::rules::test {
namespace {

const std::vector<std::string> kWords = {
    "alice", "bob", "carol", "dave", "acme", "globex", "initech", "scanner", "friendly", "vicious",
    "polycom", "yealink", "sipp", "asterisk", "pbx", "edge", "trunk", "core", "lab", "prod",
    "1800", "1888", "0800", "911", "112", "999", "555", "0123", "42", "7",
    "alpha", "beta", "gamma", "delta", "red", "green", "blue", "north", "south", "east"};
const std::vector<std::string> kMethods = {"INVITE", "REGISTER", "OPTIONS", "BYE",     "CANCEL", "ACK",
                                           "SUBSCRIBE", "NOTIFY", "MESSAGE", "INFO", "invite", "Invite"};
// Header names as rules write them: long, compact and other-case spellings of the same headers.
const std::vector<std::string> kRuleHeaders = {"User-Agent", "user-agent", "From",     "f",        "To",
                                               "t",          "Subject",    "s",        "Call-ID",  "i",
                                               "Contact",    "m",          "X-Tenant", "x-tenant", "X-Route",
                                               "Organization"};

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(std::uint64_t seed) : rng(seed) {}
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(rng() % n); }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  template <typename T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

  std::string word() {
    std::string w = pick(kWords);
    if (chance(0.2)) w[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(w[0])));
    if (chance(0.05)) {
      for (char& c : w) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return w;
  }
  std::string words(std::size_t min, std::size_t max) {
    static const std::vector<std::string> seps = {" ", "/", "-", ".", "_", " ", "/"};
    std::string s = word();
    for (std::size_t n = min + below(max - min + 1); n > 1; --n) s += pick(seps) + word();
    return s;
  }
  std::string host() { return pick(kWords) + (chance(0.5) ? ".example.com" : ".net"); }
  std::string user() {
    if (chance(0.4)) {
      std::string digits = chance(0.5) ? pick(std::vector<std::string>{"1800", "1888", "0800", "911", "112", "999", "+1"}) : "";
      for (std::size_t n = below(9); n > 0; --n) digits += static_cast<char>('0' + below(10));
      return digits.empty() ? "0" : digits;
    }
    return word();
  }

  // --- regexes ------------------------------------------------------------------------------
  // Escapes a literal for both dialects.
  static std::string literal(const std::string& w) {
    std::string s;
    for (char c : w) {
      if (c == '.' || c == '+' || c == '/') s += '\\';
      s += c;
    }
    return s;
  }
  std::string fragment() {
    std::string w = pick(kWords);
    if (chance(0.25)) {  // upper-case some letters: they only match with the i flag or upper-case input
      for (char& c : w) {
        if (c >= 'a' && c <= 'z' && chance(0.4)) c = static_cast<char>(c - 'a' + 'A');
      }
    }
    if (w.size() < 4) return literal(w);  // short words stay literal: a class or dot would match too much
    switch (below(9)) {
      case 0: {  // one letter becomes a class
        const std::size_t i = below(w.size());
        const char c = w[i];
        std::string cls = std::isdigit(static_cast<unsigned char>(c)) ? "[0-9]" : (chance(0.5) ? "[a-z]" : std::string("[") + c + "xq]");
        return literal(w.substr(0, i)) + cls + literal(w.substr(i + 1));
      }
      case 1:  // optional or repeated last character
        return literal(w) + (chance(0.5) ? "?" : "+");
      case 2:  // a dot
        return literal(w.substr(0, w.size() / 2)) + "." + literal(w.substr(w.size() / 2 + 1));
      case 3:
        return literal(w) + "\\d{1,3}";
      case 4:
        return literal(w) + "[-/. _]" + literal(pick(kWords));
      case 5: {
        const std::size_t i = below(w.size());
        return literal(w.substr(0, i)) + "[^ ]" + literal(w.substr(std::min(w.size(), i + 1)));
      }
      default:
        return literal(w);
    }
  }
  std::string regex() {
    std::string body;
    switch (below(6)) {
      case 0: {
        body = "(" + fragment();
        for (std::size_t n = 1 + below(3); n > 0; --n) body += "|" + fragment();
        body += ")";
        break;
      }
      case 1:
        body = fragment() + ".*" + fragment();
        break;
      default:
        body = fragment();
    }
    if (chance(0.2)) body = (chance(0.5) ? "^" : "^sip:") + body;
    if (chance(0.15)) body += "$";
    return body;
  }

  // --- prefixes -----------------------------------------------------------------------------
  IpAddress address() {
    IpAddress a;
    if (chance(0.6)) {
      static const std::uint32_t bases[] = {0xc6120000u /*198.18/16*/, 0xc6130000u /*198.19/16*/,
                                            0xcb007100u /*203.0.113/24*/, 0x0a000000u /*10/8*/};
      const std::uint32_t base = bases[below(4)];
      a = IpAddress::v4(base | static_cast<std::uint32_t>(rng() & (base == 0x0a000000u ? 0xffffffu : 0xffffu)));
      if (base == 0xcb007100u) a = IpAddress::v4(base | static_cast<std::uint32_t>(rng() & 0xffu));
    } else {
      a = *IpAddress::parse("2001:db8::");
      a.bytes[4] = static_cast<std::uint8_t>(below(3));
      for (int i = 5; i < 16; ++i) a.bytes[i] = static_cast<std::uint8_t>(chance(0.5) ? 0 : rng());
    }
    return a;
  }
  Prefix prefix() {
    Prefix p;
    p.address = address();
    const unsigned bits = p.address.family == Family::kIPv4 ? 32 : 128;
    p.length = static_cast<std::uint8_t>(p.address.family == Family::kIPv4 ? 18 + below(15) : 44 + below(85));
    for (unsigned b = p.length; b < bits; ++b) p.address.bytes[b / 8] &= static_cast<std::uint8_t>(~(0x80u >> (b % 8)));
    return p;
  }
};

// The reference: rules as plain data, evaluated one by one.
struct RefCond {
  enum Kind { kAny, kMethod, kRuri, kHeader, kSrc } kind = kAny;
  bool negate = false;
  std::vector<std::string> methods;
  std::string header;
  std::shared_ptr<std::regex> re;
  std::vector<Prefix> prefixes;
};
struct RefRule {
  std::string name;
  std::vector<RefCond> conds;
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

bool same_header(const sip::Header& h, const std::string& rule_name) {
  const sip::HeaderId id = sip::header_id(rule_name);
  if (id != sip::HeaderId::kOther) return h.id == id;
  return h.id == sip::HeaderId::kOther && iequals(h.name(), rule_name);
}

bool holds(const RefCond& c, const sip::Message& msg, const IpAddress& src) {
  switch (c.kind) {
    case RefCond::kAny:
      return true;
    case RefCond::kMethod:
      for (const std::string& m : c.methods) {
        if (msg.method == m) return true;
      }
      return false;
    case RefCond::kRuri:
      return std::regex_search(msg.request_uri.begin(), msg.request_uri.end(), *c.re);
    case RefCond::kHeader:
      for (std::uint16_t i = 0; i < msg.header_count; ++i) {
        const sip::Header& h = msg.headers[i];
        if (same_header(h, c.header) && std::regex_search(h.value().begin(), h.value().end(), *c.re)) return true;
      }
      return false;
    case RefCond::kSrc:
      for (const Prefix& p : c.prefixes) {
        if (contains(p, src)) return true;
      }
      return false;
  }
  return false;
}

int reference_decide(const std::vector<RefRule>& rules, const sip::Message& msg, const IpAddress& src) {
  for (std::size_t r = 0; r < rules.size(); ++r) {
    bool all = true;
    for (const RefCond& c : rules[r].conds) {
      if (holds(c, msg, src) == c.negate) {
        all = false;
        break;
      }
    }
    if (all) return static_cast<int>(r);
  }
  return -1;
}

struct Generated {
  std::string text;
  std::vector<RefRule> rules;
  std::vector<std::string> lines;  // each rule's text
  std::string rule_text(int r) const { return r < 0 ? "(none)" : lines[static_cast<std::size_t>(r)]; }
};

enum class Kind : std::uint8_t { kMethod, kRuri, kHeader, kSrc, kAny };

RefCond make_condition(Gen& g, Kind kind, bool negate, bool pair, std::map<std::string, std::shared_ptr<std::regex>>& compiled,
                       std::string& text) {
  RefCond c;
  c.negate = negate;
  switch (kind) {
    case Kind::kAny:
      c.kind = RefCond::kAny;
      text = "any";
      break;
    case Kind::kMethod:
      c.kind = RefCond::kMethod;
      text = "method ";
      for (std::size_t m = g.chance(0.3) ? 2 : 1; m > 0; --m) {
        c.methods.push_back(g.pick(kMethods));
        text += (text.back() == ' ' ? "" : ", ") + c.methods.back();
      }
      break;
    case Kind::kSrc:
      c.kind = RefCond::kSrc;
      text = "src ";
      for (std::size_t p = 1 + g.below(3); p > 0; --p) {
        c.prefixes.push_back(g.prefix());
        text += (text.back() == ' ' ? "" : ", ") + to_string(c.prefixes.back());
      }
      break;
    case Kind::kRuri:
    case Kind::kHeader: {
      c.kind = kind == Kind::kRuri ? RefCond::kRuri : RefCond::kHeader;
      if (kind == Kind::kHeader) c.header = g.pick(kRuleHeaders);
      const std::string pattern = pair ? g.fragment() + ".*" + g.fragment() : g.regex();
      const bool caseless = g.chance(0.3);
      auto& re = compiled[pattern + (caseless ? "/i" : "/")];
      if (!re) {
        auto flags = std::regex::ECMAScript | std::regex::nosubs;
        if (caseless) flags |= std::regex::icase;
        re = std::make_shared<std::regex>(pattern, flags);
      }
      c.re = re;
      text = (kind == Kind::kRuri ? std::string("ruri") : "header " + c.header) + " ~ /" + pattern + "/" +
             (caseless ? "i" : "");
      break;
    }
  }
  if (negate) text = "not " + text;
  return c;
}

Kind random_kind(Gen& g) {
  const std::size_t k = g.below(100);
  if (k < 20) return Kind::kMethod;
  if (k < 50) return Kind::kRuri;
  if (k < 85) return Kind::kHeader;
  return Kind::kSrc;
}

// Each rule: one or two positive conditions (one only when it is a selective two-part regex), maybe
// a negated one and maybe `any`, in random order. Each rule matches rarely, so the deciding rules
// spread over the whole list and some messages match none.
Generated generate_rules(Gen& g, std::size_t count) {
  Generated out;
  std::map<std::string, std::shared_ptr<std::regex>> compiled;
  static const char* const kPools[] = {"core", "registrars", "emergency", "tollfree", "carrier"};
  for (std::size_t r = 0; r < count; ++r) {
    RefRule rule;
    rule.name = "r" + std::to_string(r);
    std::vector<std::pair<RefCond, std::string>> conds;
    std::string text;
    if (g.chance(0.2)) {
      RefCond c = make_condition(g, g.chance(0.5) ? Kind::kRuri : Kind::kHeader, false, true, compiled, text);
      conds.emplace_back(std::move(c), text);
    } else {
      const Kind first = random_kind(g);
      Kind second = random_kind(g);
      if (first == Kind::kMethod && second == Kind::kMethod) second = Kind::kHeader;  // one method test a rule
      for (const Kind k : {first, second}) {
        RefCond c = make_condition(g, k, false, false, compiled, text);
        conds.emplace_back(std::move(c), text);
      }
    }
    if (g.chance(0.4)) {
      RefCond c = make_condition(g, random_kind(g), true, false, compiled, text);
      conds.emplace_back(std::move(c), text);
    }
    if (g.chance(0.05)) {
      RefCond c = make_condition(g, Kind::kAny, false, false, compiled, text);
      conds.emplace_back(std::move(c), text);
    }
    std::shuffle(conds.begin(), conds.end(), g.rng);
    std::string line = "rule " + rule.name + ":";
    for (std::size_t i = 0; i < conds.size(); ++i) {
      line += (i == 0 ? " " : " and ") + conds[i].second;
      rule.conds.push_back(std::move(conds[i].first));
    }
    switch (g.below(3)) {
      case 0: line += " => drop"; break;
      case 1: line += " => reply 403 \"Forbidden\""; break;
      default: line += std::string(" => pool ") + kPools[g.below(5)];
    }
    // Some rules span lines; the language allows it anywhere inside a rule.
    if (g.chance(0.1)) {
      const auto at = line.find(" and ");
      if (at != std::string::npos) line.replace(at, 5, "\n    and ");
    }
    out.text += line + "\n";
    out.lines.push_back(line);
    out.rules.push_back(std::move(rule));
  }
  return out;
}

std::string generate_message(Gen& g) {
  const std::string method = g.pick(kMethods);
  std::string m = method + " " + (g.chance(0.1) ? "sips:" : "sip:") + g.user() + "@" + g.host() +
                  (g.chance(0.2) ? ";user=phone" : "") + " SIP/2.0\r\n";
  m += "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK" + std::to_string(g.rng() % 100000) + "\r\n";
  m += "Max-Forwards: 70\r\n";
  const auto spell = [&](const char* lng, const char* compact, const char* other) -> std::string {
    const std::size_t k = g.below(10);
    if (k < 6 || (compact == nullptr && other == nullptr)) return lng;
    if (k < 8 && compact != nullptr) return compact;
    return other != nullptr ? other : lng;
  };
  m += spell("From", "f", "FROM") + ": \"" + g.word() + "\" <sip:" + g.user() + "@" + g.host() + ">;tag=" +
       std::to_string(g.rng() % 100000) + "\r\n";
  m += spell("To", "t", "to") + ": <sip:" + g.user() + "@" + g.host() + ">\r\n";
  m += spell("Call-ID", "i", "call-id") + ": " + g.word() + "-" + std::to_string(g.rng() % 100000) + "@" +
       g.host() + "\r\n";
  m += "CSeq: " + std::to_string(1 + g.rng() % 1000) + " " + method + "\r\n";
  if (g.chance(0.7)) m += spell("User-Agent", nullptr, "user-agent") + ": " + g.words(1, 3) + "\r\n";
  if (g.chance(0.4)) m += spell("Subject", "s", "SUBJECT") + ": " + g.words(1, 4) + "\r\n";
  if (g.chance(0.5)) m += spell("Contact", "m", "contact") + ": <sip:" + g.user() + "@" + g.host() + ">\r\n";
  for (std::size_t n = g.below(3); n > 0; --n) m += spell("X-Tenant", nullptr, "x-tenant") + ": " + g.words(1, 2) + "\r\n";
  if (g.chance(0.3)) m += "X-Route: " + g.words(1, 3) + "\r\n";
  if (g.chance(0.2)) m += "Organization: " + g.words(1, 3) + "\r\n";
  m += "Content-Length: 0\r\n\r\n";
  return m;
}

std::uint64_t seed_from_env() {
  const char* s = std::getenv("SIPSHUNT_RULES_SEED");
  return s != nullptr ? std::strtoull(s, nullptr, 10) : 4475;
}

TEST(RulesDifferential, HyperscanAgreesWithStdRegexOn1000RulesAndManyMessages) {
  const std::uint64_t seed = seed_from_env();
  Gen g(seed);
  const Generated gen = generate_rules(g, 1000);
  auto c = compile_text(gen.text);
  ASSERT_TRUE(c->result) << c->result.error().to_string();
  const RuleSet& set = **c->result;
  ASSERT_EQ(set.rules().size(), 1000u);

  constexpr int kMessages = 5000;
  auto msg = std::make_unique<sip::Message>();
  std::map<int, int> decided;  // rule -> messages it decided
  int mismatches = 0;
  for (int i = 0; i < kMessages; ++i) {
    const std::string text = generate_message(g);
    ASSERT_EQ(sip::parse(text.data(), text.size(), *msg), sip::Status::kOk) << text;
    Endpoint src;
    src.ip = g.address();
    src.port = 5060;
    const int want = reference_decide(gen.rules, *msg, src.ip);
    const Match got = set.match(*msg, src, *c->scratch);
    ASSERT_FALSE(got.error);
    if (got.rule != want && ++mismatches <= 5) {
      ADD_FAILURE() << "seed " << seed << " message " << i << " from " << src.ip.to_string() << ": matcher says "
                    << got.rule << ", reference says " << want << "\n"
                    << text << "matcher's rule:   " << gen.rule_text(got.rule)
                    << "\nreference's rule: " << gen.rule_text(want);
    }
    ++decided[want];
  }
  EXPECT_EQ(mismatches, 0);

  // The test is only as strong as the spread of its decisions: many different deciding rules,
  // deep ones too, and messages that no rule matches.
  int deep = 0;
  for (const auto& [rule, n] : decided) deep += rule >= 300 ? n : 0;
  if (std::getenv("SIPSHUNT_RULES_DEBUG") != nullptr) {
    std::vector<std::pair<int, int>> top;
    for (const auto& [rule, n] : decided) top.emplace_back(n, rule);
    std::sort(top.rbegin(), top.rend());
    for (std::size_t i = 0; i < std::min<std::size_t>(10, top.size()); ++i) {
      std::cout << top[i].first << " x " << gen.rule_text(top[i].second) << "\n";
    }
  }
  EXPECT_GE(decided.size(), 250u) << "too few distinct deciding rules";
  EXPECT_GE(deep, 200) << "too few decisions by rules past the 300th";
  EXPECT_GE(decided[-1], 100) << "too few messages matching no rule";
  std::cout << "[ info     ] seed " << seed << ": " << decided.size() - (decided.count(-1) ? 1 : 0)
            << " distinct deciding rules, " << deep << " decisions by rules past the 300th, " << decided[-1]
            << " of " << kMessages << " messages unmatched; " << set.summary().patterns << " patterns in "
            << set.summary().databases << " databases\n";
}

// The prefilter (src/rules/prefilter.hpp) skips a field's scan when a value lacks the lead read
// off its patterns: every value a generated regex matches must carry that regex's lead.
TEST(RulesDifferential, EveryMatchBeginsWithItsPatternsLead) {
  Gen g(seed_from_env() + 2);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    switch (i % 3) {
      case 0: texts.push_back((g.chance(0.1) ? "sips:" : "sip:") + g.user() + "@" + g.host()); break;
      case 1: texts.push_back("\"" + g.word() + "\" <sip:" + g.user() + "@" + g.host() + ">"); break;
      default: texts.push_back(g.words(1, 4));
    }
  }
  int checked = 0, with_lead = 0;
  for (int r = 0; r < 400; ++r) {
    const std::string pattern = g.chance(0.2) ? g.fragment() + ".*" + g.fragment() : g.regex();
    const bool caseless = g.chance(0.3);
    auto flags = std::regex::ECMAScript | std::regex::nosubs;
    if (caseless) flags |= std::regex::icase;
    const std::regex re(pattern, flags);
    const Lead lead = lead_of(pattern, false);
    const Prefilter p = Prefilter::of(std::span<const Lead>(&lead, 1), caseless);
    with_lead += lead.text.empty() ? 0 : 1;
    for (const std::string& t : texts) {
      if (!std::regex_search(t, re)) continue;
      ++checked;
      EXPECT_TRUE(p.admits(t)) << "/" << pattern << "/" << (caseless ? "i" : "") << " matches '" << t
                               << "' but its lead '" << lead.text << "' refuses it";
    }
  }
  EXPECT_GE(with_lead, 200) << "too few patterns with a lead";
  EXPECT_GE(checked, 300) << "too few matching values to check";
}

// Small rule sets take other paths through the candidate lists (few anchors, catch-alls).
TEST(RulesDifferential, SmallRuleSetsAgreeToo) {
  Gen g(seed_from_env() + 1);
  auto msg = std::make_unique<sip::Message>();
  for (int round = 0; round < 30; ++round) {
    Generated gen = generate_rules(g, 1 + g.below(40));
    if (g.chance(0.5)) {
      gen.text += "rule last: any => pool core\n";
      gen.lines.push_back("rule last: any => pool core");
      RefRule last;
      last.name = "last";
      last.conds.push_back(RefCond{});
      gen.rules.push_back(last);
    }
    auto c = compile_text(gen.text);
    ASSERT_TRUE(c->result) << c->result.error().to_string();
    for (int i = 0; i < 300; ++i) {
      const std::string text = generate_message(g);
      ASSERT_EQ(sip::parse(text.data(), text.size(), *msg), sip::Status::kOk);
      Endpoint src;
      src.ip = g.address();
      const Match got = (*c->result)->match(*msg, src, *c->scratch);
      ASSERT_EQ(got.rule, reference_decide(gen.rules, *msg, src.ip)) << "round " << round << "\n" << gen.text << text;
    }
  }
}

}  // namespace
}  // namespace sipshunt::rules::test
