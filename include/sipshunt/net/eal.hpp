// Control plane. DPDK start-up: the EAL argument list (the config's own arguments plus what the
// data plane needs: enough lcores, a private memory namespace, no stray PCI probing), the EAL
// itself, and the TSC clock every lcore shares.
#pragma once

#include "sipshunt/net/devargs.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipshunt/common/result.hpp"

namespace sipshunt::net {

struct EalPlan {
  std::vector<std::string> config_args;  // [dpdk] eal_args, verbatim
  std::uint32_t workers = 1;             // worker lcores wanted (+1 main lcore for control)
  std::vector<std::string> pci_devices;  // ports given by PCI address
  bool any_vdev = false;
  bool any_af_xdp = false;               // an AF_XDP port: its UMEM pool needs --iova-mode=va
  std::uint32_t cpus = 0;                // online CPUs (0: unknown)
};

// The argument vector for rte_eal_init (argv[0] included). Adds, unless the config already says:
//  -l 0-N         one main lcore + `workers` worker lcores (with more lcores than CPUs:
//                 --lcores (0-N)@(0-C), every lcore free to run on any CPU)
//  --in-memory    no shared files: several instances (tests) can run side by side, and
//                 hugepages need no mounted hugetlbfs (--no-shconf instead with --no-huge)
//  --no-pci       when every port is a virtual device (never touch the host's NICs), else
//  -a ADDR        for each configured PCI port, so only those are probed
//  --no-telemetry no telemetry socket
//  --log-level=user1:warning   (quiets ip_frag's INFO line per reassembly table)
//  --iova-mode=va with an AF_XDP port: in PA mode a mempool on hugepages is built from
//                 physically contiguous pieces (one per page), and the PMD's UMEM must be one
//                 virtually contiguous piece (see af_xdp.hpp)
[[nodiscard]] std::vector<std::string> eal_arguments(const EalPlan& plan);

// DPDK's log lines (EAL, drivers) to spdlog's default logger at their own level (dpdk_log.cpp).
void route_dpdk_log();

// rte_eal_init, after route_dpdk_log() and the hugepage check (hugepages.hpp). Once only per process.
[[nodiscard]] Result<void> init_eal(const std::vector<std::string>& args);
void cleanup_eal() noexcept;
// The DPDK library's version string (rte_version()), e.g. "DPDK 22.11.5"; needs no EAL.
[[nodiscard]] std::string_view dpdk_version() noexcept;

// TSC-based clock shared by every lcore (constant, invariant TSC). Valid after init_eal.
struct TscClock {
  std::uint64_t hz = 0;
  std::uint64_t mult = 0;   // ns = (tsc * mult) >> 32 split to avoid overflow (see ns())
  [[nodiscard]] static TscClock from_hz(std::uint64_t hz) noexcept;
  [[nodiscard]] std::uint64_t ns(std::uint64_t tsc) const noexcept {
    // (tsc / hz) seconds, split so nothing overflows for centuries of uptime.
    const std::uint64_t s = tsc / hz;
    const std::uint64_t rem = tsc % hz;
    return s * 1'000'000'000ull + ((rem * mult) >> 32);
  }
  [[nodiscard]] std::uint64_t cycles(std::uint64_t ns_value) const noexcept {
    return static_cast<std::uint64_t>(static_cast<long double>(ns_value) * static_cast<long double>(hz) / 1e9L);
  }
};

}  // namespace sipshunt::net
