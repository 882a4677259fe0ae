// Control plane. A small writer for the Prometheus text exposition format (version 0.0.4):
// one HELP and one TYPE line per metric family, then its samples, label values escaped.
// Names are checked (a bad one is a programming error: std::invalid_argument).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sipshunt::control {

enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };

struct Label {
  std::string_view name;
  std::string_view value;  // any bytes: escaped, invalid UTF-8 replaced by U+FFFD
};

// A histogram's state: counts per bucket (not cumulative; one more than bounds: the +Inf
// bucket's own share) and the sum of the observed values.
struct HistogramValue {
  std::vector<double> bounds;          // upper bounds, ascending (seconds for *_seconds)
  std::vector<std::uint64_t> counts;   // bounds.size() + 1
  double sum = 0;
};

class Exposition {
 public:
  // Starts a family. Counter names end in `_total` (checked), histogram names do not end in
  // `_total`, `_bucket`, `_sum` or `_count`. Each name at most once.
  void family(std::string_view name, MetricType type, std::string_view help);
  // A sample of the current family, under the family's name.
  void sample(std::initializer_list<Label> labels, std::uint64_t value);
  void sample(std::initializer_list<Label> labels, double value);
  void sample(std::uint64_t value) { sample({}, value); }
  void sample(double value) { sample({}, value); }
  // A histogram family's series: NAME_bucket{labels,le=...} (cumulative, ending with +Inf),
  // NAME_sum and NAME_count.
  void histogram(std::initializer_list<Label> labels, const HistogramValue& h);

  [[nodiscard]] const std::string& text() const noexcept { return out_; }
  [[nodiscard]] std::string take() noexcept { return std::move(out_); }

  // Content-Type of this format.
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void series(std::string_view suffix, std::span<const Label> labels, const Label* extra);
  std::string out_;
  std::string current_;
  bool histogram_ = false;  // the current family is a histogram
  std::set<std::string, std::less<>> families_;
};

[[nodiscard]] bool valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool valid_label_name(std::string_view name) noexcept;
// Label value escaping (\\, \", \n) with invalid UTF-8 replaced: what goes between the quotes.
void append_label_value(std::string& out, std::string_view value);
// HELP text escaping (\\, \n).
void append_help(std::string& out, std::string_view help);
// Shortest text that reads back as the same double; NaN, +Inf, -Inf as Prometheus spells them.
void append_double(std::string& out, double v);

}  // namespace sipshunt::control
