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
  if (type == MetricType::kCounter && !name.ends_with("_total"))
    throw std::invalid_argument(std::string("counter name must end in _total: ").append(name));
  if (type == MetricType::kHistogram && (name.ends_with("_total") || name.ends_with("_bucket") ||
                                         name.ends_with("_sum") || name.ends_with("_count")))
    throw std::invalid_argument(std::string("histogram name must not end in a reserved suffix: ").append(name));
  if (!families_.emplace(name).second)
    throw std::invalid_argument(std::string("metric family written twice: ").append(name));
  current_ = name;
  out_.append("# HELP ").append(name).append(" ");
  append_help(out_, help);
  out_.append("\n# TYPE ").append(name).append(type == MetricType::kCounter     ? " counter\n"
                                                : type == MetricType::kHistogram ? " histogram\n"
                                                                                 : " gauge\n");
  histogram_ = type == MetricType::kHistogram;
}

void Exposition::series(std::string_view suffix, std::span<const Label> labels, const Label* extra) {
  if (current_.empty()) throw std::logic_error("sample before family");
  out_.append(current_).append(suffix);
  if (labels.empty() && extra == nullptr) return;
  out_ += '{';
  bool first = true;
  auto put = [&](const Label& l) {
    if (!valid_label_name(l.name)) throw std::invalid_argument(std::string("bad label name: ").append(l.name));
    if (!first) out_ += ',';
    first = false;
    out_.append(l.name).append("=\"");
    append_label_value(out_, l.value);
    out_ += '"';
  };
  for (const auto& l : labels) put(l);
  if (extra != nullptr) put(*extra);
  out_ += '}';
}

void Exposition::sample(std::initializer_list<Label> l, std::uint64_t value) {
  if (histogram_) throw std::logic_error("a histogram's samples are written by histogram()");
  series("", {l.begin(), l.size()}, nullptr);
  out_ += ' ';
  out_.append(std::to_string(value));
  out_ += '\n';
}

void Exposition::sample(std::initializer_list<Label> l, double value) {
  if (histogram_) throw std::logic_error("a histogram's samples are written by histogram()");
  series("", {l.begin(), l.size()}, nullptr);
  out_ += ' ';
  append_double(out_, value);
  out_ += '\n';
}

void Exposition::histogram(std::initializer_list<Label> l, const HistogramValue& h) {
  if (!histogram_) throw std::logic_error("histogram() outside a histogram family");
  if (h.counts.size() != h.bounds.size() + 1) throw std::invalid_argument("histogram: counts must be bounds + 1");
  const std::span<const Label> labels{l.begin(), l.size()};
  std::uint64_t cumulative = 0;
  std::string le;
  for (std::size_t i = 0; i <= h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    le.clear();
    if (i < h.bounds.size()) {
      // As the Go client writes `le` (strconv 'g', shortest): 0.0005, 2.5, 5e-07, so that the
      // series names match dashboards written against other exporters.
      const double b = h.bounds[i];
      char buf[32];
      const auto r = std::abs(b) >= 1e-4 && std::abs(b) < 1e21
                         ? std::to_chars(buf, buf + sizeof buf, b, std::chars_format::fixed)
                         : std::to_chars(buf, buf + sizeof buf, b);
      le.assign(buf, r.ptr);
    } else {
      le = "+Inf";
    }
    const Label bucket{"le", le};
    series("_bucket", labels, &bucket);
    out_.append(" ").append(std::to_string(cumulative)).append("\n");
  }
  series("_sum", labels, nullptr);
  out_ += ' ';
  append_double(out_, h.sum);
  out_ += '\n';
  series("_count", labels, nullptr);
  out_.append(" ").append(std::to_string(cumulative)).append("\n");
}

}  // namespace sipshunt::control
