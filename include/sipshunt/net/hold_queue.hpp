// hot path
// Packets waiting for their next hop to be resolved (ARP or neighbour discovery), per worker: a bounded FIFO that never allocates after
// construction. A full queue refuses the packet (the caller frees it and counts the overflow);
// sweep() hands every waiting packet to a callback that sends it, expires it, or keeps it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "sipshunt/common/address.hpp"

namespace sipshunt::net {

template <typename Packet>
class HoldQueue {
 public:
  struct Item {
    Packet packet{};
    IpAddress next_hop;
    std::uint16_t network = 0;     // the link (port and VLAN) it leaves by
    std::uint64_t deadline = 0;    // in the caller's clock (TSC cycles in the data plane)
  };

  explicit HoldQueue(std::size_t capacity) : items_(std::make_unique<Item[]>(capacity)), capacity_(capacity) {}
  HoldQueue(const HoldQueue&) = delete;
  HoldQueue& operator=(const HoldQueue&) = delete;

  [[nodiscard]] bool push(const Item& item) noexcept {
    if (size_ == capacity_) return false;
    items_[size_++] = item;
    return true;
  }

  // Calls keep(item) for each waiting packet, oldest first; an item stays queued while keep
  // returns true. Order of the survivors is preserved.
  template <typename Keep>
  void sweep(Keep&& keep) noexcept {
    std::size_t out = 0;
    for (std::size_t i = 0; i < size_; ++i) {
      if (keep(items_[i])) items_[out++] = items_[i];
    }
    size_ = out;
  }

  // True when a packet for (network, next_hop) is already waiting: its resolution is under way.
  [[nodiscard]] bool waiting_for(std::uint16_t network, const IpAddress& next_hop) const noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      if (items_[i].network == network && items_[i].next_hop == next_hop) return true;
    }
    return false;
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

 private:
  std::unique_ptr<Item[]> items_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace sipshunt::net
