#include "sipshunt/control/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "text.hpp"

namespace sipshunt::control {
namespace {

bool alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Copies `s` escaping backslash and newline (and the double quote when `quote`), replacing
// invalid UTF-8 with U+FFFD so the exposition stays valid UTF-8.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      const std::size_t n = detail::utf8_length(s, i);
      if (n == 0) {
        out += "\xef\xbf\xbd";
        ++i;
        continue;
      }
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
}

}  // namespace

namespace detail {

// Length of the valid UTF-8 sequence at s[i], 0 when invalid (overlong, surrogate, > U+10FFFF).
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
    cp = b0 & 0x1fu;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    cp = b0 & 0x0fu;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3fu);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

}  // namespace detail

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(alpha(name[0]) || name[0] == ':')) return false;
  for (char c : name)
    if (!(alpha(c) || digit(c) || c == ':')) return false;
  return true;
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !alpha(name[0]) || name.substr(0, 2) == "__") return false;
  for (char c : name)
    if (!(alpha(c) || digit(c))) return false;
  return true;
}

void append_label_value(std::string& out, std::string_view value) { append_escaped(out, value, true); }
void append_help(std::string& out, std::string_view help) { append_escaped(out, help, false); }

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
  if (!valid_metric_name(name)) throw std::invalid_argument(std::string("bad metric name: ").append(name));
  if (type == MetricType::kCounter && (name.size() < 6 || name.substr(name.size() - 6) != "_total"))
    throw std::invalid_argument(std::string("counter name must end in _total: ").append(name));
  if (!families_.emplace(name).second)
    throw std::invalid_argument(std::string("metric family written twice: ").append(name));
  current_ = name;
  out_.append("# HELP ").append(name).append(" ");
  append_help(out_, help);
  out_.append("\n# TYPE ").append(name).append(type == MetricType::kCounter ? " counter\n" : " gauge\n");
}

void Exposition::labels(std::initializer_list<Label> labels) {
  if (current_.empty()) throw std::logic_error("sample before family");
  out_.append(current_);
  if (labels.size() == 0) return;
  out_ += '{';
  bool first = true;
  for (const auto& l : labels) {
    if (!valid_label_name(l.name)) throw std::invalid_argument(std::string("bad label name: ").append(l.name));
    if (!first) out_ += ',';
    first = false;
    out_.append(l.name).append("=\"");
    append_label_value(out_, l.value);
    out_ += '"';
  }
  out_ += '}';
}

void Exposition::sample(std::initializer_list<Label> l, std::uint64_t value) {
  labels(l);
  out_ += ' ';
  out_.append(std::to_string(value));
  out_ += '\n';
}

void Exposition::sample(std::initializer_list<Label> l, double value) {
  labels(l);
  out_ += ' ';
  append_double(out_, value);
  out_ += '\n';
}

}  // namespace sipshunt::control
