// hot path (lookup); building is control plane.
// IP prefixes and longest-prefix match over both families: the `src` rule condition (rules), the
// subnets and routes of the data plane (net/route.hpp) and the config's checks on them. Nested
// prefixes are flattened into sorted, disjoint address ranges, each labelled with its most
// specific prefix, so a lookup is one binary search (the "binary search on ranges" LPM).
#pragma once

#include <cstdint>
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

  // hot path: the value of the longest prefix containing `addr`, kNoMatch when none does.
  [[nodiscard]] std::uint32_t lookup(const IpAddress& addr) const noexcept;

  [[nodiscard]] std::size_t ranges() const noexcept { return v4_.size() + v6_.size(); }

 private:
  __extension__ typedef unsigned __int128 Key;
  struct Range {
    Key first;
    Key last;
    std::uint32_t value;
  };
  static std::vector<Range> flatten(std::vector<Range> prefixes);
  static std::uint32_t find(const std::vector<Range>& ranges, Key key) noexcept;

  std::vector<Range> v4_;  // sorted by `first`, disjoint
  std::vector<Range> v6_;
};

}  // namespace sipshunt
