// Rule-set compilation: the parsed rule files (parser.cpp) resolved against the pools, every
// regex compiled into one Hyperscan database per scanned field, the method and source-prefix
// tables built; and the per-worker scratch. Matching is match.cpp.
#include "sipshunt/rules/rules.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

#include "impl.hpp"
#include "parser.hpp"

namespace sipshunt::rules {
namespace {

using detail::CondAst;
using detail::CondKind;
using detail::Location;
using detail::RuleAst;

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

unsigned hs_flags(unsigned flags) {
  unsigned out = HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;
  if (flags & detail::kFlagCaseless) out |= HS_FLAG_CASELESS;
  if (flags & detail::kFlagDotall) out |= HS_FLAG_DOTALL;
  if (flags & detail::kFlagMultiline) out |= HS_FLAG_MULTILINE;
  return out;
}

std::string flag_text(unsigned flags) {
  std::string s;
  if (flags & detail::kFlagCaseless) s += 'i';
  if (flags & detail::kFlagDotall) s += 's';
  if (flags & detail::kFlagMultiline) s += 'm';
  return s;
}

struct PatternSource {
  std::string expression;
  unsigned flags = 0;
  Location at;            // first use, for messages
  std::string rule;
};

struct FieldBuild {
  std::string name;
  std::vector<std::uint32_t> ids;  // global pattern ids, in order
};

}  // namespace

Lists Lists::build(std::size_t keys, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& pairs) {
  Lists l(keys);
  for (const auto& [key, item] : pairs) ++l.offsets_[key + 1];
  for (std::size_t k = 0; k < keys; ++k) l.offsets_[k + 1] += l.offsets_[k];
  l.items_.resize(pairs.size());
  std::vector<std::uint32_t> fill(l.offsets_.begin(), l.offsets_.end() - 1);
  for (const auto& [key, item] : pairs) l.items_[fill[key]++] = item;
  return l;
}

RuleSet::Impl::~Impl() {
  for (Field& f : fields) hs_free_database(f.db);
}

Scratch::Impl::~Impl() { hs_free_scratch(hs); }

Scratch::Scratch() : impl_(std::make_unique<Impl>()) {}
Scratch::~Scratch() = default;

bool Scratch::prepare(const RuleSet& set) {
  const RuleSet::Impl& r = set.impl();
  for (const Field& f : r.fields) {
    if (hs_alloc_scratch(f.db, &impl_->hs) != HS_SUCCESS) return false;
  }
  const std::size_t words = (r.patterns + 63) / 64;
  if (impl_->bits.size() < words) impl_->bits.resize(words, 0);
  if (impl_->matched.size() < r.patterns) impl_->matched.resize(r.patterns);
  const std::size_t memos = std::min(r.fields.size(), Impl::kMemoFields);
  if (impl_->memos.size() < memos) impl_->memos.resize(memos);
  impl_->pattern_room = static_cast<std::uint32_t>(std::min(impl_->bits.size() * 64, impl_->matched.size()));
  impl_->memo_fields = static_cast<std::uint32_t>(impl_->memos.size());
  return true;
}

RuleSet::RuleSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RuleSet::~RuleSet() = default;

std::span<const Rule> RuleSet::rules() const noexcept { return impl_->rules; }
RuleSet::Summary RuleSet::summary() const noexcept { return impl_->summary; }

Result<std::shared_ptr<const RuleSet>> RuleSet::compile(std::span<const std::filesystem::path> files,
                                                        std::span<const std::string> pools) {
  using Compiled = Result<std::shared_ptr<const RuleSet>>;
  Result<detail::ParsedRules> read = detail::parse_files(files);
  if (!read) return Compiled(read.error());
  const detail::ParsedRules& parsed = *read;
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  static std::atomic<std::uint64_t> serials{0};
  m.serial = serials.fetch_add(1, std::memory_order_relaxed) + 1;
  const auto fail = [](Error e) { return Compiled(std::move(e)); };

  // Actions: pools by name.
  std::map<std::string, std::uint32_t, std::less<>> pool_index;
  for (std::size_t i = 0; i < pools.size(); ++i) pool_index.emplace(pools[i], static_cast<std::uint32_t>(i));
  for (const RuleAst& r : parsed.rules) {
    Rule rule;
    rule.name = r.name;
    rule.file = r.at.file ? *r.at.file : std::string{};
    rule.line = r.at.line;
    rule.column = r.at.column;
    rule.action.kind = r.action.kind;
    if (r.action.kind == ActionKind::kPool) {
      const auto it = pool_index.find(r.action.pool);
      if (it == pool_index.end()) {
        std::string known;
        for (const std::string& p : pools) known.append(known.empty() ? "" : ", ").append(p);
        std::string msg = "unknown pool '" + r.action.pool + "' in rule '" + r.name + "' (";
        msg.append(known.empty() ? std::string("no pools are configured") : "configured pools: " + known).append(")");
        return fail(r.action.pool_at.error(msg));
      }
      rule.action.pool = it->second;
    } else if (r.action.kind == ActionKind::kReply) {
      rule.action.status = r.action.status;
      rule.action.reason_phrase = r.action.reason;
    }
    m.rules.push_back(std::move(rule));
  }

  // Methods.
  for (const RuleAst& r : parsed.rules) {
    for (const CondAst& c : r.conditions) {
      if (c.kind == CondKind::kMethod) m.methods.insert(m.methods.end(), c.methods.begin(), c.methods.end());
    }
  }
  std::sort(m.methods.begin(), m.methods.end(), sized_less);
  m.methods.erase(std::unique(m.methods.begin(), m.methods.end()), m.methods.end());
  for (std::size_t n = 0; n < m.method_by_size.size(); ++n) {
    const auto first = std::find_if(m.methods.begin(), m.methods.end(), [n](const std::string& s) { return s.size() >= n; });
    m.method_by_size[n] = static_cast<std::uint32_t>(first - m.methods.begin());
  }

  // Fields and patterns.
  std::vector<FieldBuild> fields;
  std::map<std::string, std::uint32_t, std::less<>> field_by_key;
  std::vector<PatternSource> patterns;
  std::map<std::tuple<std::uint32_t, std::string, unsigned>, std::uint32_t> pattern_by_key;
  const auto field_for = [&](const CondAst& c) -> std::uint32_t {
    std::string key, name;
    if (c.kind == CondKind::kRuri) {
      key = "ruri";  // header keys below start with ':' or '#', which a ruri key cannot
      name = "ruri";
    } else if (const sip::HeaderId id = sip::header_id(c.header); id != sip::HeaderId::kOther) {
      key = "#" + std::to_string(static_cast<int>(id));
      name = std::string(sip::header_name(id));
    } else {
      key = ":" + lowered(c.header);
      name = c.header;
    }
    const auto [it, added] = field_by_key.emplace(key, static_cast<std::uint32_t>(fields.size()));
    if (added) fields.push_back(FieldBuild{name, {}});
    return it->second;
  };

  // Sources: distinct prefixes are the nodes of the table.
  std::vector<Prefix> nodes;
  std::vector<std::vector<std::uint32_t>> src_conds;  // per src condition: node ids of its prefixes
  const auto node_for = [&](const Prefix& p) -> std::uint32_t {
    const auto it = std::find(nodes.begin(), nodes.end(), p);
    if (it != nodes.end()) return static_cast<std::uint32_t>(it - nodes.begin());
    nodes.push_back(p);
    return static_cast<std::uint32_t>(nodes.size() - 1);
  };

  std::vector<std::pair<std::uint32_t, std::uint32_t>> method_cond_items;  // (method cond, method id)
  std::uint32_t method_conds = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> anchor_pattern, anchor_method;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> anchor_src;  // (src condition, rule), expanded below

  for (std::uint32_t ri = 0; ri < parsed.rules.size(); ++ri) {
    const RuleAst& r = parsed.rules[ri];
    m.cond_offsets.push_back(static_cast<std::uint32_t>(m.conds.size()));
    std::int64_t anchor_on_pattern = -1, anchor_on_method = -1, anchor_on_src = -1;
    for (const CondAst& c : r.conditions) {
      CondCode code;
      code.negate = c.negate;
      switch (c.kind) {
        case CondKind::kAny:
          code.test = Test::kAny;
          break;
        case CondKind::kMethod: {
          code.test = Test::kMethod;
          code.arg = method_conds++;
          for (const std::string& name : c.methods) {
            const auto id = static_cast<std::uint32_t>(m.method_id(name));
            method_cond_items.emplace_back(code.arg, id);
          }
          if (!c.negate && anchor_on_method < 0) anchor_on_method = code.arg;
          break;
        }
        case CondKind::kRuri:
        case CondKind::kHeader: {
          code.test = Test::kPattern;
          const std::uint32_t field = field_for(c);
          const auto key = std::make_tuple(field, c.pattern, c.flags);
          const auto [it, added] = pattern_by_key.emplace(key, static_cast<std::uint32_t>(patterns.size()));
          if (added) {
            patterns.push_back(PatternSource{c.pattern, c.flags, c.regex_at, r.name});
            fields[field].ids.push_back(it->second);
          }
          code.arg = it->second;
          if (!c.negate && anchor_on_pattern < 0) anchor_on_pattern = code.arg;
          break;
        }
        case CondKind::kSrc: {
          code.test = Test::kSrc;
          code.arg = static_cast<std::uint32_t>(src_conds.size());
          std::vector<std::uint32_t> ids;
          for (const Prefix& p : c.prefixes) ids.push_back(node_for(p));
          src_conds.push_back(std::move(ids));
          if (!c.negate && anchor_on_src < 0) anchor_on_src = code.arg;
          break;
        }
      }
      m.conds.push_back(code);
    }
    // File the rule under its most selective positive condition: a regex, else a source prefix
    // (a trunk's addresses), else a method (INVITE alone is half of all traffic).
    if (anchor_on_pattern >= 0) {
      anchor_pattern.emplace_back(static_cast<std::uint32_t>(anchor_on_pattern), ri);
    } else if (anchor_on_src >= 0) {
      anchor_src.emplace_back(static_cast<std::uint32_t>(anchor_on_src), ri);
    } else if (anchor_on_method >= 0) {
      anchor_method.emplace_back(static_cast<std::uint32_t>(anchor_on_method), ri);
    } else {
      m.unanchored.push_back(ri);
    }
  }
  m.cond_offsets.push_back(static_cast<std::uint32_t>(m.conds.size()));
  m.method_conds = Lists::build(method_conds, method_cond_items);
  m.patterns = static_cast<std::uint32_t>(patterns.size());

  // Compile one Hyperscan database per field.
  m.field_of_id.fill(-1);
  std::vector<std::pair<std::string, std::int16_t>> others;
  for (const auto& [key, index] : field_by_key) {
    const FieldBuild& fb = fields[index];
    std::vector<const char*> expressions;
    std::vector<unsigned> flags;
    std::vector<Lead> leads;
    bool caseless = false;
    for (std::uint32_t id : fb.ids) {
      expressions.push_back(patterns[id].expression.c_str());
      flags.push_back(hs_flags(patterns[id].flags));
      leads.push_back(lead_of(patterns[id].expression, (patterns[id].flags & detail::kFlagMultiline) != 0));
      caseless = caseless || (patterns[id].flags & detail::kFlagCaseless) != 0;
    }
    Field f;
    f.name = fb.name;
    f.patterns = static_cast<std::uint32_t>(fb.ids.size());
    f.prefilter = Prefilter::of(leads, caseless);
    hs_compile_error_t* error = nullptr;
    const hs_error_t rc = hs_compile_multi(expressions.data(), flags.data(), fb.ids.data(),
                                           static_cast<unsigned>(fb.ids.size()), HS_MODE_BLOCK, nullptr, &f.db,
                                           &error);
    if (rc != HS_SUCCESS) {
      const int which = error != nullptr ? error->expression : -1;
      const std::string message = error != nullptr && error->message != nullptr ? error->message : "unknown error";
      hs_free_compile_error(error);
      const PatternSource& p = patterns[fb.ids[which >= 0 ? static_cast<std::size_t>(which) : 0]];
      if (which >= 0) {
        return fail(p.at.error("rule '" + p.rule + "': Hyperscan cannot compile /" + p.expression + "/" +
                               flag_text(p.flags) + ": " + message));
      }
      return fail(p.at.error("Hyperscan cannot compile the " + std::to_string(fb.ids.size()) +
                             " patterns of field '" + fb.name + "': " + message));
    }
    const auto fi = static_cast<std::int16_t>(m.fields.size());
    m.fields.push_back(std::move(f));
    if (key == "ruri") {
      m.ruri_field = fi;
    } else if (key[0] == '#') {
      m.field_of_id[static_cast<std::size_t>(std::stoi(key.substr(1)))] = fi;
    } else {
      others.emplace_back(key.substr(1), fi);
    }
  }
  std::sort(others.begin(), others.end(), [](const auto& a, const auto& b) { return sized_less(a.first, b.first); });
  if (!others.empty()) m.field_of_id[static_cast<std::size_t>(sip::HeaderId::kOther)] = Impl::kByName;
  for (auto& [name, fi] : others) {
    m.other_names.push_back(name);
    m.other_fields.push_back(fi);
  }
  for (std::size_t id = 0; id < m.field_of_id.size(); ++id) {
    if (m.field_of_id[id] == -1) continue;
    const std::uint32_t bit = std::uint32_t{1} << id;
    (bit & Impl::kSingleIds ? m.single_ids : m.walked_ids) |= bit;
  }

  // Source prefixes: a node satisfies a src condition when one of the condition's prefixes
  // contains the node's prefix (the longest match for an address implies all shorter ones).
  {
    std::vector<PrefixTable::Entry> entries;
    for (std::uint32_t n = 0; n < nodes.size(); ++n) entries.push_back(PrefixTable::Entry{nodes[n], n});
    m.prefixes = PrefixTable(entries);
    m.src_words = static_cast<std::uint32_t>((src_conds.size() + 63) / 64);
    m.src_rows.assign(nodes.size() * m.src_words, 0);
    for (std::uint32_t n = 0; n < nodes.size(); ++n) {
      for (std::uint32_t c = 0; c < src_conds.size(); ++c) {
        for (std::uint32_t p : src_conds[c]) {
          if (nodes[p].length <= nodes[n].length && contains(nodes[p], nodes[n].address)) {
            m.src_rows[n * m.src_words + c / 64] |= std::uint64_t{1} << (c % 64);
            break;
          }
        }
      }
    }
    // A rule anchored on src condition c is a candidate at every node satisfying c.
    std::vector<std::pair<std::uint32_t, std::uint32_t>> by_node;
    for (std::uint32_t n = 0; n < nodes.size(); ++n) {
      for (const auto& [c, rule] : anchor_src) {
        if (m.src_rows[n * m.src_words + c / 64] & (std::uint64_t{1} << (c % 64))) by_node.emplace_back(n, rule);
      }
    }
    m.by_node = Lists::build(nodes.size(), by_node);
  }

  // Rules anchored on a method condition are candidates for every method it lists.
  {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> by_method;
    for (const auto& [c, rule] : anchor_method) {
      for (std::uint32_t id : m.method_conds[c]) by_method.emplace_back(id, rule);
    }
    std::sort(by_method.begin(), by_method.end());
    m.by_method = Lists::build(m.methods.size(), by_method);
  }
  m.by_pattern = Lists::build(patterns.size(), anchor_pattern);

  m.summary.rules = m.rules.size();
  m.summary.patterns = patterns.size();
  m.summary.databases = m.fields.size();
  m.summary.files = parsed.files;
  m.summary.prefixes = nodes.size();
  return Compiled(std::shared_ptr<const RuleSet>(std::make_shared<const RuleSet>(std::move(impl))));
}

std::string_view engine_version() noexcept { return hs_version(); }

}  // namespace sipshunt::rules
