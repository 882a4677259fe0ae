// Shared by the proxy tests: a snapshot + worker around process(), exact-size input buffers (so
// AddressSanitizer sees any read past the datagram), and the "undo our edits" normaliser behind
// the byte-preservation checks.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/config/config.hpp"
#include "sipshunt/health/probe.hpp"  // the prefix the control plane passes to snapshots
#include "sipshunt/proxy/proxy.hpp"
#include "sipshunt/sip/message.hpp"

namespace sipshunt::proxy::test {

// "\n" line ends to the wire's "\r\n" (bodies in tests are written with \r\n already when needed).
inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

inline Endpoint ep(std::string_view text) {
  auto e = Endpoint::parse(text);
  EXPECT_TRUE(e.has_value()) << text;
  return e.value_or(Endpoint{});
}

struct Step {
  Outcome r;
  std::string out;
};

inline std::shared_ptr<const config::Config> load_config(std::string_view text) {
  auto loaded = config::load_string(text, "/tmp/sipshunt-proxy-test.toml");
  EXPECT_TRUE(loaded) << (loaded ? std::string() : loaded.error().to_string());
  return std::make_shared<const config::Config>((loaded ? *loaded : config::Config{}));
}

class Harness {
 public:
  explicit Harness(std::shared_ptr<const config::Config> cfg, std::vector<BackendState> states = {},
                   std::shared_ptr<const rules::RuleSet> rule_set = nullptr)
      : snapshot_(build_snapshot(std::move(cfg), std::move(rule_set), states, 1, health::kProbeCallIdPrefix)),
        worker_(std::make_unique<ThreadState>()) {
    EXPECT_TRUE(prepare(*worker_, *snapshot_));
  }

  // The datagram is copied into a buffer of exactly its size. `network`: the arrival network
  // (index into Snapshot::networks).
  Step run(std::string_view datagram, const Endpoint& source, std::uint64_t now_ns = 0, std::uint16_t network = 0) {
    std::unique_ptr<char[]> in(new char[datagram.empty() ? 1 : datagram.size()]);
    if (!datagram.empty()) std::memcpy(in.get(), datagram.data(), datagram.size());
    std::vector<char> out(datagram.size() + kMaxGrowth);
    Step o;
    o.r = process(*snapshot_, *worker_, in.get(), datagram.size(), source, network, out.data(), out.size(), now_ns);
    if (o.r.verdict == Verdict::kForward || o.r.verdict == Verdict::kReply) o.out.assign(out.data(), o.r.length);
    return o;
  }

  [[nodiscard]] const Snapshot& snapshot() const { return *snapshot_; }
  [[nodiscard]] ThreadState& worker() { return *worker_; }
  [[nodiscard]] std::string backend_name(const Outcome& r) const {
    return r.backend >= 0 ? snapshot_->backends[static_cast<std::size_t>(r.backend)].name : std::string("<none>");
  }
  [[nodiscard]] std::int32_t backend_index(std::string_view name) const {
    for (std::size_t i = 0; i < snapshot_->backends.size(); ++i)
      if (snapshot_->backends[i].name == name) return static_cast<std::int32_t>(i);
    return -1;
  }

 private:
  std::shared_ptr<const Snapshot> snapshot_;
  std::unique_ptr<ThreadState> worker_;
};

// Parses `text` (kept alive by the caller) into a heap Message.
inline std::unique_ptr<sip::Message> parse(const std::string& text, sip::Status* status = nullptr) {
  auto m = std::make_unique<sip::Message>();
  const sip::Status s = sip::parse(text.data(), text.size(), *m);
  if (status != nullptr) *status = s;
  return m;
}

// The top Via branch of a message, "" when it does not parse.
inline std::string top_branch(const std::string& text) {
  sip::Status s;
  auto m = parse(text, &s);
  if (s != sip::Status::kOk || m->decoded_vias == 0) return "";
  return std::string(m->vias[0].branch);
}

// Every Via value of a parsed message (parse() decodes only the top ones), empty when one does
// not decode.
inline std::vector<sip::Via> all_vias(const sip::Message& m) {
  std::vector<sip::Via> v(sip::kMaxVias);
  std::uint8_t n = 0;
  if (sip::decode_vias(m, v.data(), v.size(), n) != sip::Status::kOk) return {};
  v.resize(n);
  return v;
}

// Undoes what the proxy may change in a forwarded message so the rest can be compared byte for
// byte: our Via and Record-Route lines and an inserted Max-Forwards line are removed, the
// Max-Forwards value, `received` and `rport` values are blanked out.
inline std::string normalise(std::string text, const Snapshot& s, bool remove_inserted_max_forwards) {
  auto erase_line = [&](std::string_view line_start, bool whole_line_equal) {
    for (std::size_t at = 0; (at = text.find(line_start, at)) != std::string::npos;) {
      if (at != 0 && text[at - 1] != '\n') {
        ++at;
        continue;
      }
      const std::size_t eol = text.find("\r\n", at);
      if (eol == std::string::npos) return;
      if (whole_line_equal && eol + 2 - at != line_start.size()) {
        ++at;
        continue;
      }
      text.erase(at, eol + 2 - at);
      return;
    }
  };
  for (const NetworkView& n : s.networks) erase_line(n.via_prefix, false);
  for (const NetworkView& n : s.networks)
    for (const BackendView& b : s.backends) erase_line(n.record_route_prefix + b.pin + ">\r\n", true);
  if (remove_inserted_max_forwards) erase_line("Max-Forwards: 70\r\n", true);
  static const std::regex kMaxForwards(R"((\n[Mm][Aa][Xx]-[Ff][Oo][Rr][Ww][Aa][Rr][Dd][Ss][ \t]*:[ \t]*)[0-9]+)");
  static const std::regex kReceived(R"(;received=\[?[0-9a-fA-F.:]+\]?)");
  static const std::regex kRport(R"(rport=[0-9]+)");
  text = std::regex_replace(text, kMaxForwards, "$1N");
  text = std::regex_replace(text, kReceived, "");
  text = std::regex_replace(text, kRport, "rport");
  return text;
}

// A conformance corpus (../shared/conformance/<rfc>/, read in place): the rows of its
// EXPECTED.tsv (file, section, disposition) and its files as bytes.
struct ExpectedRow {
  std::string file, section, disposition;
};
inline std::vector<ExpectedRow> read_expected(const std::string& corpus) {
  std::ifstream in(corpus + "/EXPECTED.tsv");
  EXPECT_TRUE(in.good()) << "cannot read " << corpus << "/EXPECTED.tsv (set -Dconformance_dir=...)";
  std::vector<ExpectedRow> out;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    ExpectedRow r;
    std::getline(fields, r.file, '\t');
    std::getline(fields, r.section, '\t');
    std::getline(fields, r.disposition, '\t');
    out.push_back(r);
  }
  return out;
}
inline std::string read_corpus_file(const std::string& corpus, const std::string& name) {
  std::ifstream in(corpus + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The input as the proxy frames it: up to the end of the Content-Length body.
inline std::string framed(const std::string& text) {
  sip::Status s;
  auto m = parse(text, &s);
  if (s != sip::Status::kOk || m->body.data() == nullptr) return text;
  return text.substr(0, static_cast<std::size_t>(m->body.data() - text.data()) + m->body.size());
}

}  // namespace sipshunt::proxy::test
