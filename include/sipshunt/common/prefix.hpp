// hot path (lookup); building is control plane.
// IP prefixes and longest-prefix match over both families: the `src` rule condition (rules), the
// subnets and routes of the data plane (net/route.hpp) and the config's checks on them. Nested
// prefixes are flattened into sorted, disjoint address ranges, each labelled with its most
// specific prefix, so a lookup is one binary search (the "binary search on ranges" LPM).
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/result.hpp"

namespace sipshunt {

struct Prefix {
  IpAddress address;        // host bits are zero
  std::uint8_t length = 0;  // 0..32 (IPv4) or 0..128 (IPv6)
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

// Parses "198.18.0.0/15", "2001:db8::/32" or a bare address (a /32 or /128). On failure the error
// says what is wrong ("prefix length 33 is out of range 0..32", ...); the caller adds the place.
// Host bits set ("198.18.0.1/15") are an error: the operator most likely meant something else.
[[nodiscard]] Result<Prefix> parse_prefix(std::string_view text);
[[nodiscard]] std::string to_string(const Prefix& p);
// The prefix of `length` bits that contains `addr` (host bits cleared): an interface's subnet.
[[nodiscard]] Prefix prefix_of(const IpAddress& addr, std::uint8_t length) noexcept;

// True when `addr` lies inside `p` (same family; host bits of `p.address` are ignored, so a port
// address with its prefix length works as `p`). For single checks; the table is faster for many.
[[nodiscard]] bool contains(const Prefix& p, const IpAddress& addr) noexcept;

class PrefixTable {
 public:
  static constexpr std::uint32_t kNoMatch = 0xffffffffu;
  struct Entry {
    Prefix prefix;
    std::uint32_t value = 0;  // returned by lookup() for addresses whose longest match is this
  };

  PrefixTable() = default;
  // Control plane. Prefixes must be distinct; values are opaque (need not be distinct).
  explicit PrefixTable(std::span<const Entry> entries);

  // hot path: the value of the longest prefix containing `addr`, kNoMatch when none does. Inline:
  // the data plane and the proxy look up a route for every datagram they send.
  [[nodiscard]] std::uint32_t lookup(const IpAddress& addr) const noexcept {
    if (addr.family == Family::kIPv4) return find(v4_, addr.v4_host_order());
    if (addr.family == Family::kIPv6) return find(v6_, key_of_ipv6(addr));
    return kNoMatch;
  }

  [[nodiscard]] std::size_t ranges() const noexcept { return v4_.size() + v6_.size(); }

 private:
  __extension__ typedef unsigned __int128 Key;
  // An address as one integer in network order: IPv4 in 32 bits (its own table, so an IPv4 lookup
  // compares 32-bit words), IPv6 in 128 from two 64-bit loads.
  template <class K>
  struct Range {
    K first;
    K last;
    std::uint32_t value;
  };
  static Key key_of_ipv6(const IpAddress& a) noexcept {
    std::uint64_t hi, lo;
    std::memcpy(&hi, a.bytes.data(), 8);
    std::memcpy(&lo, a.bytes.data() + 8, 8);
    return (Key{__builtin_bswap64(hi)} << 64) | __builtin_bswap64(lo);
  }
  static std::vector<Range<Key>> flatten(std::vector<Range<Key>> prefixes);
  // The value of the last range whose first <= key, when key is inside it.
  // An address below the first range or above the last (most sources, for a few `src` rules) is
  // settled before the search.
  template <class K>
  static std::uint32_t find(const std::vector<Range<K>>& ranges, K key) noexcept {
    if (ranges.empty() || key < ranges.front().first || key > ranges.back().last) return kNoMatch;
    std::size_t lo = 0, hi = ranges.size();
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (ranges[mid].first <= key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo == 0) return kNoMatch;
    const Range<K>& r = ranges[lo - 1];
    return key <= r.last ? r.value : kNoMatch;
  }

  std::vector<Range<std::uint32_t>> v4_;  // sorted by `first`, disjoint
  std::vector<Range<Key>> v6_;
};

}  // namespace sipshunt
