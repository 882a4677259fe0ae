#include "sipshunt/common/prefix.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>

namespace sipshunt {
namespace {

__extension__ typedef unsigned __int128 Key;

// Concatenation through append(): GCC 12 warns falsely (-Wrestrict) on chains of operator+.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts) s.append(p);
  return s;
}

std::uint32_t width(Family f) noexcept { return f == Family::kIPv4 ? 32 : 128; }

Key key_of(const IpAddress& a) noexcept {
  const std::size_t n = a.family == Family::kIPv4 ? 4 : 16;
  Key k = 0;
  for (std::size_t i = 0; i < n; ++i) k = (k << 8) | a.bytes[i];
  return k;
}

// Bits below the prefix, within the family's width.
Key host_mask(std::uint32_t length, std::uint32_t bits) noexcept {
  const std::uint32_t host = bits - length;
  if (host == 0) return 0;
  if (host >= 128) return ~Key{0};
  return (Key{1} << host) - 1;
}

}  // namespace

Result<Prefix> parse_prefix(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  const auto addr = IpAddress::parse(addr_text);
  if (!addr) {
    return Error::plain(cat({"'", addr_text, "' is not an IPv4 or IPv6 address"}));
  }
  Prefix p;
  p.address = *addr;
  const std::uint32_t bits = width(addr->family);
  std::uint32_t length = bits;
  if (slash != std::string_view::npos) {
    const std::string_view len_text = text.substr(slash + 1);
    const auto* end = len_text.data() + len_text.size();
    const auto [ptr, ec] = std::from_chars(len_text.data(), end, length);
    if (len_text.empty() || len_text.size() > 3 || ec != std::errc{} || ptr != end) {
      return Error::plain(cat({"prefix length '", len_text, "' is not a number"}));
    }
    if (length > bits) {
      return Error::plain(cat({"prefix length ", std::to_string(length), " is out of range 0..", std::to_string(bits),
                   bits == 32 ? " for IPv4" : " for IPv6"}));
    }
  }
  p.length = static_cast<std::uint8_t>(length);
  if ((key_of(p.address) & host_mask(length, bits)) != 0) {
    return Error::plain(cat({"prefix ", text, " has host bits set (the network is ",
                             to_string(prefix_of(p.address, p.length)), ")"}));
  }
  return p;
}

std::string to_string(const Prefix& p) {
  return cat({p.address.to_string(), "/", std::to_string(p.length)});
}

Prefix prefix_of(const IpAddress& addr, std::uint8_t length) noexcept {
  Prefix network{addr, length};
  const std::uint32_t n = width(addr.family) / 8;
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t keep = length > i * 8 ? std::min<std::uint32_t>(8, length - i * 8) : 0;
    network.address.bytes[i] &= static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return network;
}

bool contains(const Prefix& p, const IpAddress& addr) noexcept {
  if (p.address.family != addr.family || addr.family == Family::kNone) return false;
  const Key mask = ~host_mask(p.length, width(addr.family));
  return (key_of(addr) & mask) == (key_of(p.address) & mask);
}

PrefixTable::PrefixTable(std::span<const Entry> entries) {
  std::vector<Range<Key>> v4, v6;
  for (const Entry& e : entries) {
    const std::uint32_t bits = width(e.prefix.address.family);
    const Key first = key_of(e.prefix.address);
    const Key last = first | host_mask(e.prefix.length, bits);
    (e.prefix.address.family == Family::kIPv4 ? v4 : v6).push_back(Range<Key>{first, last, e.value});
  }
  for (const Range<Key>& r : flatten(std::move(v4))) {
    v4_.push_back(Range<std::uint32_t>{static_cast<std::uint32_t>(r.first), static_cast<std::uint32_t>(r.last), r.value});
  }
  v6_ = flatten(std::move(v6));
}

// Prefixes are nested or disjoint. Sorted by start (outer before inner at the same start), a
// sweep with a stack of open prefixes emits each stretch of addresses labelled with the innermost
// open prefix.
std::vector<PrefixTable::Range<PrefixTable::Key>> PrefixTable::flatten(std::vector<Range<Key>> prefixes) {
  std::sort(prefixes.begin(), prefixes.end(), [](const Range<Key>& a, const Range<Key>& b) {
    return a.first != b.first ? a.first < b.first : a.last > b.last;
  });
  std::vector<Range<Key>> out;
  std::vector<Range<Key>> open;
  Key cur = 0;
  bool exhausted = false;  // a range ended at the top of the address space
  const auto emit = [&](Key first, Key last, std::uint32_t value) {
    if (!out.empty() && out.back().value == value && out.back().last + 1 == first) {
      out.back().last = last;
    } else {
      out.push_back(Range<Key>{first, last, value});
    }
  };
  const auto close = [&]() {
    const Range<Key> top = open.back();
    open.pop_back();
    if (!exhausted && cur <= top.last) emit(cur, top.last, top.value);
    if (top.last == ~Key{0}) exhausted = true;  // only at the very end (IPv6 ::/0 or ffff...)
    if (!exhausted) cur = top.last + 1;
  };
  for (const Range<Key>& p : prefixes) {
    while (!open.empty() && open.back().last < p.first) close();
    if (!open.empty() && cur < p.first) emit(cur, p.first - 1, open.back().value);
    cur = p.first;
    open.push_back(p);
  }
  while (!open.empty()) close();
  return out;
}

}  // namespace sipshunt
