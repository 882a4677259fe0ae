#include "sipshunt/net/neighbour.hpp"

#include <bit>

namespace sipshunt::net {

NeighbourTable::NeighbourTable(std::size_t capacity, NeighbourTiming timing) : timing_(timing) {
  std::size_t n = 64;
  while (n < capacity) n <<= 1;
  mask_ = n - 1;
  shift_ = 64 - static_cast<unsigned>(std::countr_zero(n));
  slots_ = std::make_unique<Slot[]>(n);
  meta_ = std::make_unique<Meta[]>(n);
}

std::ptrdiff_t NeighbourTable::find(std::uint64_t key) const noexcept {
  std::size_t i = hash(key);
  for (std::size_t n = 0; n < kMaxProbe; ++n, i = (i + 1) & mask_) {
    const std::uint64_t k = slots_[i].key.load(std::memory_order_relaxed);
    if (k == kEmpty) return -1;
    if (k == key) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

std::ptrdiff_t NeighbourTable::insert(std::uint64_t key) {
  std::size_t i = hash(key);
  std::ptrdiff_t free_slot = -1;
  for (std::size_t n = 0; n < kMaxProbe; ++n, i = (i + 1) & mask_) {
    const std::uint64_t k = slots_[i].key.load(std::memory_order_relaxed);
    if (k == key) return static_cast<std::ptrdiff_t>(i);
    if (k == kTombstone && free_slot < 0) free_slot = static_cast<std::ptrdiff_t>(i);
    if (k == kEmpty) {
      if (free_slot < 0) free_slot = static_cast<std::ptrdiff_t>(i);
      break;
    }
  }
  if (free_slot < 0) {
    ++full_;
    return -1;
  }
  Slot& s = slots_[static_cast<std::size_t>(free_slot)];
  s.mac.store(0, std::memory_order_release);
  meta_[static_cast<std::size_t>(free_slot)] = Meta{};
  s.key.store(key, std::memory_order_release);
  return free_slot;
}

void NeighbourTable::set_mac(std::size_t i, const MacAddress* mac) noexcept {
  slots_[i].mac.store(mac != nullptr ? (kValid | mac->to_u64()) : 0, std::memory_order_release);
}

void NeighbourTable::erase(std::size_t i) noexcept {
  slots_[i].key.store(kTombstone, std::memory_order_release);
  slots_[i].mac.store(0, std::memory_order_release);
  meta_[i] = Meta{};
}

bool NeighbourTable::confirm(std::uint16_t port, std::uint32_t ip, const MacAddress& mac, std::uint64_t now_ns) {
  if (mac.is_multicast() || mac.is_zero() || ip == 0) return false;
  const std::ptrdiff_t at = insert(key_of(port, ip));
  if (at < 0) return false;
  const auto i = static_cast<std::size_t>(at);
  Meta& m = meta_[i];
  if (m.state == NeighbourState::kStatic) return true;
  m.state = NeighbourState::kReachable;
  m.probes = 0;
  m.confirmed_ns = now_ns;
  set_mac(i, &mac);
  return true;
}

bool NeighbourTable::demand(std::uint16_t port, std::uint32_t ip, std::uint64_t now_ns) {
  const std::uint64_t key = key_of(port, ip);
  if (find(key) >= 0) return false;
  const std::ptrdiff_t at = insert(key);
  if (at < 0) return false;
  Meta& m = meta_[static_cast<std::size_t>(at)];
  m.state = NeighbourState::kIncomplete;
  m.probes = 1;
  m.next_ns = now_ns + timing_.retransmit_ns;
  return true;
}

bool NeighbourTable::add_static(std::uint16_t port, std::uint32_t ip, const MacAddress& mac) {
  const std::ptrdiff_t at = insert(key_of(port, ip));
  if (at < 0) return false;
  const auto i = static_cast<std::size_t>(at);
  meta_[i].state = NeighbourState::kStatic;
  set_mac(i, &mac);
  return true;
}

void NeighbourTable::age(std::uint64_t now_ns, std::vector<ArpRequestOut>& out) {
  for (std::size_t i = 0; i <= mask_; ++i) {
    const std::uint64_t k = slots_[i].key.load(std::memory_order_relaxed);
    if (k == kEmpty || k == kTombstone) continue;
    const auto port = static_cast<std::uint16_t>((k >> 32) & 0xffff);
    const auto ip = static_cast<std::uint32_t>(k);
    Meta& m = meta_[i];
    switch (m.state) {
      case NeighbourState::kStatic:
        break;
      case NeighbourState::kReachable:
        if (now_ns - m.confirmed_ns >= timing_.reachable_ns) {
          m.state = NeighbourState::kStale;
          m.probes = 1;
          m.next_ns = now_ns + timing_.retransmit_ns;
          out.push_back({port, ip, MacAddress::from_u64(slots_[i].mac.load(std::memory_order_relaxed) & kMacMask)});
        }
        break;
      case NeighbourState::kStale:
        if (now_ns >= m.next_ns) {
          if (m.probes >= timing_.max_probes) {
            erase(i);  // gone: the next packet for it resolves afresh with a broadcast
          } else {
            ++m.probes;
            m.next_ns = now_ns + timing_.retransmit_ns;
            out.push_back({port, ip, MacAddress::from_u64(slots_[i].mac.load(std::memory_order_relaxed) & kMacMask)});
          }
        }
        break;
      case NeighbourState::kIncomplete:
        if (now_ns >= m.next_ns) {
          if (m.probes >= timing_.max_probes) {
            m.state = NeighbourState::kFailed;
            m.next_ns = now_ns + timing_.failed_hold_ns;
          } else {
            ++m.probes;
            m.next_ns = now_ns + timing_.retransmit_ns;
            out.push_back({port, ip, std::nullopt});
          }
        }
        break;
      case NeighbourState::kFailed:
        if (now_ns >= m.next_ns) erase(i);
        break;
    }
  }
}

std::vector<NeighbourTable::EntryInfo> NeighbourTable::entries() const {
  std::vector<EntryInfo> v;
  for (std::size_t i = 0; i <= mask_; ++i) {
    const std::uint64_t k = slots_[i].key.load(std::memory_order_relaxed);
    if (k == kEmpty || k == kTombstone) continue;
    EntryInfo e;
    e.port = static_cast<std::uint16_t>((k >> 32) & 0xffff);
    e.ip = static_cast<std::uint32_t>(k);
    e.mac = MacAddress::from_u64(slots_[i].mac.load(std::memory_order_relaxed) & kMacMask);
    e.state = meta_[i].state;
    e.confirmed_ns = meta_[i].confirmed_ns;
    v.push_back(e);
  }
  return v;
}

}  // namespace sipshunt::net
