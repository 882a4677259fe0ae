// Control plane. The control lcore's half of HEP mirroring: drains every worker's Tap, encodes
// each record as HEP3 (hep.hpp) and sends it over an ordinary kernel UDP socket to the collector.
// The collector is reached through the host's own network stack (the management network), never
// through the DPDK ports. A send that fails (collector unreachable, socket buffer full) is counted
// and the record dropped: mirroring never holds back the data plane.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/result.hpp"
#include "sipshunt/mirror/tap.hpp"

namespace sipshunt::mirror {

struct HepOptions {
  Endpoint collector;
  double sample = 1.0;             // share of calls mirrored
  std::uint32_t agent_id = 0;      // HEP capture agent id
  std::string auth_key;            // HEP chunk 0x000e when not empty
  std::size_t queue = 1024;        // records per worker Tap
  friend bool operator==(const HepOptions&, const HepOptions&) = default;
};

struct SenderCounters {
  std::uint64_t mirrored = 0;     // HEP packets handed to the kernel
  std::uint64_t send_errors = 0;  // sends the kernel refused
  std::uint64_t unencodable = 0;  // records HEP cannot carry (no address family)
};

class HepSender {
 public:
  // A UDP socket of the collector's family, connected to it, non-blocking.
  [[nodiscard]] static Result<std::unique_ptr<HepSender>> open(const HepOptions& options);
  ~HepSender();
  HepSender(const HepSender&) = delete;
  HepSender& operator=(const HepSender&) = delete;

  // Sends everything queued in `taps` now (at most each ring's capacity per Tap, so a busy worker
  // cannot keep the control loop here). `unix_minus_mono_ns` turns a record's worker clock into
  // Unix time. Returns the number of records taken.
  std::size_t drain(std::span<Tap* const> taps, std::int64_t unix_minus_mono_ns);

  [[nodiscard]] const SenderCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const HepOptions& options() const noexcept { return options_; }

 private:
  explicit HepSender(HepOptions options) : options_(std::move(options)) {}
  void flush(std::size_t count);

  HepOptions options_;
  int fd_ = -1;
  SenderCounters counters_;
  std::vector<std::string> batch_;  // encoded packets of one sendmmsg
};

}  // namespace sipshunt::mirror
