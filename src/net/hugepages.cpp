// Control plane, no DPDK. The hugepage check run before rte_eal_init (include/sipshunt/net/hugepages.hpp).
#include "sipshunt/net/hugepages.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <system_error>

namespace sipshunt::net {
namespace {

std::uint64_t read_number(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::uint64_t v = 0;
  in >> v;
  return in ? v : 0;
}

}  // namespace

std::vector<HugepagePool> read_hugepage_pools(const std::filesystem::path& root) {
  std::vector<HugepagePool> pools;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();  // hugepages-2048kB
    constexpr std::string_view kPrefix = "hugepages-";
    if (!name.starts_with(kPrefix) || !name.ends_with("kB")) continue;
    HugepagePool p;
    const char* first = name.data() + kPrefix.size();
    const char* last = name.data() + name.size() - 2;
    if (std::from_chars(first, last, p.page_kb).ptr != last) continue;
    p.total = read_number(entry.path() / "nr_hugepages");
    p.free = read_number(entry.path() / "free_hugepages");
    pools.push_back(p);
  }
  std::sort(pools.begin(), pools.end(), [](const auto& a, const auto& b) { return a.page_kb < b.page_kb; });
  return pools;
}

std::string describe(std::span<const HugepagePool> pools) {
  if (pools.empty()) return "no hugepage pools in /sys/kernel/mm/hugepages";
  std::string out;
  for (const auto& p : pools) {
    if (!out.empty()) out += ", ";
    out += std::to_string(p.page_kb) + " kB pages: " + std::to_string(p.free) + " of " + std::to_string(p.total) +
           " free";
  }
  return out;
}

std::string hugepage_advice() {
  return "reserve hugepages as root, e.g. `echo 512 > /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages` "
         "(1 GiB; to keep them across reboots: vm.nr_hugepages=512 in /etc/sysctl.d/), or, for tests and "
         "virtual devices only, add \"--no-huge\" to [dpdk] eal_args (ordinary memory; real NICs need hugepages)";
}

Result<void> check_hugepages(std::span<const std::string> eal_args, std::span<const HugepagePool> pools) {
  if (std::find(eal_args.begin(), eal_args.end(), "--no-huge") != eal_args.end()) return {};
  const bool any_free = std::any_of(pools.begin(), pools.end(), [](const auto& p) { return p.free > 0; });
  if (any_free) return {};
  return Error::plain("DPDK needs hugepages and none is free (" + describe(pools) + "): " + hugepage_advice());
}

}  // namespace sipshunt::net
