// The neighbour table's writer side (single writer: the control lcore) and its ageing; the lookup
// readers use is inline in the header.
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

IpAddress NeighbourTable::address_of(std::uint64_t tag, std::uint64_t a0, std::uint64_t a1) noexcept {
  IpAddress a;
  a.family = static_cast<Family>((tag >> 16) & 0xff);
  std::memcpy(a.bytes.data(), &a0, 8);
  std::memcpy(a.bytes.data() + 8, &a1, 8);
  return a;
}

bool NeighbourTable::slot_is(std::size_t i, const Key& key) const noexcept {
  const Slot& s = slots_[i];
  const std::uint64_t t = s.tag.load(std::memory_order_relaxed);
  return t > kTombstone && (t & kLinkMask) == key.link && s.a0.load(std::memory_order_relaxed) == key.a0 &&
         s.a1.load(std::memory_order_relaxed) == key.a1;
}

std::ptrdiff_t NeighbourTable::find(const Key& key) const noexcept {
  std::size_t i = hash(key);
  for (std::size_t n = 0; n < kMaxProbe; ++n, i = (i + 1) & mask_) {
    if (slots_[i].tag.load(std::memory_order_relaxed) == kEmpty) return -1;
    if (slot_is(i, key)) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

std::ptrdiff_t NeighbourTable::insert(const Key& key) {
  std::size_t i = hash(key);
  std::ptrdiff_t free_slot = -1;
  for (std::size_t n = 0; n < kMaxProbe; ++n, i = (i + 1) & mask_) {
    const std::uint64_t t = slots_[i].tag.load(std::memory_order_relaxed);
    if (slot_is(i, key)) return static_cast<std::ptrdiff_t>(i);
    if (t == kTombstone && free_slot < 0) free_slot = static_cast<std::ptrdiff_t>(i);
    if (t == kEmpty) {
      if (free_slot < 0) free_slot = static_cast<std::ptrdiff_t>(i);
      break;
    }
  }
  if (free_slot < 0) {
    ++full_;
    return -1;
  }
  // Sequence-lock write: the tag says "being rewritten" (a tombstone) while the address changes, and
  // gets a new generation after, so a reader that raced with the rewrite sees the tag differ.
  Slot& s = slots_[static_cast<std::size_t>(free_slot)];
  s.tag.store(kTombstone, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  s.a0.store(key.a0, std::memory_order_relaxed);
  s.a1.store(key.a1, std::memory_order_relaxed);
  s.mac.store(0, std::memory_order_relaxed);
  meta_[static_cast<std::size_t>(free_slot)] = Meta{};
  ++generation_;
  s.tag.store((generation_ << 24) | key.link, std::memory_order_release);
  return free_slot;
}

void NeighbourTable::set_mac(std::size_t i, const MacAddress* mac) noexcept {
  const std::uint64_t v = mac != nullptr ? (kValid | mac->to_u64()) : 0;
  if (slots_[i].mac.load(std::memory_order_relaxed) == v) return;  // a refresh: cached lookups stay right
  slots_[i].mac.store(v, std::memory_order_release);
  changed();
}

void NeighbourTable::erase(std::size_t i) noexcept {
  slots_[i].tag.store(kTombstone, std::memory_order_release);
  slots_[i].mac.store(0, std::memory_order_release);
  meta_[i] = Meta{};
  changed();
}

bool NeighbourTable::confirm(std::uint16_t network, const IpAddress& ip, const MacAddress& mac, std::uint64_t now_ns) {
  if (mac.is_multicast() || mac.is_zero() || ip.family == Family::kNone || ip.is_unsendable()) return false;
  const std::ptrdiff_t at = insert(key_of(network, ip));
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

bool NeighbourTable::demand(std::uint16_t network, const IpAddress& ip, std::uint64_t now_ns) {
  const Key key = key_of(network, ip);
  if (find(key) >= 0) return false;
  const std::ptrdiff_t at = insert(key);
  if (at < 0) return false;
  Meta& m = meta_[static_cast<std::size_t>(at)];
  m.state = NeighbourState::kIncomplete;
  m.probes = 1;
  m.next_ns = now_ns + timing_.retransmit_ns;
  return true;
}

bool NeighbourTable::add_static(std::uint16_t network, const IpAddress& ip, const MacAddress& mac) {
  const std::ptrdiff_t at = insert(key_of(network, ip));
  if (at < 0) return false;
  const auto i = static_cast<std::size_t>(at);
  meta_[i].state = NeighbourState::kStatic;
  set_mac(i, &mac);
  return true;
}

void NeighbourTable::age(std::uint64_t now_ns, std::vector<NeighbourProbe>& out) {
  for (std::size_t i = 0; i <= mask_; ++i) {
    const Slot& s = slots_[i];
    const std::uint64_t t = s.tag.load(std::memory_order_relaxed);
    if (t == kEmpty || t == kTombstone) continue;
    const auto network = static_cast<std::uint16_t>(t & 0xffff);
    const IpAddress ip =
        address_of(t, s.a0.load(std::memory_order_relaxed), s.a1.load(std::memory_order_relaxed));
    const MacAddress known = MacAddress::from_u64(s.mac.load(std::memory_order_relaxed) & kMacMask);
    Meta& m = meta_[i];
    switch (m.state) {
      case NeighbourState::kStatic:
        break;
      case NeighbourState::kReachable:
        if (now_ns - m.confirmed_ns >= timing_.reachable_ns) {
          m.state = NeighbourState::kStale;
          m.probes = 1;
          m.next_ns = now_ns + timing_.retransmit_ns;
          out.push_back({network, ip, known});
        }
        break;
      case NeighbourState::kStale:
        if (now_ns >= m.next_ns) {
          if (m.probes >= timing_.max_probes) {
            erase(i);  // gone: the next packet for it resolves afresh with a broadcast
          } else {
            ++m.probes;
            m.next_ns = now_ns + timing_.retransmit_ns;
            out.push_back({network, ip, known});
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
            out.push_back({network, ip, std::nullopt});
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
    const Slot& s = slots_[i];
    const std::uint64_t t = s.tag.load(std::memory_order_relaxed);
    if (t == kEmpty || t == kTombstone) continue;
    EntryInfo e;
    e.network = static_cast<std::uint16_t>(t & 0xffff);
    e.ip = address_of(t, s.a0.load(std::memory_order_relaxed), s.a1.load(std::memory_order_relaxed));
    e.mac = MacAddress::from_u64(s.mac.load(std::memory_order_relaxed) & kMacMask);
    e.state = meta_[i].state;
    e.confirmed_ns = meta_[i].confirmed_ns;
    v.push_back(e);
  }
  return v;
}

}  // namespace sipshunt::net
