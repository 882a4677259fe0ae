// hot path (lookup); everything else runs on the control lcore.
// The ARP neighbour table: IPv4 next hop -> MAC per port. One writer (the control lcore, fed by
// the workers through a ring) and any number of lock-free readers (the workers). Entries age:
// a reachable entry is re-probed with unicast requests after `reachable_ns`, and removed when
// `max_probes` go unanswered; an unresolved one is retried `max_probes` times, then held as
// failed for `failed_hold_ns` so a dead next hop is not flooded with broadcasts.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "sipshunt/net/headers.hpp"

namespace sipshunt::net {

struct NeighbourTiming {
  std::uint64_t reachable_ns = 30'000'000'000;  // confirmed this long ago: start refreshing
  std::uint64_t retransmit_ns = 1'000'000'000;  // between two requests for the same address
  std::uint32_t max_probes = 3;
  std::uint64_t failed_hold_ns = 5'000'000'000;  // unresolved: ignore new demands this long
};

enum class NeighbourState : std::uint8_t { kIncomplete, kReachable, kStale, kFailed, kStatic };

// An ARP request the control lcore must send.
struct ArpRequestOut {
  std::uint16_t port = 0;
  std::uint32_t ip = 0;                 // host order
  std::optional<MacAddress> unicast;    // refresh of a known entry: sent to its MAC
};

class NeighbourTable {
 public:
  // Lookups probe at most this many slots: the bound keeps a miss cheap however full the table.
  static constexpr std::size_t kMaxProbe = 16;

  // `capacity` is rounded up to a power of two; keep it at least twice the expected neighbours.
  explicit NeighbourTable(std::size_t capacity = 4096, NeighbourTiming timing = {});
  NeighbourTable(const NeighbourTable&) = delete;
  NeighbourTable& operator=(const NeighbourTable&) = delete;

  // ---- readers: any thread, no lock, no allocation
  // The MAC to send to (port, ip); false when unknown or unresolved.
  [[nodiscard]] bool lookup(std::uint16_t port, std::uint32_t ip, MacAddress& mac) const noexcept {
    const std::uint64_t want = key_of(port, ip);
    std::size_t i = hash(want);
    for (std::size_t n = 0; n < kMaxProbe; ++n, i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      const std::uint64_t k = s.key.load(std::memory_order_acquire);
      if (k == kEmpty) return false;
      if (k != want) continue;
      const std::uint64_t m = s.mac.load(std::memory_order_acquire);
      // The writer may have recycled the slot between the two loads: re-check the key.
      if (s.key.load(std::memory_order_relaxed) != want || (m & kValid) == 0) return false;
      mac = MacAddress::from_u64(m & kMacMask);
      return true;
    }
    return false;
  }

  // ---- the single writer (control lcore)
  // An ARP packet showed `ip` at `mac` on `port` (a request for us or a reply to us): insert or
  // refresh the entry; static entries never change. False when the table has no room.
  bool confirm(std::uint16_t port, std::uint32_t ip, const MacAddress& mac, std::uint64_t now_ns);
  // A worker holds a packet for (port, ip). True when a broadcast request must go out now (a new
  // incomplete entry); false when the entry exists or is failed (ageing handles retries).
  bool demand(std::uint16_t port, std::uint32_t ip, std::uint64_t now_ns);
  bool add_static(std::uint16_t port, std::uint32_t ip, const MacAddress& mac);
  // Moves every entry through its states; appends the requests to send now to `out`.
  void age(std::uint64_t now_ns, std::vector<ArpRequestOut>& out);

  struct EntryInfo {
    std::uint16_t port = 0;
    std::uint32_t ip = 0;
    MacAddress mac;
    NeighbourState state = NeighbourState::kIncomplete;
    std::uint64_t confirmed_ns = 0;
  };
  [[nodiscard]] std::vector<EntryInfo> entries() const;  // for status output and tests
  [[nodiscard]] std::uint64_t full_count() const noexcept { return full_; }
  [[nodiscard]] const NeighbourTiming& timing() const noexcept { return timing_; }

 private:
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::uint64_t kTombstone = 1;
  static constexpr std::uint64_t kValid = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kMacMask = (std::uint64_t{1} << 48) - 1;

  struct alignas(16) Slot {
    std::atomic<std::uint64_t> key{kEmpty};
    std::atomic<std::uint64_t> mac{0};
  };
  struct Meta {  // writer-only
    NeighbourState state = NeighbourState::kIncomplete;
    std::uint32_t probes = 0;
    std::uint64_t confirmed_ns = 0;
    std::uint64_t next_ns = 0;
  };

  [[nodiscard]] static std::uint64_t key_of(std::uint16_t port, std::uint32_t ip) noexcept {
    return (std::uint64_t{1} << 62) | (std::uint64_t{port} << 32) | ip;
  }
  [[nodiscard]] std::size_t hash(std::uint64_t key) const noexcept {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }
  [[nodiscard]] std::ptrdiff_t find(std::uint64_t key) const noexcept;
  [[nodiscard]] std::ptrdiff_t insert(std::uint64_t key);
  void set_mac(std::size_t i, const MacAddress* mac) noexcept;
  void erase(std::size_t i) noexcept;

  std::size_t mask_ = 0;
  unsigned shift_ = 0;
  NeighbourTiming timing_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<Meta[]> meta_;
  std::uint64_t full_ = 0;
};

}  // namespace sipshunt::net
