// Control plane. DPDK virtual devices as the config names them: which PMD a device name means,
// and the one reader of their argument list ("iface=veth0,qpairs=2"), shared by option
// validation (control) and port bring-up (net). No DPDK.
#pragma once

#include <string>
#include <string_view>

namespace sipshunt::net {

// The value of the first "key=value" item in `args`; empty when there is none.
[[nodiscard]] std::string devarg(std::string_view args, std::string_view key);

// True when `args` has an item named `key`, with or without "=value".
[[nodiscard]] bool has_devarg(std::string_view args, std::string_view key);

// True for the af_packet PMD's names (net_af_packet0, and eth_af_packet0, its old alias).
[[nodiscard]] bool is_af_packet(std::string_view device) noexcept;

// True for the AF_XDP PMD's name (net_af_xdp0, ...).
[[nodiscard]] bool is_af_xdp(std::string_view device) noexcept;

// True for "0000:00:08.0" or "00:08.0" (a PCI address rather than a virtual device name).
[[nodiscard]] bool is_pci_address(std::string_view device) noexcept;

}  // namespace sipshunt::net
