// The benchmark rule sets: what an operator's file looks like, mostly number-prefix routing on the
// Request-URI (the usual reason to have a thousand rules), User-Agent blocks, From-domain routing,
// source allow-lists and a custom header. None matches the standard INVITE; with `with_match` a
// final rule does, so every earlier rule is passed over first. Pools used: core, carrier.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/temp_dir.hpp"

namespace sipshunt::rules::bench {

inline std::string rule_text(int count, bool with_match) {
  std::string s;
  for (int i = 0; i < count; ++i) {
    const std::string n = std::to_string(i);
    switch (i % 20) {
      case 0: case 1: case 2:  // 15%: scanner and blocked User-Agents
        s += "rule ua" + n + ": header User-Agent ~ /(scanner|agent)-" + n + "\\b/i => drop\n";
        break;
      case 3: case 4:  // 10%: customers by From domain
        s += "rule from" + n + ": header From ~ /@customer" + n + "\\.example\\.com[>;]/i => pool core\n";
        break;
      case 5: case 6:  // 10%: trunks by source address
        s += "rule trunk" + n + ": src 198.19." + std::to_string(i % 256) + ".0/24, 2001:db8:" + n +
             "::/48 and method INVITE => pool carrier\n";
        break;
      case 7:  // 5%: tenants by a custom header
        s += "rule tenant" + n + ": header X-Tenant ~ /^tenant-" + n + "$/ => pool core\n";
        break;
      default:  // 60%: number-prefix routing
        s += "rule num" + n + ": method INVITE and ruri ~ /^sips?:\\+?1555" + n + "[0-9]{3,}@/ => pool carrier\n";
    }
  }
  if (with_match) s += "rule hit: method INVITE and ruri ~ /^sip:bob@biloxi\\.example\\.com$/ => pool core\n";
  return s;
}

// The 100 rules of scripts/bench-pcap.sh, from their one file (perf/rules/pcap100.rules): 30
// User-Agent blocks, 30 toll-free Request-URI routes with a method, 20 source drops with a method,
// 19 To routes, then `any`. None of the first 99 matches perf/sip/messages.hpp's kInviteSoftphone;
// the last one does.
inline std::string pcap_rule_text() {
  std::ifstream in(SIPSHUNT_PCAP_RULES);
  if (!in) throw std::runtime_error(std::string("cannot read ") + SIPSHUNT_PCAP_RULES);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A temporary folder holding the rule file as bench.rules (and a config, for the path benchmark).
struct Fixture {
  test_support::TempDir dir;
  std::filesystem::path file;
  explicit Fixture(std::string_view text) : file(dir.write("bench.rules", text)) {}
};

}  // namespace sipshunt::rules::bench
