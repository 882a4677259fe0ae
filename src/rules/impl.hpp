// Inside of a compiled RuleSet and of a worker's Scratch. Private to the rules module (and its
// tests and benchmarks).
#pragma once

#include <hs/hs.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/cache_aligned.hpp"
#include "sipshunt/common/octets.hpp"
#include "sipshunt/common/prefix.hpp"
#include "sipshunt/rules/rules.hpp"
#include "sipshunt/sip/message.hpp"
#include "memo.hpp"
#include "prefilter.hpp"

namespace sipshunt::rules {

// Orders `a` and `b` by length, then by text (ignoring the case of `b` when kCaseless, `a` being
// lower case then): the order of RuleSet::Impl::methods and other_names, where a name is mostly
// settled by its length alone.
template <bool kCaseless>
[[nodiscard]] int compare_sized(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  if (!kCaseless && same_octets(a.data(), b.data(), a.size())) return 0;  // the usual outcome
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]);
    const auto y = static_cast<unsigned char>(kCaseless ? ascii_lower(b[i]) : b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

// The same order as a sort predicate: the name tables are sorted with it (rules.cpp) and
// searched with compare_sized (match.cpp), so the two cannot disagree.
[[nodiscard]] inline bool sized_less(std::string_view a, std::string_view b) noexcept {
  return compare_sized<false>(a, b) < 0;
}

// Lists of indices per key, flattened: items_[offsets_[k] .. offsets_[k+1]).
class Lists {
 public:
  explicit Lists(std::size_t keys = 0) : offsets_(keys + 1, 0) {}
  // Control plane: built from (key, item) pairs; items of a key keep the order given.
  static Lists build(std::size_t keys, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs);
  [[nodiscard]] std::span<const std::uint32_t> operator[](std::size_t key) const noexcept {
    return {items_.data() + offsets_[key], items_.data() + offsets_[key + 1]};
  }
  [[nodiscard]] std::size_t keys() const noexcept { return offsets_.size() - 1; }

 private:
  std::vector<std::uint32_t> offsets_;
  std::vector<std::uint32_t> items_;
};

enum class Test : std::uint8_t { kAny, kMethod, kPattern, kSrc };

struct CondCode {
  Test test = Test::kAny;
  bool negate = false;
  std::uint32_t arg = 0;  // kMethod: method condition; kPattern: pattern id; kSrc: src condition
};

// One scanned field: the Request-URI or one header (all its fields, long and compact names).
struct Field {
  std::string name;       // "ruri" or the header's canonical name
  hs_database_t* db = nullptr;
  std::uint32_t patterns = 0;
  Prefilter prefilter;    // a value it refuses is not scanned: no pattern of the field can match it
};

struct RuleSet::Impl {
  ~Impl();

  // Distinct for every compiled set of this process (never 0): what a worker's memo of field
  // results (memo.hpp) is keyed on, so a result found under one set is never used with another.
  std::uint64_t serial = 0;

  std::vector<Rule> rules;
  std::vector<std::uint32_t> cond_offsets;  // rule r: conds[cond_offsets[r] .. cond_offsets[r+1])
  std::vector<CondCode> conds;

  // Methods: distinct names (by sized_less) and, per method condition, the method ids it lists.
  std::vector<std::string> methods;
  Lists method_conds;
  // methods[method_by_size[n] .. method_by_size[n + 1]) are the methods of n octets, for n up to
  // kSizedMethod: a method is settled by its length and, usually, one compare (a longer one by a
  // binary search of the whole table).
  static constexpr std::size_t kSizedMethod = 15;
  std::array<std::uint32_t, kSizedMethod + 2> method_by_size{};

  // Fields and patterns. Pattern ids are global (bit positions in the scratch bitset).
  std::vector<Field> fields;
  std::int32_t ruri_field = -1;
  // Field of each header id; at kOther, kByName when some field is a header without an id.
  static constexpr std::int16_t kByName = -2;
  std::array<std::int16_t, static_cast<std::size_t>(sip::HeaderId::kCount)> field_of_id{};
  // Bit i set when field_of_id[i] is not -1, in one of two masks. single_ids: ids a message that
  // parsed has at most one field of (parse() refuses a second From, To, Call-ID, CSeq,
  // Max-Forwards or Content-Length), so Message::first says where it is; walked_ids: the others
  // (bit 0 when some field is a header without an id), found by walking the header fields from
  // the first of them, one bit test per field.
  static constexpr std::uint32_t kSingleIds =
      1u << static_cast<unsigned>(sip::HeaderId::kFrom) | 1u << static_cast<unsigned>(sip::HeaderId::kTo) |
      1u << static_cast<unsigned>(sip::HeaderId::kCallId) | 1u << static_cast<unsigned>(sip::HeaderId::kCSeq) |
      1u << static_cast<unsigned>(sip::HeaderId::kMaxForwards) |
      1u << static_cast<unsigned>(sip::HeaderId::kContentLength);
  std::uint32_t single_ids = 0;
  std::uint32_t walked_ids = 0;
  static_assert(static_cast<std::size_t>(sip::HeaderId::kCount) <= 32, "one bit of an id mask per id");
  std::vector<std::string> other_names;     // lower-case, by sized_less: headers without a HeaderId
  std::vector<std::int16_t> other_fields;   // parallel to other_names
  std::uint32_t patterns = 0;

  // Sources: the table maps an address to its most specific prefix ("node"); each node has a
  // row of bits saying which src conditions hold for every address of that node.
  PrefixTable prefixes;
  std::uint32_t src_words = 0;
  std::vector<std::uint64_t> src_rows;  // node * src_words

  // Candidate rules, each list ascending: a rule sits in exactly one list, keyed by one of its
  // non-negated conditions (pattern > src > method); rules without one are always candidates.
  std::vector<std::uint32_t> unanchored;
  Lists by_pattern;
  Lists by_method;
  Lists by_node;

  RuleSet::Summary summary;

  // The id of `method` (-1: no rule names it). Inline in match(): out of line, the call's own
  // instructions were a third of its cost.
  [[nodiscard]] std::int32_t method_id(std::string_view method) const noexcept {
    const std::size_t n = method.size();
    if (n > kSizedMethod) return long_method_id(method);
    for (std::uint32_t i = method_by_size[n]; i < method_by_size[n + 1]; ++i) {
      if (same_octets(methods[i].data(), method.data(), n)) return static_cast<std::int32_t>(i);
    }
    return -1;
  }
  [[nodiscard]] std::int32_t long_method_id(std::string_view method) const noexcept;
  [[nodiscard]] std::int32_t header_field(const sip::Header& h) const noexcept {
    const std::int16_t f = field_of_id[static_cast<std::size_t>(h.id)];
    return f != kByName ? f : other_header_field(h.name());
  }
  [[nodiscard]] std::int32_t other_header_field(std::string_view name) const noexcept;
};

// A worker writes `bits` and `matched` on every match: cache-line blocks of their own, so that no
// other worker's allocation shares their lines (Hyperscan aligns its scratch itself).
struct Scratch::Impl {
  ~Impl();
  hs_scratch_t* hs = nullptr;
  std::vector<std::uint64_t, CacheAlignedAllocator<std::uint64_t>> bits;    // one bit per pattern id; all zero between matches
  std::vector<std::uint32_t, CacheAlignedAllocator<std::uint32_t>> matched;  // pattern ids set in `bits` during this match
  // A memo of results per field (memo.hpp), for the first kMemoFields fields of a set: 4 KiB each.
  static constexpr std::size_t kMemoFields = 16;
  std::vector<FieldMemo, CacheAlignedAllocator<FieldMemo>> memos;
  // What Scratch::prepare made room for, as counts match() compares in one instruction each
  // (a vector's size is two loads and a shift, a division for memos): the pattern ids `bits`
  // and `matched` both hold (non-zero only once `hs` is allocated), and memos.size().
  std::uint32_t pattern_room = 0;
  std::uint32_t memo_fields = 0;
};

}  // namespace sipshunt::rules
