// The typed field readers of the config loader (src/config/config.cpp): each reads one TOML
// value, checks its type and range, and throws a Failure at the value's position (file:line:col)
// otherwise. Private to src/config; included by config.cpp only.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/config/config.hpp"

namespace sipshunt::config::detail {

struct Failure {
  std::uint32_t line;
  std::uint32_t column;
  std::string message;
};

[[noreturn]] inline void fail(const toml::source_region& where, std::string message) {
  throw Failure{static_cast<std::uint32_t>(where.begin.line), static_cast<std::uint32_t>(where.begin.column),
                std::move(message)};
}

inline std::string_view type_name(const toml::node& n) noexcept {
  switch (n.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

inline std::string join(std::initializer_list<std::string_view> words) {
  std::string out;
  for (auto w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// "[proxy]" for messages about keys of a table.
inline void reject_unknown_keys(const toml::table& t, std::initializer_list<std::string_view> allowed,
                         std::string_view where) {
  for (auto&& [key, node] : t) {
    (void)node;
    if (std::find(allowed.begin(), allowed.end(), key.str()) != allowed.end()) continue;
    std::string msg = "unknown key '";
    msg.append(key.str()).append("' ").append(where).append(" (expected one of: ").append(join(allowed)).append(")");
    fail(key.source(), std::move(msg));
  }
}

inline std::string child(std::string_view path, std::string_view key) {
  std::string out(path);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

inline std::string indexed(std::string_view path, std::size_t i) {
  std::string out(path);
  out.append("[").append(std::to_string(i)).append("]");
  return out;
}

[[noreturn]] inline void fail_expected(const toml::node& n, std::string_view path, std::string_view expected,
                                std::string_view got) {
  std::string msg(path);
  msg.append(": expected ").append(expected).append(", got ").append(got);
  fail(n.source(), std::move(msg));
}

[[noreturn]] inline void fail_type(const toml::node& n, std::string_view path, std::string_view expected) {
  fail_expected(n, path, expected, type_name(n));
}

inline std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

// Typed field readers. Each takes the enclosing table, the key and the dotted path of the table.
inline const toml::node* find(const toml::table& t, std::string_view key) { return t.get(key); }

inline const toml::table* get_table(const toml::table& t, std::string_view key, std::string_view path) {
  const toml::node* n = find(t, key);
  if (!n) return nullptr;
  if (!n->is_table()) fail_type(*n, child(path, key), "a table");
  return n->as_table();
}

// [[name]]: an array of tables (also accepted: an inline array of inline tables).
inline std::vector<const toml::table*> get_tables(const toml::table& t, std::string_view key, std::string_view path) {
  std::vector<const toml::table*> out;
  const toml::node* n = find(t, key);
  if (!n) return out;
  std::string p = child(path, key);
  std::string expected = "an array of tables ([[";
  expected.append(p).append("]])");
  if (!n->is_array()) fail_type(*n, p, expected);
  const toml::array& a = *n->as_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_table()) fail_type(a[i], indexed(p, i), "a table");
    out.push_back(a[i].as_table());
  }
  return out;
}

inline std::int64_t int_value(const toml::node& n, std::string_view path, std::int64_t lo, std::int64_t hi) {
  std::string expected = "an integer ";
  expected.append(std::to_string(lo)).append("..").append(std::to_string(hi));
  if (!n.is_integer()) fail_type(n, path, expected);
  const std::int64_t v = n.as_integer()->get();
  if (v < lo || v > hi) fail_expected(n, path, expected, std::to_string(v));
  return v;
}

template <typename T>
inline void read_int(const toml::table& t, std::string_view key, std::string_view path, std::int64_t lo, std::int64_t hi,
              T& out) {
  if (const toml::node* n = find(t, key)) out = static_cast<T>(int_value(*n, child(path, key), lo, hi));
}

inline void read_bool(const toml::table& t, std::string_view key, std::string_view path, bool& out) {
  const toml::node* n = find(t, key);
  if (!n) return;
  if (!n->is_boolean()) fail_type(*n, child(path, key), "a boolean (true or false)");
  out = n->as_boolean()->get();
}

inline const std::string* string_value(const toml::node& n, std::string_view path, std::string_view expected = "a string") {
  if (!n.is_string()) fail_type(n, path, expected);
  return &n.as_string()->get();
}

inline bool read_string(const toml::table& t, std::string_view key, std::string_view path, std::string& out) {
  const toml::node* n = find(t, key);
  if (!n) return false;
  out = *string_value(*n, child(path, key));
  return true;
}

inline IpAddress ip_value(const toml::node& n, std::string_view path) {
  constexpr std::string_view kExpected = "an IP address literal (e.g. \"198.18.0.1\" or \"2001:db8::1\")";
  const std::string& s = *string_value(n, path, kExpected);
  auto ip = IpAddress::parse(s);
  if (!ip) fail_expected(n, path, kExpected, quote(s));
  return *ip;
}

inline bool read_ip(const toml::table& t, std::string_view key, std::string_view path, IpAddress& out) {
  const toml::node* n = find(t, key);
  if (!n) return false;
  out = ip_value(*n, child(path, key));
  return true;
}

// A key that must be present: the error points at the table (its header, or first key).
inline const toml::node& require(const toml::table& t, std::string_view key, std::string_view path,
                          std::string_view where) {
  const toml::node* n = find(t, key);
  if (n) return *n;
  std::string msg = "missing key '";
  msg.append(key).append("' in ").append(where);
  if (!path.empty()) msg.append(" (").append(path).append(")");
  fail(t.source(), std::move(msg));
}

inline bool is_token_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

// Names end up in URI parameters (the Record-Route pin) and in metrics labels.
inline std::string name_value(const toml::node& n, std::string_view path) {
  constexpr std::string_view kExpected = "a name of 1..64 characters from [A-Za-z0-9._-]";
  const std::string& s = *string_value(n, path, kExpected);
  if (s.empty() || s.size() > 64 || !std::all_of(s.begin(), s.end(), is_token_char))
    fail_expected(n, path, kExpected, quote(s));
  return s;
}

// Printable ASCII without CR/LF: goes verbatim into a status line.
inline bool is_reason_phrase(std::string_view s) noexcept {
  return !s.empty() && s.size() <= 128 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); });
}

struct Seen {
  std::string_view what;
  std::map<std::string, std::uint32_t> lines;
  // Registers `name` (read from node `n`); a second occurrence is an error naming the first.
  void add(const std::string& name, const toml::node& n, std::string_view path) {
    auto [it, inserted] = lines.emplace(name, static_cast<std::uint32_t>(n.source().begin.line));
    if (inserted) return;
    std::string msg(path);
    msg.append(": duplicate ").append(what).append(" name '").append(name).append("' (first defined on line ");
    msg.append(std::to_string(it->second)).append(")");
    fail(n.source(), std::move(msg));
  }
};

}  // namespace sipshunt::config::detail
