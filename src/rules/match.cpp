// hot path
// Matching a parsed message against a compiled rule set: each scanned field through its Hyperscan
// database once, then the rules in file order over the matched pattern bits (compilation:
// rules.cpp).
#include <algorithm>
#include <bit>

#include "impl.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::rules {
namespace {

// The index of `name` in `names` (ordered by compare_sized), -1 when absent.
template <bool kCaseless>
std::int32_t find_sized(const std::vector<std::string>& names, std::string_view name) noexcept {
  std::size_t lo = 0, hi = names.size();
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    const int c = compare_sized<kCaseless>(names[mid], name);
    if (c == 0) return static_cast<std::int32_t>(mid);
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return -1;
}

struct ScanContext {
  std::uint64_t* bits;
  std::uint32_t* matched;
  std::uint32_t count;
  // What the current scan reported, for the memo: every id, even one an earlier field of this
  // message already set (a second User-Agent field with the same pattern), up to kMaxIds.
  std::uint32_t reported[FieldMemo::kMaxIds];
  std::uint32_t reports;
};

inline void set_pattern(ScanContext& c, unsigned int id) noexcept {
  std::uint64_t& word = c.bits[id >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (id & 63);
  if ((word & bit) == 0) {
    word |= bit;
    c.matched[c.count++] = id;
  }
}

int on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* context) {
  auto* c = static_cast<ScanContext*>(context);
  set_pattern(*c, id);
  if (c->reports < FieldMemo::kMaxIds) c->reported[c->reports] = id;
  ++c->reports;  // past kMaxIds: too many to memoise
  return 0;
}

}  // namespace

// Methods compare with case (RFC 3261 §7.1), header names without (§7.3.1).
std::int32_t RuleSet::Impl::long_method_id(std::string_view method) const noexcept {
  return find_sized<false>(methods, method);
}

std::int32_t RuleSet::Impl::other_header_field(std::string_view name) const noexcept {
  const std::int32_t i = find_sized<true>(other_names, name);
  return i < 0 ? -1 : other_fields[static_cast<std::size_t>(i)];
}

Match RuleSet::match(const sip::Message& msg, const Endpoint& source, Scratch& scratch) const noexcept {
  const Impl& m = *impl_;
  Scratch::Impl& s = *scratch.impl();
  Match out;
  // Room for every pattern id (and a Hyperscan scratch when there are patterns).
  if (s.pattern_room < m.patterns) {
    out.error = true;
    return out;
  }

  // 1. Scan every field that has patterns, each field once.
  //    A value the field's prefilter refuses matches none of its patterns; a value the field's
  //    memo holds is answered from it (the ids its scan reported).
  // `reported` is written by a scan before it is read: left uninitialised.
  ScanContext ctx;
  ctx.bits = s.bits.data();
  ctx.matched = s.matched.data();
  ctx.count = 0;
  bool failed = false;
  // Inlined at both call sites: out of line, its prologue and epilogue cost about as much as a
  // refused value's whole prefilter test.
  const auto scan = [&](std::int32_t fi, std::string_view text) __attribute__((always_inline)) {
    const Field& f = m.fields[static_cast<std::size_t>(fi)];
    if (!f.prefilter.admits(text)) return;
    FieldMemo* memo = static_cast<std::uint32_t>(fi) < s.memo_fields ? &s.memos[static_cast<std::size_t>(fi)] : nullptr;
    std::size_t slot = 0;
    if (memo != nullptr && memo->usable(text)) {
      if (const FieldMemo::Entry* e = memo->find(m.serial, text, slot)) {
        for (std::uint8_t i = 0; i < e->count; ++i) set_pattern(ctx, e->ids[i]);
        return;
      }
    } else {
      memo = nullptr;
    }
    ctx.reports = 0;
    const char* data = text.empty() ? "" : text.data();
    const hs_error_t rc = hs_scan(f.db, data, static_cast<unsigned>(text.size()), 0, s.hs, on_match, &ctx);
    failed |= rc != HS_SUCCESS;
    if (memo != nullptr && rc == HS_SUCCESS && ctx.reports <= FieldMemo::kMaxIds) {
      memo->store(m.serial, text, slot, {ctx.reported, ctx.reports});
    }
  };
  if (m.ruri_field >= 0) scan(m.ruri_field, msg.request_uri);
  {
    // A field of an id a message has at most one of is where Message::first says.
    for (std::uint32_t ids = m.single_ids; ids != 0; ids &= ids - 1) {
      const auto id = static_cast<std::size_t>(std::countr_zero(ids));
      const std::uint16_t i = msg.first[id];
      if (i != sip::kNoHeader) scan(m.field_of_id[id], msg.headers[i].value());
    }
    // The others are found by walking the fields from the first of them (Message::first; from
    // the top when some scanned header has no id, bit 0). Most fields are skipped on one bit
    // test: the loop keeps the ids in a register and walks a pointer, so a skipped field costs
    // a load, a test and the loop's own step.
    const std::uint32_t walked_ids = m.walked_ids;
    if (walked_ids != 0) {
      std::size_t start = 0;
      if ((walked_ids & 1) == 0) {
        start = sip::kNoHeader;
        for (std::uint32_t ids = walked_ids; ids != 0; ids &= ids - 1) {
          start = std::min<std::size_t>(start, msg.first[std::countr_zero(ids)]);
        }
      }
      const sip::Header* const end = msg.headers + msg.header_count;
      for (const sip::Header* h = start < msg.header_count ? msg.headers + start : end; h != end; ++h) {
        if (((walked_ids >> static_cast<unsigned>(h->id)) & 1) == 0) continue;
        const std::int32_t f = m.header_field(*h);
        if (f >= 0) scan(f, h->value());
      }
    }
  }

  // 2. Method and source.
  const std::int32_t method = m.method_id(msg.method);
  const std::uint32_t node = m.prefixes.lookup(source.ip);
  const std::uint64_t* src_row = node == PrefixTable::kNoMatch ? nullptr : m.src_rows.data() + node * m.src_words;

  const auto holds = [&](const CondCode& c) noexcept -> bool {
    switch (c.test) {
      case Test::kAny:
        return true;
      case Test::kMethod:
        if (method < 0) return false;
        for (std::uint32_t id : m.method_conds[c.arg]) {
          if (id == static_cast<std::uint32_t>(method)) return true;
        }
        return false;
      case Test::kPattern:
        return ((s.bits[c.arg >> 6] >> (c.arg & 63)) & 1u) != 0;
      case Test::kSrc:
        return src_row != nullptr && ((src_row[c.arg >> 6] >> (c.arg & 63)) & 1u) != 0;
    }
    return false;
  };
  const auto rule_holds = [&](std::uint32_t r) noexcept {
    for (std::uint32_t i = m.cond_offsets[r]; i < m.cond_offsets[r + 1]; ++i) {
      if (holds(m.conds[i]) == m.conds[i].negate) return false;
    }
    return true;
  };

  // 3. First rule that holds: walk each candidate list (ascending) up to the best so far.
  std::uint32_t best = std::numeric_limits<std::uint32_t>::max();
  const auto walk = [&](std::span<const std::uint32_t> list) noexcept {
    for (std::uint32_t r : list) {
      if (r >= best) return;
      if (rule_holds(r)) {
        best = r;
        return;
      }
    }
  };
  if (!failed) {
    walk(m.unanchored);
    if (method >= 0) walk(m.by_method[static_cast<std::size_t>(method)]);
    if (src_row != nullptr) walk(m.by_node[node]);
    for (std::uint32_t i = 0; i < ctx.count; ++i) walk(m.by_pattern[ctx.matched[i]]);
  }

  // 4. Leave the bitset clear for the next message.
  for (std::uint32_t i = 0; i < ctx.count; ++i) s.bits[ctx.matched[i] >> 6] = 0;

  if (failed) {
    out.error = true;
  } else if (best != std::numeric_limits<std::uint32_t>::max()) {
    out.rule = static_cast<std::int32_t>(best);
  }
  return out;
}

}  // namespace sipshunt::rules
