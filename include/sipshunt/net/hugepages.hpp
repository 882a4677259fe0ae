// Control plane, no DPDK. Are there hugepages for the EAL? Checked before rte_eal_init, whose own
// answer when they are missing is only "Permission denied" or "Cannot allocate memory"; the
// error says what is missing and how to get it (README "Hugepages").
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "sipshunt/common/result.hpp"

namespace sipshunt::net {

struct HugepagePool {
  std::uint64_t page_kb = 0;  // 2048, 1048576
  std::uint64_t total = 0;    // nr_hugepages
  std::uint64_t free = 0;     // free_hugepages
};

// The pools under `root` (hugepages-<N>kB/nr_hugepages and free_hugepages), by page size.
[[nodiscard]] std::vector<HugepagePool> read_hugepage_pools(
    const std::filesystem::path& root = "/sys/kernel/mm/hugepages");

// "2048 kB pages: 0 of 0 free" for each pool ("none configured" without any).
[[nodiscard]] std::string describe(std::span<const HugepagePool> pools);

// Fails, saying how to reserve hugepages or to pass --no-huge, when the EAL arguments do not
// contain --no-huge and no pool has a free page.
[[nodiscard]] Result<void> check_hugepages(std::span<const std::string> eal_args, std::span<const HugepagePool> pools);

// The remedy, for check_hugepages() and for an rte_eal_init failure with few free pages.
[[nodiscard]] std::string hugepage_advice();

}  // namespace sipshunt::net
