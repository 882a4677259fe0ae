// ConfigFixture::toml() and numbered_backends() (see config_fixture.hpp).
#include "support/config_fixture.hpp"

#include <stdexcept>

namespace sipshunt::test_support {
namespace {

// A TOML basic string.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out.append("\"");
}

void key(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(" = ").append(value).append("\n");
}
void int_key(std::string& out, std::string_view name, int value) {
  if (value != 0) key(out, name, std::to_string(value));
}
void string_key(std::string& out, std::string_view name, std::string_view value) {
  if (!value.empty()) key(out, name, quoted(value));
}

}  // namespace

std::string ConfigFixture::toml() const {
  std::string t = "[proxy]\n";
  string_key(t, "address", address);
  int_key(t, "port", port);
  if (record_route) key(t, "record_route", *record_route ? "true" : "false");
  string_key(t, "backend_source", backend_source);
  int_key(t, "reply_rate", reply_rate);
  int_key(t, "no_match_status", no_match_status);
  string_key(t, "no_match_reason", no_match_reason);
  string_key(t, "default_pool", default_pool);
  if (!hosts.empty()) {
    t.append("[proxy.hosts]\n");
    for (const auto& [name, target] : hosts) key(t, quoted(name), quoted(target));
  }
  if (!rule_files.empty()) {
    std::string files;
    for (const std::string& f : rule_files) files.append(files.empty() ? "" : ", ").append(quoted(f));
    key(t.append("[rules]\n"), "files", std::string("[").append(files).append("]"));
  }
  for (const Pool& p : pools) {
    string_key(t.append("[[pools]]\n"), "name", p.name);
    if (p.health) {
      t.append("[pools.health]\n");
      if (!p.health->enabled) key(t, "enabled", "false");
      int_key(t, "interval_ms", p.health->interval_ms);
      int_key(t, "timeout_ms", p.health->timeout_ms);
      int_key(t, "fall", p.health->fall);
      int_key(t, "rise", p.health->rise);
    }
    for (const Backend& b : p.backends) {
      string_key(t.append("[[pools.backends]]\n"), "name", b.name);
      string_key(t, "address", b.address);
      int_key(t, "port", b.port);
      string_key(t, "state", b.state);
    }
  }
  return t.append(tail);
}

ConfigFixture proxy_fixture() {
  return {.port = 5060, .pools = {{.name = "core", .backends = numbered_backends(3, "198.19.0.11")}}};
}

std::vector<ConfigFixture::Backend> numbered_backends(int count, std::string_view first_address) {
  const std::size_t dot = first_address.rfind('.');
  if (dot == std::string_view::npos) throw std::invalid_argument("numbered_backends: not a dotted quad");
  const std::string prefix(first_address.substr(0, dot + 1));
  const int first = std::stoi(std::string(first_address.substr(dot + 1)));
  std::vector<ConfigFixture::Backend> out;
  for (int i = 0; i < count; ++i)
    // append(), not operator+ on a temporary: GCC 12 warns falsely (-Wrestrict) on the latter.
    out.push_back({.name = std::string("b").append(std::to_string(i + 1)),
                   .address = std::string(prefix).append(std::to_string(first + i))});
  return out;
}

}  // namespace sipshunt::test_support
