// A strict parser for the Prometheus text exposition format 0.0.4, written for the tests: it
// accepts only what the format allows and what a careful exporter writes (one HELP and one TYPE
// per family, before its samples; samples of a family contiguous and named like it; label
// escapes \\ \" \n only; no duplicate series; valid UTF-8; a histogram's NAME_bucket series carry
// `le`, are cumulative and end with +Inf equal to NAME_count). parse() throws on the first fault.
// A histogram's series are found under their own names: f["x_bucket"], f["x_sum"], f["x_count"].
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sipshunt::control::test {

struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct PromFamily {
  std::string type;
  std::string help;
  std::vector<PromSample> samples;
  // The value of the sample with exactly these labels; throws when absent.
  double at(const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples)
      if (s.labels == labels) return s.value;
    throw std::out_of_range("no such series");
  }
  bool has(const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples)
      if (s.labels == labels) return true;
    return false;
  }
};

class PromParser {
 public:
  std::map<std::string, PromFamily> parse(std::string_view text) {
    families_.clear();
    current_.clear();
    closed_.clear();
    check_utf8(text);
    if (!text.empty() && text.back() != '\n') fail(0, "last line does not end with a newline");
    std::size_t lineno = 0;
    while (!text.empty()) {
      ++lineno;
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl + 1);
      line_ = lineno;
      if (line.empty()) continue;
      if (line[0] == '#') {
        comment(line);
      } else {
        sample(line);
      }
    }
    for (const auto& [name, f] : families_)
      if (f.type.empty()) fail(0, "family " + name + " has no TYPE");
    for (const auto& [name, f] : families_)
      if (f.type == "histogram") check_histogram(name);
    return families_;
  }

 private:
  [[noreturn]] void fail(std::size_t, const std::string& what) const {
    throw std::runtime_error("line " + std::to_string(line_) + ": " + what);
  }

  // Per label set: le ascending and parseable, counts non-decreasing, the last le +Inf and equal
  // to NAME_count, a NAME_sum beside it.
  void check_histogram(const std::string& name) {
    const auto& buckets = families_[name + "_bucket"].samples;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> by_set;
    for (const auto& b : buckets) {
      auto labels = b.labels;
      const std::string le = labels.at("le");
      labels.erase("le");
      by_set[labels].emplace_back(le == "+Inf" ? HUGE_VAL : std::strtod(le.c_str(), nullptr), b.value);
    }
    for (const auto& [labels, series] : by_set) {
      for (std::size_t i = 1; i < series.size(); ++i)
        if (!(series[i].first > series[i - 1].first) || series[i].second < series[i - 1].second)
          fail(0, "histogram " + name + ": buckets not ascending or not cumulative");
      if (series.empty() || series.back().first != HUGE_VAL) fail(0, "histogram " + name + ": no +Inf bucket");
      if (!families_[name + "_count"].has(labels) || families_[name + "_count"].at(labels) != series.back().second)
        fail(0, "histogram " + name + ": _count differs from the +Inf bucket");
      if (!families_[name + "_sum"].has(labels)) fail(0, "histogram " + name + ": no _sum");
    }
  }

  static bool name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'; }
  static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

  std::string metric_name(std::string_view& s) const {
    std::size_t i = 0;
    if (s.empty() || !name_start(s[0])) fail(0, "bad metric name");
    while (i < s.size() && name_char(s[i])) ++i;
    std::string n(s.substr(0, i));
    s.remove_prefix(i);
    return n;
  }

  void check_utf8(std::string_view s) const {
    for (std::size_t i = 0; i < s.size();) {
      const auto b = static_cast<unsigned char>(s[i]);
      std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
      if (n == 0 || i + n > s.size()) throw std::runtime_error("invalid UTF-8");
      for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) throw std::runtime_error("invalid UTF-8");
      i += n;
    }
  }

  PromFamily& open(const std::string& name) {
    if (name != current_) {
      if (closed_.count(name)) fail(0, "family " + name + " appears again after another family");
      if (!current_.empty()) closed_.insert(current_);
      current_ = name;
    }
    return families_[name];
  }

  void comment(std::string_view line) {
    if (line.substr(0, 7) == "# HELP ") {
      line.remove_prefix(7);
      const std::string name = metric_name(line);
      if (line.empty() || line[0] != ' ') fail(0, "HELP without text separator");
      line.remove_prefix(1);
      std::string help;
      for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] != '\\') {
          help += line[i];
          continue;
        }
        if (++i >= line.size()) fail(0, "dangling backslash in HELP");
        if (line[i] == '\\') help += '\\';
        else if (line[i] == 'n') help += '\n';
        else fail(0, "bad escape in HELP");
      }
      auto& f = open(name);
      if (!f.help.empty() || !f.samples.empty()) fail(0, "HELP repeated or after samples for " + name);
      if (help.empty()) fail(0, "empty HELP for " + name);
      f.help = help;
    } else if (line.substr(0, 7) == "# TYPE ") {
      line.remove_prefix(7);
      const std::string name = metric_name(line);
      if (line.empty() || line[0] != ' ') fail(0, "TYPE without type");
      line.remove_prefix(1);
      const std::string type(line);
      if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
        fail(0, "unknown type " + type);
      auto& f = open(name);
      if (!f.type.empty() || !f.samples.empty()) fail(0, "TYPE repeated or after samples for " + name);
      f.type = type;
    }
    // other comments are allowed and ignored
  }

  void sample(std::string_view line) {
    const std::string name = metric_name(line);
    PromSample s;
    if (!line.empty() && line[0] == '{') {
      line.remove_prefix(1);
      bool first = true;
      while (true) {
        if (line.empty()) fail(0, "unterminated label set");
        if (line[0] == '}') {
          line.remove_prefix(1);
          break;
        }
        if (!first) {
          if (line[0] != ',') fail(0, "expected ',' between labels");
          line.remove_prefix(1);
        }
        first = false;
        std::size_t i = 0;
        if (line.empty() || !(name_start(line[0]) && line[0] != ':')) fail(0, "bad label name");
        while (i < line.size() && name_char(line[i]) && line[i] != ':') ++i;
        const std::string lname(line.substr(0, i));
        if (lname.substr(0, 2) == "__") fail(0, "reserved label name");
        line.remove_prefix(i);
        if (line.size() < 2 || line[0] != '=' || line[1] != '"') fail(0, "expected =\" after label name");
        line.remove_prefix(2);
        std::string value;
        for (;;) {
          if (line.empty()) fail(0, "unterminated label value");
          const char c = line[0];
          line.remove_prefix(1);
          if (c == '"') break;
          if (c == '\n') fail(0, "raw newline in label value");
          if (c != '\\') {
            value += c;
            continue;
          }
          if (line.empty()) fail(0, "dangling backslash");
          const char e = line[0];
          line.remove_prefix(1);
          if (e == '\\') value += '\\';
          else if (e == '"') value += '"';
          else if (e == 'n') value += '\n';
          else fail(0, "bad escape in label value");
        }
        if (!s.labels.emplace(lname, value).second) fail(0, "label " + lname + " repeated");
      }
    }
    if (line.empty() || line[0] != ' ') fail(0, "expected a space before the value");
    line.remove_prefix(1);
    const auto sp = line.find(' ');
    const std::string value(line.substr(0, sp));
    if (sp != std::string_view::npos) {  // optional timestamp: an integer
      const std::string ts(line.substr(sp + 1));
      if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string::npos) fail(0, "bad timestamp");
    }
    if (value == "NaN") {
      s.value = std::nan("");
    } else if (value == "+Inf" || value == "Inf") {
      s.value = HUGE_VAL;
    } else if (value == "-Inf") {
      s.value = -HUGE_VAL;
    } else {
      if (value.empty() || value.find_first_not_of("+-0123456789.eE") != std::string::npos) fail(0, "bad value " + value);
      char* end = nullptr;
      s.value = std::strtod(value.c_str(), &end);
      if (end != value.c_str() + value.size()) fail(0, "bad value " + value);
    }
    std::string family = name;
    if (name != current_ && families_.count(current_) != 0 && families_[current_].type == "histogram")
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        if (name == current_ + suffix) family = current_;
    if (current_ != family) fail(0, "sample " + name + " outside its family (current: " + current_ + ")");
    const auto& owner = families_[family];
    if (owner.type.empty()) fail(0, "sample before TYPE for " + name);
    if (owner.type == "counter" && !(s.value >= 0)) fail(0, "negative or NaN counter " + name);
    if (owner.type == "histogram") {
      if (family == name) fail(0, "histogram sample without _bucket/_sum/_count: " + name);
      if (name.ends_with("_bucket") != (s.labels.count("le") != 0)) fail(0, "le label on a non-bucket or missing: " + name);
      if (!name.ends_with("_sum") && !(s.value >= 0)) fail(0, "negative or NaN histogram count " + name);
    }
    auto& f = families_[name];
    if (family != name) f.type = "histogram" + name.substr(family.size());  // histogram_bucket, ...
    for (const auto& other : f.samples)
      if (other.labels == s.labels) fail(0, "duplicate series in " + name);
    f.samples.push_back(std::move(s));
  }

  std::map<std::string, PromFamily> families_;
  std::string current_;
  std::set<std::string> closed_;
  std::size_t line_ = 0;
};

}  // namespace sipshunt::control::test
