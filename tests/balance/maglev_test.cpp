// Call-ID hash and Maglev table: the properties DESIGN.md promises, asserted over many tables and
// random keys, plus pinned values so the mapping can never change silently between versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sipshunt/balance/maglev.hpp"

namespace sipshunt::balance {
namespace {

// Owns the id strings the WeightedBackend views point into.
struct Pool {
  std::vector<std::string> ids;
  std::vector<WeightedBackend> backends;

  Pool(const Pool& other) : ids(other.ids), backends(other.backends) { rebind(); }
  Pool& operator=(const Pool&) = delete;
  explicit Pool(std::size_t n, std::string_view prefix = "backend-") {
    for (std::size_t i = 0; i < n; ++i) ids.push_back(std::string(prefix) + std::to_string(i));
    rebind();
  }
  Pool(std::initializer_list<std::pair<std::string, std::uint32_t>> list) {
    for (const auto& [id, w] : list) ids.push_back(id);
    rebind();
    std::size_t i = 0;
    for (const auto& [id, w] : list) backends[i++].weight = w;
  }
  void rebind() {
    std::vector<WeightedBackend> old = backends;
    backends.clear();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      WeightedBackend b;
      b.id = ids[i];
      if (i < old.size()) {
        b.weight = old[i].weight;
        b.up = old[i].up;
      }
      backends.push_back(b);
    }
  }
  void add(std::string id, std::uint32_t weight = 1) {
    ids.push_back(std::move(id));
    rebind();
    backends.back().weight = weight;
  }
  void erase(std::size_t i) {
    std::vector<WeightedBackend> old = backends;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
    old.erase(old.begin() + static_cast<std::ptrdiff_t>(i));
    backends = old;
    rebind();
  }
  MaglevTable build(std::uint32_t size = kDefaultTableSize) const { return MaglevTable::build(backends, size); }
};

// Backend id per slot (-1 stays -1): comparable across tables built from different spans.
std::vector<std::string> ids_per_slot(const MaglevTable& t, const Pool& p) {
  std::vector<std::string> out;
  for (std::int32_t e : t.entries()) out.push_back(e < 0 ? std::string("-") : p.ids[static_cast<std::size_t>(e)]);
  return out;
}

std::vector<std::int32_t> entries_of(const MaglevTable& t) { return {t.entries().begin(), t.entries().end()}; }

std::vector<std::uint32_t> slot_counts(const MaglevTable& t, std::size_t n) {
  std::vector<std::uint32_t> c(n, 0);
  for (std::int32_t e : t.entries()) ++c.at(static_cast<std::size_t>(e));
  return c;
}

std::vector<std::uint64_t> random_hashes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> h(n);
  for (auto& x : h) x = rng();
  return h;
}

// ---------------------------------------------------------------------------------------------
// Call-ID hash

TEST(CallIdHash, PinnedValues) {
  // XXH3-64 of the empty input is the published 0x2D06800538D394C2; the others were produced by
  // this code and cross-checked against Debian's shared libxxhash (XXH3_64bits, not inlined).
  EXPECT_EQ(call_id_hash(""), 0x2d06800538d394c2ULL);
  EXPECT_EQ(call_id_hash("a84b4c76e66710@pc33.atlanta.com"), 0x8e760a0e9caf9b21ULL);
  EXPECT_EQ(call_id_hash("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"), 0x6d02b7062712a378ULL);
  EXPECT_EQ(call_id_hash("1-12345@198.18.0.2"), 0x3983baeaade19b52ULL);
  EXPECT_EQ(call_id_hash("3848276298220188511@atlanta.example.com"), 0x6144bad0ed8bccdbULL);
}

TEST(CallIdHash, TrimsSurroundingWhitespaceOnly) {
  const std::uint64_t h = call_id_hash("a84b4c76e66710@pc33.atlanta.com");
  EXPECT_EQ(call_id_hash(" a84b4c76e66710@pc33.atlanta.com"), h);
  EXPECT_EQ(call_id_hash("a84b4c76e66710@pc33.atlanta.com\r\n"), h);
  EXPECT_EQ(call_id_hash(" \t\r\n a84b4c76e66710@pc33.atlanta.com \t \r\n"), h);
  EXPECT_NE(call_id_hash("a84b4c76e66710 @pc33.atlanta.com"), h);  // inner whitespace counts
  EXPECT_NE(call_id_hash("A84b4c76e66710@pc33.atlanta.com"), h);   // case-sensitive (RFC 3261)
  EXPECT_EQ(call_id_hash(" \t\r\n"), call_id_hash(""));
  EXPECT_EQ(call_id_hash("\v x"), call_id_hash("\v x"));
  EXPECT_NE(call_id_hash("\vx"), call_id_hash("x"));  // only SP, HT, CR, LF are trimmed
}

TEST(CallIdHash, SpreadsSequentialIdsEvenlyOverSlots) {
  // Call-IDs that differ in one digit must still spread: chi-square over 64 buckets.
  constexpr int kBuckets = 64, kKeys = 64000;
  std::vector<int> count(kBuckets, 0);
  for (int i = 0; i < kKeys; ++i)
    ++count[MaglevTable::slot_of(call_id_hash(std::to_string(i) + "@198.18.0.2"), kBuckets)];
  double chi2 = 0;
  const double expected = double(kKeys) / kBuckets;
  for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 120.0);  // 63 degrees of freedom: p < 1e-5 above ~115
}

// ---------------------------------------------------------------------------------------------
// Table shape

TEST(MaglevTable, IsPrime) {
  EXPECT_FALSE(is_prime(0));
  EXPECT_FALSE(is_prime(1));
  EXPECT_TRUE(is_prime(2));
  EXPECT_TRUE(is_prime(13));
  EXPECT_FALSE(is_prime(65535));
  EXPECT_TRUE(is_prime(65537));
  EXPECT_TRUE(is_prime(kMaxTableSize));
  EXPECT_FALSE(is_prime(65537u * 3u));
}

TEST(MaglevTable, RejectsNonPrimeSizesAndDuplicateIds) {
  Pool p(3);
  EXPECT_THROW((void)p.build(65536), std::invalid_argument);
  EXPECT_THROW((void)p.build(1), std::invalid_argument);
  EXPECT_THROW((void)p.build(0), std::invalid_argument);
  EXPECT_THROW((void)p.build(16777259), std::invalid_argument);  // prime, but above kMaxTableSize
  Pool d{{"x", 1}, {"y", 1}, {"x", 2}};
  EXPECT_THROW((void)d.build(13), std::invalid_argument);
}

TEST(MaglevTable, EmptyOrAllDownLooksUpMinusOne) {
  const MaglevTable none = MaglevTable::build({}, 13);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.lookup(0), -1);
  EXPECT_EQ(none.lookup(~0ULL), -1);
  EXPECT_EQ(MaglevTable{}.lookup(42), -1);

  Pool p(3);
  for (auto& b : p.backends) b.up = false;
  EXPECT_EQ(p.build().lookup(12345), -1);
  for (auto& b : p.backends) {
    b.up = true;
    b.weight = 0;
  }
  EXPECT_EQ(p.build().lookup(12345), -1);
}

TEST(MaglevTable, EqualWeightsDifferByAtMostOne) {
  for (std::uint32_t size : {13u, 251u, 65537u}) {
    for (std::size_t n : {1u, 2u, 3u, 7u, 10u, 100u, 1000u}) {
      if (n > size) continue;
      Pool p(n);
      const MaglevTable t = p.build(size);
      ASSERT_EQ(t.size(), size);
      const auto c = slot_counts(t, n);
      const auto [lo, hi] = std::minmax_element(c.begin(), c.end());
      EXPECT_LE(*hi - *lo, 1u) << "n=" << n << " size=" << size;
      EXPECT_EQ(std::accumulate(c.begin(), c.end(), 0u), size);
    }
  }
}

TEST(MaglevTable, WeightsHonouredWithinOnePercent) {
  const std::vector<std::vector<std::uint32_t>> cases = {
      {1, 2, 3, 4}, {1, 1000}, {5, 5, 5, 1}, {7, 3, 11, 1, 1, 2, 9}, {100, 200, 300, 400, 1, 1, 1}};
  const auto keys = random_hashes(1'000'000, 7);
  for (const auto& weights : cases) {
    Pool p(weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i) p.backends[i].weight = weights[i];
    const MaglevTable t = p.build();
    const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
    // Slots: exactly the quota, so within one slot of M w / W.
    const auto c = slot_counts(t, weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i)
      EXPECT_NEAR(c[i], t.size() * weights[i] / total, 1.0) << "backend " << i;
    // Keys: within 1% absolute of w / W.
    std::vector<std::size_t> k(weights.size(), 0);
    for (std::uint64_t h : keys) ++k[static_cast<std::size_t>(t.lookup(h))];
    for (std::size_t i = 0; i < weights.size(); ++i)
      EXPECT_NEAR(double(k[i]) / keys.size(), weights[i] / total, 0.01) << "backend " << i;
  }
}

TEST(MaglevTable, SkewedWeightsStillGetExactQuotas) {
  // One heavy backend among many light ones: the slow case of the weighted turns.
  Pool p(1000);
  p.backends[500].weight = 1000;
  const MaglevTable t = p.build();
  const auto c = slot_counts(t, 1000);
  const double total = 999.0 + 1000.0;
  for (std::size_t i = 0; i < 1000; ++i)
    ASSERT_NEAR(c[i], t.size() * p.backends[i].weight / total, 1.0) << i;
  // More backends than slots: each gets at most one, every slot is owned.
  Pool many(20);
  const auto small = slot_counts(many.build(13), 20);
  EXPECT_EQ(std::count(small.begin(), small.end(), 1u), 13);
}

TEST(MaglevTable, ZeroWeightIsExcluded) {
  Pool p{{"a", 1}, {"b", 0}, {"c", 1}};
  const MaglevTable t = p.build();
  for (std::int32_t e : t.entries()) EXPECT_NE(e, 1);
  const auto c = slot_counts(t, 3);
  EXPECT_LE(std::max(c[0], c[2]) - std::min(c[0], c[2]), 1u);
}

TEST(MaglevTable, InputOrderDoesNotMatter) {
  std::mt19937_64 rng(11);
  Pool p(50);
  for (std::size_t i = 0; i < p.backends.size(); ++i) {
    p.backends[i].weight = static_cast<std::uint32_t>(1 + i % 5);
    p.backends[i].up = i % 7 != 3;
  }
  const auto reference = ids_per_slot(p.build(), p);
  for (int round = 0; round < 5; ++round) {
    std::vector<std::size_t> order(p.ids.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    Pool q(0);
    for (std::size_t i : order) q.add(p.ids[i], p.backends[i].weight);
    for (std::size_t j = 0; j < order.size(); ++j) q.backends[j].up = p.backends[order[j]].up;
    EXPECT_EQ(ids_per_slot(q.build(), q), reference) << "round " << round;
  }
}

TEST(MaglevTable, PinnedSmallAssignment) {
  // Changing any of these is a change of the mapping: every established call would move.
  Pool p{{"a", 1}, {"b", 1}, {"c", 1}};
  EXPECT_EQ(entries_of(p.build(13)),
            (std::vector<std::int32_t>{2, 1, 1, 2, 0, 1, 0, 0, 0, 2, 1, 1, 2}));
  p.backends[1].up = false;  // b's five slots go to a or c; nothing else changes
  EXPECT_EQ(entries_of(p.build(13)),
            (std::vector<std::int32_t>{2, 2, 2, 2, 0, 0, 0, 0, 0, 2, 0, 2, 2}));
  Pool w{{"a", 1}, {"b", 2}, {"c", 3}};
  EXPECT_EQ(entries_of(w.build(13)),
            (std::vector<std::int32_t>{2, 1, 1, 2, 0, 1, 2, 2, 0, 2, 1, 2, 2}));
  // Keys to slots: multiply-shift, pinned too.
  EXPECT_EQ(MaglevTable::slot_of(0, 13), 0u);
  EXPECT_EQ(MaglevTable::slot_of(~0ULL, 13), 12u);
  EXPECT_EQ(MaglevTable::slot_of(0x8000000000000000ULL, 13), 6u);
  EXPECT_EQ(MaglevTable::slot_of(call_id_hash("a84b4c76e66710@pc33.atlanta.com"), kDefaultTableSize), 36470u);  // checked: Python (h * 65537) >> 64
}

// ---------------------------------------------------------------------------------------------
// Minimal disruption

// Counts keys whose backend (by id) differs between two tables, split by whether the key was on
// `removed` before.
struct Movement {
  std::size_t moved_from_removed = 0, on_removed = 0, moved_other = 0, total = 0;
};
Movement movement(const MaglevTable& before, const Pool& pb, const MaglevTable& after, const Pool& pa,
                  std::string_view removed, const std::vector<std::uint64_t>& keys) {
  Movement m;
  for (std::uint64_t h : keys) {
    const std::string& a = pb.ids[static_cast<std::size_t>(before.lookup(h))];
    const std::string& b = pa.ids[static_cast<std::size_t>(after.lookup(h))];
    ++m.total;
    if (a == removed) {
      ++m.on_removed;
      m.moved_from_removed += a != b;
    } else {
      m.moved_other += a != b;
    }
  }
  return m;
}

TEST(MaglevTable, TakingOneOfNOutMovesOnlyItsKeys) {
  const auto keys = random_hashes(1'000'000, 3);
  for (std::size_t n : {2u, 3u, 10u, 100u}) {
    Pool p(n);
    for (std::size_t i = 0; i < n; ++i) p.backends[i].weight = static_cast<std::uint32_t>(1 + (i * 7) % 4);
    const MaglevTable before = p.build();
    for (std::size_t x = 0; x < n; x += std::max<std::size_t>(1, n / 7)) {
      Pool q = p;
      q.backends[x].up = false;
      const MaglevTable after = q.build();
      // Slot level: exactly the slots of x change, all of them.
      for (std::uint32_t s = 0; s < before.size(); ++s) {
        if (before.entries()[s] == static_cast<std::int32_t>(x))
          ASSERT_NE(after.entries()[s], static_cast<std::int32_t>(x));
        else
          ASSERT_EQ(after.entries()[s], before.entries()[s]) << "n=" << n << " x=" << x << " slot " << s;
      }
      // Key level, over 1M random keys.
      const Movement m = movement(before, p, after, q, p.ids[x], keys);
      EXPECT_EQ(m.moved_other, 0u);
      EXPECT_EQ(m.moved_from_removed, m.on_removed);
      // ... and they spread over the others in proportion to weight (1% of all keys).
      if (n > 2) {
        std::vector<double> gained(n, 0);
        double w_up = 0;
        for (std::size_t i = 0; i < n; ++i)
          if (i != x) w_up += q.backends[i].weight;
        for (std::uint64_t h : keys)
          if (before.lookup(h) == static_cast<std::int32_t>(x)) ++gained[static_cast<std::size_t>(after.lookup(h))];
        for (std::size_t i = 0; i < n; ++i) {
          if (i == x) continue;
          EXPECT_NEAR(gained[i] / keys.size(), double(m.on_removed) / keys.size() * q.backends[i].weight / w_up,
                      0.01);
        }
      }
    }
  }
}

TEST(MaglevTable, DownSetsComposeInAnyOrder) {
  // Property over random down sets: for any up set S and x in S, table(S - x) differs from
  // table(S) exactly on x's slots; and the table depends only on the set, not the path to it.
  std::mt19937_64 rng(5);
  const std::size_t n = 12;
  Pool p(n);
  for (std::size_t i = 0; i < n; ++i) p.backends[i].weight = static_cast<std::uint32_t>(1 + rng() % 5);
  for (int trial = 0; trial < 30; ++trial) {
    Pool s = p;
    for (auto& b : s.backends) b.up = rng() % 3 != 0;
    const std::size_t x = rng() % n;
    s.backends[x].up = true;
    const MaglevTable with_x = s.build(1009);
    s.backends[x].up = false;
    const MaglevTable without_x = s.build(1009);
    if (without_x.empty()) {  // x was the only one up
      EXPECT_TRUE(std::none_of(s.backends.begin(), s.backends.end(), [](const auto& b) { return b.up; }));
      continue;
    }
    for (std::uint32_t slot = 0; slot < 1009; ++slot) {
      if (with_x.entries()[slot] == static_cast<std::int32_t>(x)) {
        EXPECT_NE(without_x.entries()[slot], static_cast<std::int32_t>(x));
      } else {
        EXPECT_EQ(without_x.entries()[slot], with_x.entries()[slot]) << "trial " << trial;
      }
      const auto e = static_cast<std::size_t>(without_x.entries()[slot]);
      EXPECT_TRUE(s.backends[e].up);  // never a down backend
    }
  }
}

TEST(MaglevTable, BringingOneBackMovesOnlyTheKeysItGets) {
  const auto keys = random_hashes(1'000'000, 9);
  Pool p(10);
  p.backends[4].up = false;
  p.backends[7].up = false;
  const MaglevTable before = p.build();
  p.backends[4].up = true;
  const MaglevTable after = p.build();
  std::size_t moved = 0, moved_to_4 = 0;
  for (std::uint64_t h : keys) {
    if (before.lookup(h) != after.lookup(h)) {
      ++moved;
      moved_to_4 += after.lookup(h) == 4;
    }
  }
  EXPECT_EQ(moved, moved_to_4);
  EXPECT_NEAR(double(moved) / keys.size(), 1.0 / 9.0, 0.01);  // its fair share among 9 up
}

TEST(MaglevTable, AddingOneToTheConfigMovesAtMostItsShare) {
  // A config change re-runs the base layer: plain Maglev disruption, bounded by 1/(N+1) + 1%.
  const auto keys = random_hashes(1'000'000, 13);
  for (std::size_t n : {1u, 2u, 3u, 10u, 100u, 1000u}) {
    Pool p(n);
    const MaglevTable before = p.build();
    Pool q = p;
    q.add("newcomer");
    const MaglevTable after = q.build();
    std::size_t moved = 0;
    for (std::uint64_t h : keys) moved += p.ids[static_cast<std::size_t>(before.lookup(h))] !=
                                          q.ids[static_cast<std::size_t>(after.lookup(h))];
    const double fraction = double(moved) / keys.size();
    EXPECT_LE(fraction, 1.0 / double(n + 1) + 0.01) << "n=" << n;
    RecordProperty("moved_add_n" + std::to_string(n), std::to_string(fraction));
  }
}

TEST(MaglevTable, DeletingOneFromTheConfigStaysNearMinimal) {
  // Deleting a backend from the file (not just marking it down) re-runs the base layer too, so
  // some keys of the others move as well: bounded here, and the header says to drain first.
  const auto keys = random_hashes(1'000'000, 17);
  for (std::size_t n : {3u, 10u, 100u}) {
    Pool p(n);
    const MaglevTable before = p.build();
    Pool q = p;
    q.erase(n / 2);
    const MaglevTable after = q.build();
    const Movement m = movement(before, p, after, q, p.ids[n / 2], keys);
    EXPECT_EQ(m.moved_from_removed, m.on_removed);
    EXPECT_LE(double(m.moved_other) / keys.size(), 0.02) << "n=" << n;
    RecordProperty("collateral_delete_n" + std::to_string(n), std::to_string(double(m.moved_other) / keys.size()));
  }
}

TEST(MaglevTable, SharesStayProportionalWithBackendsDown) {
  const auto keys = random_hashes(1'000'000, 21);
  Pool p(8);
  for (std::size_t i = 0; i < 8; ++i) p.backends[i].weight = static_cast<std::uint32_t>(1 + i);
  p.backends[1].up = false;
  p.backends[6].up = false;
  const MaglevTable t = p.build();
  double w_up = 0;
  for (const auto& b : p.backends)
    if (b.up) w_up += b.weight;
  std::vector<double> k(8, 0);
  for (std::uint64_t h : keys) ++k[static_cast<std::size_t>(t.lookup(h))];
  for (std::size_t i = 0; i < 8; ++i)
    EXPECT_NEAR(k[i] / keys.size(), p.backends[i].up ? p.backends[i].weight / w_up : 0.0, 0.01) << i;
}

}  // namespace
}  // namespace sipshunt::balance
