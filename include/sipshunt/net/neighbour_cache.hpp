// hot path
// One reader's memo of NeighbourTable lookups: a few next hops (a proxy sends to a handful of
// backends and gateways) with their MACs, valid while the table's changes() count is the one they
// were looked up under, so a MAC change or an entry's removal is seen by the next datagram.
// Per worker, never shared: the table's slots (hashed, sequence-locked) are read only on a miss.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "sipshunt/common/address.hpp"
#include "sipshunt/common/compiler.hpp"
#include "sipshunt/net/headers.hpp"
#include "sipshunt/net/neighbour.hpp"

namespace sipshunt::net {

class NeighbourCache {
 public:
  static constexpr std::size_t kEntries = 64;  // direct-mapped by the address's last octets

  // The MAC to send to `ip` on `network`, as NeighbourTable::lookup says; false when unresolved
  // (not remembered: the next datagram asks the table again).
  [[nodiscard]] bool lookup(const NeighbourTable& table, std::uint16_t network, const IpAddress& ip,
                            MacAddress& mac) noexcept {
    const MacAddress* m = find(table, network, ip);
    if (m == nullptr) return false;
    mac = *m;
    return true;
  }

  // The same, the MAC read where the memo keeps it (valid until the next call): nullptr when
  // unresolved. For a caller that copies it once, into the frame.
  [[nodiscard]] const MacAddress* find(const NeighbourTable& table, std::uint16_t network, const IpAddress& ip) noexcept {
    const std::uint64_t now = table.changes();
    Entry& e = entries_[slot(network, ip)];
    if (SIPSHUNT_LIKELY(e.changes == now && e.network == network && e.ip == ip)) return &e.mac;
    MacAddress mac;
    if (!table.lookup(network, ip, mac)) return nullptr;
    e.changes = now;  // read before the lookup: a change since makes the next use miss
    e.network = network;
    e.ip = ip;
    e.mac = mac;
    return &e.mac;
  }

 private:
  // 64 octets (34 used): an entry's address is the slot shifted, not multiplied by 40.
  struct alignas(64) Entry {
    std::uint64_t changes = ~std::uint64_t{0};  // never a table's count: empty
    IpAddress ip;
    std::uint16_t network = 0;
    MacAddress mac;
  };
  static std::size_t slot(std::uint16_t network, const IpAddress& ip) noexcept {
    // IPv4 uses bytes[0..3] (the rest zero); IPv6 hosts differ in the last octets.
    return (ip.bytes[3] ^ ip.bytes[15] ^ (ip.bytes[14] << 1) ^ (network << 3)) & (kEntries - 1);
  }
  std::array<Entry, kEntries> entries_{};
};

}  // namespace sipshunt::net
