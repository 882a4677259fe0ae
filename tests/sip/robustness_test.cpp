// Every corpus message and every unit-table message, parsed at every truncation length with the
// datagram placed against a PROT_NONE page (after its end, then before its start): a read outside
// the datagram faults at once, in release builds too. Every result must satisfy the invariants.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cases.hpp"
#include "invariants.hpp"
#include "sipshunt/sip/message.hpp"
#include "support.hpp"

namespace sipshunt::sip::testing {
namespace {

std::vector<std::string> corpus_messages() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir()))
    if (e.path().extension() == ".dat") out.push_back(read_file(e.path().string()));
  return out;
}

// Parses every prefix of msg (and the whole) at both guards; returns how many parses ran.
std::size_t truncations(const std::string& msg, GuardedBuffer& buf) {
  static Message m;
  std::size_t n = 0;
  for (std::size_t len = 0; len <= msg.size(); ++len) {
    const std::string_view prefix(msg.data(), len);
    for (const char* p : {buf.at_end(prefix), buf.at_start(prefix)}) {
      const Status st = parse(p, len, m);
      const char* bad = check_invariants(m, p, len, st);
      EXPECT_EQ(bad, nullptr) << (bad ? bad : "") << " at length " << len << " of:\n" << msg;
      if (bad) return n;
      ++n;
    }
  }
  return n;
}

TEST(Robustness, EveryTruncationOfTheCorpusAtAGuardPage) {
  const std::vector<std::string> corpus = corpus_messages();
  ASSERT_GE(corpus.size(), 49u) << "RFC 4475 corpus missing at " << corpus_dir();
  GuardedBuffer buf(16384);
  std::size_t parses = 0;
  for (const std::string& msg : corpus) {
    ASSERT_LE(msg.size(), buf.capacity());
    parses += truncations(msg, buf);
  }
  EXPECT_GT(parses, 2 * corpus.size());
}

TEST(Robustness, EveryTruncationOfTheUnitMessagesAtAGuardPage) {
  std::vector<std::string> all = all_table_messages();
  // Messages the non-table tests built (registered when they ran before this test, the default order).
  for (const std::string& s : remembered()) all.push_back(s);
  GuardedBuffer buf(16384);
  std::size_t parses = 0;
  for (const std::string& msg : all) {
    ASSERT_LE(msg.size(), buf.capacity());
    parses += truncations(msg, buf);
  }
  EXPECT_GT(parses, all.size());
}

TEST(Robustness, UrisAtAGuardPage) {
  GuardedBuffer buf(4096);
  for (const auto& c : uri_cases()) {
    for (std::size_t len = 0; len <= c.text.size(); ++len) {
      const std::string_view prefix = c.text.substr(0, len);
      for (const char* p : {buf.at_end(prefix), buf.at_start(prefix)}) {
        Uri u;
        (void)parse_uri({p, len}, u);
        std::string_view v;
        (void)find_param({p, len}, "lr", v);
        Param prm;
        if (find_param({p, len}, "lr", prm)) {
          EXPECT_GE(prm.name.data(), p);
          EXPECT_LE(prm.value.data() + prm.value.size(), p + len);
        }
        std::string_view e;
        for (ListIterator it({p, len}); it.next(e);) {
          EXPECT_GE(e.data(), p);
          EXPECT_LE(e.data() + e.size(), p + len);
        }
      }
    }
  }
}

// Octets that steer the parser (delimiters, CR/LF, quotes) in random mixes: no fault, no
// invariant broken. A cheap, always-on complement to the libFuzzer target.
TEST(Robustness, RandomDelimiterSoupAtAGuardPage) {
  const std::string alphabet = "\r\n\r\n :;,=<>\"\\/@?[]%\tSIP/2.0 Via v From To Call-ID CSeq l 1 0 sip:a@b ";
  GuardedBuffer buf(4096);
  static Message m;
  std::uint64_t x = 0x9e3779b97f4a7c15ull;
  const std::string head = invite_with({});
  for (int round = 0; round < 20000; ++round) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::string s = (round & 1) ? head.substr(0, x % head.size()) : std::string();
    const std::size_t extra = (x >> 20) % 200;
    for (std::size_t i = 0; i < extra; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      s += alphabet[x % alphabet.size()];
    }
    const char* p = buf.at_end(s);
    const Status st = parse(p, s.size(), m);
    const char* bad = check_invariants(m, p, s.size(), st);
    ASSERT_EQ(bad, nullptr) << bad;
  }
}

}  // namespace
}  // namespace sipshunt::sip::testing
