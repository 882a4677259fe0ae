#include "sipshunt/net/eal.hpp"
#include "sipshunt/net/hugepages.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace sipshunt::net {

std::vector<std::string> eal_arguments(const EalPlan& plan) {
  std::vector<std::string> args{"sipshunt"};
  const auto& c = plan.config_args;
  auto has = [&](std::initializer_list<std::string_view> names) {
    return std::any_of(c.begin(), c.end(), [&](const std::string& a) {
      return std::any_of(names.begin(), names.end(), [&](std::string_view n) {
        return a == n || (a.size() > n.size() && a.compare(0, n.size(), n) == 0 && (a[n.size()] == '=' || n.size() == 2));
      });
    });
  };
  args.insert(args.end(), c.begin(), c.end());
  if (!has({"-l", "-c", "--lcores"})) {
    if (plan.cpus != 0 && plan.workers + 1 > plan.cpus) {
      args.push_back("--lcores=(0-" + std::to_string(plan.workers) + ")@(0-" + std::to_string(plan.cpus - 1) + ")");
    } else {
      args.push_back("-l");
      args.push_back("0-" + std::to_string(plan.workers));
    }
  }
  if (!has({"--in-memory", "--file-prefix", "--no-shconf"})) {
    // --in-memory implies --no-shconf and takes hugepages without a mounted hugetlbfs; with
    // --no-huge (legacy memory, incompatible with --in-memory) --no-shconf alone does the job.
    args.push_back(has({"--no-huge"}) ? "--no-shconf" : "--in-memory");
  }
  if (!has({"--no-telemetry", "--telemetry"})) args.push_back("--no-telemetry");
  // ip_frag announces every table it allocates at INFO on the USER1 log type: not news.
  if (!has({"--log-level"})) args.push_back("--log-level=user1:warning");
  if (plan.any_af_xdp && !has({"--iova-mode"})) args.push_back("--iova-mode=va");
  if (!has({"-a", "--allow", "-b", "--block", "--no-pci"})) {
    if (plan.pci_devices.empty()) {
      args.push_back("--no-pci");
    } else {
      for (const auto& d : plan.pci_devices) {
        args.push_back("-a");
        args.push_back(d);
      }
    }
  }
  return args;
}

Result<void> init_eal(const std::vector<std::string>& args) {
  const std::vector<HugepagePool> pools = read_hugepage_pools();
  if (Result<void> huge = check_hugepages(args, pools); !huge) return huge;
  route_dpdk_log();
  // rte_eal_init may reorder argv and keep pointers into it: give it storage that outlives it.
  static std::vector<std::string> storage;
  static std::vector<char*> argv;
  storage = args;
  argv.clear();
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  const int rc = rte_eal_init(static_cast<int>(storage.size()), argv.data());
  if (rc < 0) {
    std::string msg = "rte_eal_init failed: ";
    msg += rte_strerror(rte_errno);
    msg += " (EAL arguments:";
    for (const auto& a : args) {
      msg += ' ';
      msg += a;
    }
    msg += ')';
    // Too few pages for -m/--socket-mem or the mbuf pool fails the same way as none at all.
    if (std::find(args.begin(), args.end(), "--no-huge") == args.end())
      msg += "; hugepages: " + describe(pools) + "; if too few, " + hugepage_advice();
    return Error::plain(std::move(msg));
  }
  // DPDK's packet capture (dpdk-dumpcap, dpdk-pdump; README.md "Seeing the traffic"): a
  // secondary process asks this one to copy the ports' packets to it. Harmless when the EAL runs
  // without shared files (--in-memory, --no-shconf): nobody can attach then.
  rte_pdump_init();
  return {};
}

void cleanup_eal() noexcept {
  rte_pdump_uninit();
  rte_eal_cleanup();
}

std::string_view dpdk_version() noexcept { return rte_version(); }

TscClock TscClock::from_hz(std::uint64_t hz) noexcept {
  TscClock c;
  c.hz = hz == 0 ? 1 : hz;
  // mult = 1e9 * 2^32 / hz (1e9 * 2^32 < 2^63); rem < hz so rem * mult < 1e9 * 2^32.
  c.mult = (1'000'000'000ull << 32) / c.hz;
  return c;
}

}  // namespace sipshunt::net
