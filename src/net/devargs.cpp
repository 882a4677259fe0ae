// Control plane. Reading DPDK virtual-device arguments: comma-separated items, each "key" or
// "key=value" (the format rte_vdev_init and rte_kvargs take).
#include "sipshunt/net/devargs.hpp"

#include <algorithm>
#include <cctype>

namespace sipshunt::net {

namespace {

// Calls `match(item)` on each comma-separated item of `args`, in order, until it returns true.
template <class Match>
bool any_item(std::string_view args, Match match) {
  std::size_t pos = 0;
  while (pos <= args.size()) {
    const std::size_t end = std::min(args.find(',', pos), args.size());
    if (match(args.substr(pos, end - pos))) return true;
    pos = end + 1;
  }
  return false;
}

}  // namespace

std::string devarg(std::string_view args, std::string_view key) {
  std::string value;
  (void)any_item(args, [&](std::string_view item) {
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || item.substr(0, eq) != key) return false;
    value = item.substr(eq + 1);
    return true;
  });
  return value;
}

bool has_devarg(std::string_view args, std::string_view key) {
  return any_item(args, [&](std::string_view item) { return item.substr(0, item.find('=')) == key; });
}

bool is_af_packet(std::string_view device) noexcept {
  return device.rfind("net_af_packet", 0) == 0 || device.rfind("eth_af_packet", 0) == 0;
}

bool is_af_xdp(std::string_view device) noexcept {
  return device.rfind("net_af_xdp", 0) == 0;
}

bool is_pci_address(std::string_view d) noexcept {
  auto hex = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
  };
  // [DDDD:]BB:DD.F
  if (d.size() == 12) {
    if (d[4] != ':') return false;
    if (!hex(d.substr(0, 4))) return false;
    d.remove_prefix(5);
  }
  return d.size() == 7 && d[2] == ':' && d[5] == '.' && hex(d.substr(0, 2)) && hex(d.substr(3, 2)) && d[6] >= '0' &&
         d[6] <= '7';
}

}  // namespace sipshunt::net
