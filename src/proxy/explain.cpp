// The JSON line of `sipshunt explain` (control plane).
#include "sipshunt/proxy/explain.hpp"

#include <algorithm>
#include <utility>

#include "sipshunt/config/config.hpp"
#include "sipshunt/rules/rules.hpp"

namespace sipshunt::proxy {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], 0 if there is none (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  const std::size_t left = s.size() - i;
  const auto cont = [&](std::size_t k) { return k < s.size() && (b(k) & 0xc0) == 0x80; };
  if (c >= 0xc2 && c <= 0xdf) return left >= 2 && cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (left < 3 || !cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xe0 && b(i + 1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(i + 1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (left < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xf0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(i + 1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

void append_u00(std::string& out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  out.append("\\u00");
  out.push_back(kHex[c >> 4]);
  out.push_back(kHex[c & 0xf]);
}

void field(std::string& out, std::string_view name, std::string_view json_value) {
  if (out.size() > 1) out.push_back(',');
  out.append(json_string(name)).push_back(':');
  out.append(json_value);
}

std::string json_array(const std::vector<std::string>& items) {
  std::string out(1, '[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out.push_back(',');
    out.append(items[i]);
  }
  out.push_back(']');
  return out;
}

// README.md "Networks": which of our addresses the datagram met and which it carries on.
void add_network_fields(std::string& out, const Snapshot& s, const Outcome& r, const char* output, bool sends,
                        std::uint16_t arrival) {
  if (arrival >= s.networks.size()) arrival = s.self_network;
  field(out, "arrival", json_string(s.networks[arrival].name));
  const bool leaves = sends && r.route.network < s.networks.size();
  field(out, "network", leaves ? json_string(s.networks[r.route.network].name) : std::string("null"));
  const bool request = r.verdict == Verdict::kForward && r.kind == Kind::kRequest;
  field(out, "via", request && leaves ? json_string(s.networks[r.route.network].sip.to_string()) : std::string("null"));
  std::string rr = "null";
  if (request) {
    // Our entries are the Record-Route lines that start with one of our networks' prefixes.
    const std::string_view text(output, r.length);
    std::vector<std::pair<std::size_t, std::size_t>> found;  // (offset, network)
    for (std::size_t n = 0; n < s.networks.size(); ++n)
      for (std::size_t at = 0; (at = text.find(s.networks[n].record_route_prefix, at)) != std::string_view::npos; ++at)
        if (at >= 2 && text.substr(at - 2, 2) == "\r\n") found.emplace_back(at, n);
    std::sort(found.begin(), found.end());
    std::vector<std::string> items;
    for (const auto& [at, n] : found) items.push_back(json_string(s.networks[n].sip.to_string()));
    rr = json_array(items);
  }
  field(out, "record_route", rr);
}

}  // namespace

std::string json_string(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8 + 2);
  out.push_back('"');
  for (std::size_t i = 0; i < bytes.size();) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\r': out.append("\\r"); break;
        case '\n': out.append("\\n"); break;
        case '\t': out.append("\\t"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        default:
          if (c < 0x20 || c == 0x7f) {
            append_u00(out, c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    if (const std::size_t n = utf8_sequence(bytes, i); n != 0) {
      out.append(bytes.substr(i, n));
      i += n;
    } else {
      append_u00(out, c);
      ++i;
    }
  }
  out.push_back('"');
  return out;
}

std::string explain_json(const Snapshot& snapshot, const Outcome& result, const char* output, std::uint16_t arrival) {
  const auto name_or_null = [](bool present, std::string_view name) {
    return present ? json_string(name) : std::string("null");
  };
  const bool sends = result.verdict == Verdict::kForward || result.verdict == Verdict::kReply;
  std::string_view verdict = to_string(result.verdict);
  if (result.verdict == Verdict::kLocal) verdict = "drop";

  std::string out = "{";
  field(out, "kind", json_string(to_string(result.kind)));
  field(out, "verdict", json_string(verdict));
  field(out, "status", result.verdict == Verdict::kReply ? std::to_string(result.status) : std::string("null"));
  field(out, "reason", json_string(to_string(result.reason)));
  const bool has_rule = result.rule >= 0 && static_cast<std::size_t>(result.rule) < snapshot.rule_views.size();
  field(out, "rule", name_or_null(has_rule, has_rule ? snapshot.rule_views[static_cast<std::size_t>(result.rule)].name : ""));
  const bool has_pool = result.pool >= 0 && static_cast<std::size_t>(result.pool) < snapshot.pools.size();
  field(out, "pool", name_or_null(has_pool, has_pool ? snapshot.pools[static_cast<std::size_t>(result.pool)].name : ""));
  const bool has_backend = result.backend >= 0 && static_cast<std::size_t>(result.backend) < snapshot.backends.size();
  field(out, "backend",
        name_or_null(has_backend, has_backend ? snapshot.backends[static_cast<std::size_t>(result.backend)].name : ""));
  field(out, "next_hop", sends ? json_string(result.next_hop.to_string()) : std::string("null"));
  if (snapshot.networks.size() > 1) add_network_fields(out, snapshot, result, output, sends, arrival);
  field(out, "output", sends ? json_string(std::string_view(output, result.length)) : std::string("null"));
  out.push_back('}');
  return out;
}

sipshunt::Result<std::shared_ptr<const Snapshot>> explain_setup(const std::filesystem::path& config_file,
                                                               const std::vector<std::string>& down,
                                                               std::string_view local_call_id_prefix) {
  auto loaded = config::load_file(config_file);
  if (!loaded) return loaded.error();
  auto cfg = std::make_shared<const config::Config>(std::move(*loaded));

  std::vector<BackendState> states;
  for (const std::string& name : down) {
    const config::Backend* found = nullptr;
    for (const config::Pool& p : cfg->pools)
      for (const config::Backend& b : p.backends)
        if (b.name == name) found = &b;
    if (found == nullptr) return Error::plain("--down " + name + ": no backend with that name in " + cfg->path.string());
    states.push_back(BackendState{name, false, found->state});
  }

  std::shared_ptr<const rules::RuleSet> rule_set;
  if (!cfg->rule_files.empty()) {
    std::vector<std::string> pools;
    for (const config::Pool& p : cfg->pools) pools.push_back(p.name);
    auto compiled = rules::RuleSet::compile(cfg->rule_files, pools);
    if (!compiled) return compiled.error();
    rule_set = *compiled;
  }
  return build_snapshot(cfg, rule_set, states, 1, local_call_id_prefix);
}

}  // namespace sipshunt::proxy
