// Call-ID hash and the two-layer weighted Maglev table described in maglev.hpp.
#include "sipshunt/balance/maglev.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

// Inlined for speed. Call-IDs are short (XXH3's vector loop only runs above 240 bytes); cap the
// vector path at AVX2 because GCC 12 warns (-Werror) inside its AVX-512 intrinsics. The hash value
// does not depend on the vector path.
#define XXH_INLINE_ALL
#if defined(__AVX512F__)
#define XXH_VECTOR XXH_AVX2
#endif
#include <xxhash.h>

#include "sipshunt/common/lws.hpp"

namespace sipshunt::balance {

namespace {


// Fixed seeds of the per-id hashes: part of the mapping, never change them (tests pin it).
constexpr std::uint64_t kOffsetSeed = 0;
constexpr std::uint64_t kSkipSeed = 1;
constexpr std::uint64_t kRendezvousSeed = 2;

// -ln(u) for u in (0, 1), from + - * / only (no libm: its last bit may differ between CPUs with
// and without FMA, and every host must compute the same table). ln u = e ln 2 + 2 atanh(t),
// t = (m - 1) / (m + 1), m in [sqrt(1/2), sqrt(2)), |t| < 0.1716: 12 odd terms reach 1e-19.
double neg_log(double u) noexcept {
  int e = 0;
  double m = std::frexp(u, &e);  // exact: u = m * 2^e, m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    --e;
  }
  const double t = (m - 1.0) / (m + 1.0);
  const double t2 = t * t;
  double s = 1.0 / 25.0;
  s = s * t2 + 1.0 / 23.0;
  s = s * t2 + 1.0 / 21.0;
  s = s * t2 + 1.0 / 19.0;
  s = s * t2 + 1.0 / 17.0;
  s = s * t2 + 1.0 / 15.0;
  s = s * t2 + 1.0 / 13.0;
  s = s * t2 + 1.0 / 11.0;
  s = s * t2 + 1.0 / 9.0;
  s = s * t2 + 1.0 / 7.0;
  s = s * t2 + 1.0 / 5.0;
  s = s * t2 + 1.0 / 3.0;
  s = s * t2 + 1.0;
  const double ln_m = 2.0 * t * s;
  return -(static_cast<double>(e) * 0.69314718055994530942 + ln_m);
}

// Per-slot key of the rendezvous layer, mixed with each backend's seed (splitmix64 finaliser):
// one hash of the slot, then two multiplies per candidate.
std::uint64_t slot_key(std::uint32_t slot) noexcept {
  const unsigned char bytes[4] = {static_cast<unsigned char>(slot), static_cast<unsigned char>(slot >> 8),
                                  static_cast<unsigned char>(slot >> 16),
                                  static_cast<unsigned char>(slot >> 24)};
  return XXH3_64bits(bytes, sizeof bytes);
}

std::uint64_t mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Weighted rendezvous: the slot goes to the candidate with the lowest -ln(u) / w, u uniform in
// (0, 1) from (slot, id). The minimum of independent Exp(w_i) variables falls on candidate i with
// probability w_i / sum(w). -ln(u) >= 1 - u lets most candidates be rejected without the log;
// the bound is shrunk by 2^-40 so that it stays below the computed cost whatever the rounding,
// which keeps the result identical to evaluating every candidate.
struct Candidate {
  std::uint64_t seed;
  double weight;
};
std::size_t rendezvous_winner(std::uint64_t key, const std::vector<Candidate>& candidates) noexcept {
  std::size_t best_index = 0;
  double best = 0;
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    const std::uint64_t h = mix(key ^ candidates[c].seed);
    const double u = (static_cast<double>(h >> 12) + 0.5) * 0x1p-52;  // (0, 1), exact
    if (c != 0 && (1.0 - u) * (1.0 - 0x1p-40) / candidates[c].weight >= best) continue;
    const double cost = neg_log(u) / candidates[c].weight;
    if (c == 0 || cost < best) {  // ties: the earlier in turn order keeps the slot
      best = cost;
      best_index = c;
    }
  }
  return best_index;
}

struct Member {
  std::int32_t index;    // into the caller's span
  std::uint32_t weight;
  bool up;
  std::uint64_t order;   // XXH3(id): turn order and tie-break, independent of input order
  std::string_view id;
  std::uint32_t offset;
  std::uint32_t skip;
  std::uint64_t rendezvous_seed;
  std::uint32_t quota = 0;
  std::uint32_t count = 0;
  std::uint32_t cursor = 0;  // next preferred slot to try
  std::uint64_t credit = 0;
};

}  // namespace

std::uint64_t call_id_hash(std::string_view call_id) noexcept {
  std::size_t b = 0, e = call_id.size();
  while (b < e && is_lws(call_id[b])) ++b;
  while (e > b && is_lws(call_id[e - 1])) --e;
  return XXH3_64bits(call_id.data() + b, e - b);
}

bool is_prime(std::uint32_t n) noexcept {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint32_t d = 3; static_cast<std::uint64_t>(d) * d <= n; d += 2)
    if (n % d == 0) return false;
  return true;
}

MaglevTable MaglevTable::build(std::span<const WeightedBackend> backends, std::uint32_t size) {
  if (size > kMaxTableSize || !is_prime(size))
    throw std::invalid_argument("maglev table size " + std::to_string(size) + " is not a prime in [2, " +
                                std::to_string(kMaxTableSize) + "]");
  if (backends.size() > static_cast<std::size_t>(INT32_MAX))
    throw std::invalid_argument("too many backends");

  std::vector<Member> members;
  members.reserve(backends.size());
  for (std::size_t i = 0; i < backends.size(); ++i) {
    const WeightedBackend& b = backends[i];
    if (b.weight == 0) continue;
    const std::uint64_t h_offset = XXH3_64bits_withSeed(b.id.data(), b.id.size(), kOffsetSeed);
    const std::uint64_t h_skip = XXH3_64bits_withSeed(b.id.data(), b.id.size(), kSkipSeed);
    Member m{};
    m.index = static_cast<std::int32_t>(i);
    m.weight = b.weight;
    m.up = b.up;
    m.order = h_offset;
    m.id = b.id;
    m.offset = static_cast<std::uint32_t>(h_offset % size);
    m.skip = size > 1 ? static_cast<std::uint32_t>(h_skip % (size - 1) + 1) : 1;
    m.rendezvous_seed = XXH3_64bits_withSeed(b.id.data(), b.id.size(), kRendezvousSeed);
    m.cursor = m.offset;
    members.push_back(m);
  }
  // Duplicate ids are a caller bug (config validation rejects them); check all ids, zero
  // weight included.
  {
    std::vector<std::string_view> ids;
    ids.reserve(backends.size());
    for (const auto& b : backends) ids.push_back(b.id);
    std::sort(ids.begin(), ids.end());
    const auto dup = std::adjacent_find(ids.begin(), ids.end());
    if (dup != ids.end()) throw std::invalid_argument("duplicate backend id '" + std::string(*dup) + "'");
  }

  MaglevTable table;
  const bool any_up = std::any_of(members.begin(), members.end(), [](const Member& m) { return m.up; });
  if (!any_up) return table;

  std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    return a.order != b.order ? a.order < b.order : a.id < b.id;
  });

  // Quotas: floor(M w / W), the remainder to the largest fractional parts (then turn order).
  std::uint64_t total_weight = 0;
  std::uint32_t max_weight = 0;
  for (const auto& m : members) {
    total_weight += m.weight;
    max_weight = std::max(max_weight, m.weight);
  }
  std::uint64_t assigned = 0;
  std::vector<std::pair<std::uint64_t, std::size_t>> fractions;  // (remainder, position)
  fractions.reserve(members.size());
  for (std::size_t p = 0; p < members.size(); ++p) {
    const std::uint64_t scaled = static_cast<std::uint64_t>(size) * members[p].weight;
    members[p].quota = static_cast<std::uint32_t>(scaled / total_weight);
    assigned += members[p].quota;
    fractions.emplace_back(scaled % total_weight, p);
  }
  std::sort(fractions.begin(), fractions.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (std::uint64_t r = 0; r < size - assigned; ++r) ++members[fractions[r].second].quota;

  // Base layer: weighted Maglev population until every member holds its quota (sum = M).
  std::vector<std::int32_t> base(size, -1);  // position in `members`
  std::uint32_t filled = 0;
  while (filled < size) {
    for (std::size_t p = 0; p < members.size(); ++p) {
      Member& m = members[p];
      if (m.count >= m.quota) continue;
      m.credit += m.weight;
      while (m.credit >= max_weight && m.count < m.quota) {
        m.credit -= max_weight;
        std::uint32_t c = m.cursor;
        while (base[c] >= 0) {
          c += m.skip;
          if (c >= size) c -= size;
        }
        base[c] = static_cast<std::int32_t>(p);
        ++m.count;
        ++filled;
        c += m.skip;
        if (c >= size) c -= size;
        m.cursor = c;
      }
    }
  }

  // Fallback layer: slots of members that are not up go to the weighted rendezvous winner.
  std::vector<std::size_t> up;
  std::vector<Candidate> candidates;
  for (std::size_t p = 0; p < members.size(); ++p) {
    if (!members[p].up) continue;
    up.push_back(p);
    candidates.push_back(Candidate{members[p].rendezvous_seed, static_cast<double>(members[p].weight)});
  }
  table.entries_.resize(size);
  for (std::uint32_t s = 0; s < size; ++s) {
    std::size_t owner = static_cast<std::size_t>(base[s]);
    if (!members[owner].up) owner = up[rendezvous_winner(slot_key(s), candidates)];
    table.entries_[s] = members[owner].index;
  }
  return table;
}

}  // namespace sipshunt::balance
