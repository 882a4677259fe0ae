// hot path (lookup); everything else runs on the control lcore.
// The neighbour table of both families: (network, IP) -> MAC, where a network is one link (a port,
// or one VLAN on it: the same address on two VLANs is two neighbours), resolved by ARP (IPv4) or
// neighbour discovery (IPv6, RFC 4861). One writer (the control lcore, fed by the workers through
// a ring) and any number of lock-free readers (the workers). Entries age: a reachable entry is
// re-probed by unicast after `reachable_ns`, and removed when `max_probes` go unanswered; an
// unresolved one is retried `max_probes` times, then held as failed for `failed_hold_ns` so a dead
// next hop is not flooded with broadcasts or multicast solicitations.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "sipshunt/common/address.hpp"
#include "sipshunt/net/headers.hpp"

namespace sipshunt::net {

struct NeighbourTiming {
  std::uint64_t reachable_ns = 30'000'000'000;  // confirmed this long ago: start refreshing
  std::uint64_t retransmit_ns = 1'000'000'000;  // between two requests for the same address
  std::uint32_t max_probes = 3;
  std::uint64_t failed_hold_ns = 5'000'000'000;  // unresolved: ignore new demands this long
};

enum class NeighbourState : std::uint8_t { kIncomplete, kReachable, kStale, kFailed, kStatic };

// A request the control lcore must send: an ARP request (IPv4) or a neighbour solicitation (IPv6).
struct NeighbourProbe {
  std::uint16_t network = 0;
  IpAddress ip;
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
  // The MAC to send to `ip` on `network`; false when unknown or unresolved. A slot's tag is read
  // before and after its address and MAC (a sequence lock): the writer changes the tag whenever it
  // recycles the slot, so a reader never pairs one address with another's MAC.
  [[nodiscard]] bool lookup(std::uint16_t network, const IpAddress& ip, MacAddress& mac) const noexcept {
    const Key want = key_of(network, ip);
    std::size_t i = hash(want);
    for (std::size_t n = 0; n < kMaxProbe; ++n, i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      const std::uint64_t t = s.tag.load(std::memory_order_acquire);
      if (t == kEmpty) return false;
      if ((t & kLinkMask) != want.link) continue;
      const std::uint64_t a0 = s.a0.load(std::memory_order_relaxed);
      const std::uint64_t a1 = s.a1.load(std::memory_order_relaxed);
      const std::uint64_t m = s.mac.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.tag.load(std::memory_order_relaxed) != t) return false;  // recycled meanwhile: a miss
      if (a0 != want.a0 || a1 != want.a1) continue;
      if ((m & kValid) == 0) return false;
      mac = MacAddress::from_u64(m & kMacMask);
      return true;
    }
    return false;
  }
  // Bumped whenever an entry's MAC changes or an entry goes away (never by a refresh that keeps
  // the MAC): a reader that remembers a lookup (NeighbourCache) may reuse it while this is unchanged.
  // Read with acquire, before the lookup it guards.
  [[nodiscard]] std::uint64_t changes() const noexcept { return changes_.load(std::memory_order_acquire); }

  // ---- the single writer (control lcore)
  // ARP or ND showed `ip` at `mac` on `network` (a request or solicitation for us, or an answer to
  // ours): insert or refresh the entry; static entries never change. False when the table has no room.
  bool confirm(std::uint16_t network, const IpAddress& ip, const MacAddress& mac, std::uint64_t now_ns);
  // A worker holds a packet for (network, ip). True when a request must go out now (a new
  // incomplete entry); false when the entry exists or is failed (ageing handles retries).
  bool demand(std::uint16_t network, const IpAddress& ip, std::uint64_t now_ns);
  bool add_static(std::uint16_t network, const IpAddress& ip, const MacAddress& mac);
  // Moves every entry through its states; appends the requests to send now to `out`.
  void age(std::uint64_t now_ns, std::vector<NeighbourProbe>& out);

  struct EntryInfo {
    std::uint16_t network = 0;
    IpAddress ip;
    MacAddress mac;
    NeighbourState state = NeighbourState::kIncomplete;
    std::uint64_t confirmed_ns = 0;
  };
  [[nodiscard]] std::vector<EntryInfo> entries() const;  // for status output and tests
  [[nodiscard]] std::uint64_t full_count() const noexcept { return full_; }
  [[nodiscard]] const NeighbourTiming& timing() const noexcept { return timing_; }

 private:
  // tag: 0 empty, 1 tombstone (or being rewritten), else generation << 24 | family << 16 | network.
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr std::uint64_t kTombstone = 1;
  static constexpr std::uint64_t kLinkMask = (std::uint64_t{1} << 24) - 1;
  static constexpr std::uint64_t kValid = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kMacMask = (std::uint64_t{1} << 48) - 1;

  struct Key {
    std::uint64_t link = 0;  // family << 16 | network
    std::uint64_t a0 = 0;    // the 16 address bytes (IPv4: the first 4, the rest zero)
    std::uint64_t a1 = 0;
  };
  struct alignas(32) Slot {
    std::atomic<std::uint64_t> tag{kEmpty};
    std::atomic<std::uint64_t> a0{0};
    std::atomic<std::uint64_t> a1{0};
    std::atomic<std::uint64_t> mac{0};
  };
  struct Meta {  // writer-only
    NeighbourState state = NeighbourState::kIncomplete;
    std::uint32_t probes = 0;
    std::uint64_t confirmed_ns = 0;
    std::uint64_t next_ns = 0;
  };

  [[nodiscard]] static Key key_of(std::uint16_t network, const IpAddress& ip) noexcept {
    Key k;
    k.link = (std::uint64_t{static_cast<std::uint8_t>(ip.family)} << 16) | network;
    std::memcpy(&k.a0, ip.bytes.data(), 8);
    std::memcpy(&k.a1, ip.bytes.data() + 8, 8);
    return k;
  }
  [[nodiscard]] std::size_t hash(const Key& k) const noexcept {
    const std::uint64_t x = (k.a0 * 0x9E3779B97F4A7C15ull) ^ (k.a1 * 0xC2B2AE3D27D4EB4Full) ^ (k.link << 40);
    return static_cast<std::size_t>((x * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
  }
  [[nodiscard]] static IpAddress address_of(std::uint64_t tag, std::uint64_t a0, std::uint64_t a1) noexcept;
  [[nodiscard]] std::ptrdiff_t find(const Key& key) const noexcept;
  [[nodiscard]] std::ptrdiff_t insert(const Key& key);
  [[nodiscard]] bool slot_is(std::size_t i, const Key& key) const noexcept;
  void set_mac(std::size_t i, const MacAddress* mac) noexcept;
  void erase(std::size_t i) noexcept;
  void changed() noexcept { changes_.store(changes_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  std::size_t mask_ = 0;
  unsigned shift_ = 0;
  NeighbourTiming timing_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<Meta[]> meta_;
  std::uint64_t generation_ = 0;
  std::uint64_t full_ = 0;
  // Every worker reads it per datagram: a line of its own, so the writer's other fields (written on
  // every insert) never take it from the workers' caches. Last member: the class's size rounds up
  // to its 64-octet alignment, so nothing else shares that line.
  alignas(64) std::atomic<std::uint64_t> changes_{0};
};

}  // namespace sipshunt::net
