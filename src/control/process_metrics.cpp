// Control plane. The process_* metrics every Prometheus client library exports (CPU time,
// memory, start time, file descriptors), read from /proc/self the way those libraries do, so
// dashboards and alerts written for them work on sipshunt unchanged.
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sipshunt/control/metrics.hpp"

namespace sipshunt::control {
namespace {

// /proc/stat's btime: the boot time in seconds since the epoch (process start times count from it).
std::optional<double> boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessMetrics> read_process_metrics() {
  std::ifstream in("/proc/self/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: fields count from the last ')'.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string f[22];  // fields 3..24 (proc(5))
  for (auto& x : f)
    if (!(fields >> x)) return std::nullopt;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const auto boot = boot_time();
  if (ticks <= 0 || page <= 0 || !boot) return std::nullopt;
  ProcessMetrics p;
  try {
    p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime (14), stime (15)
    p.start_time_seconds = *boot + std::stod(f[19]) / ticks;         // starttime (22)
    p.virtual_bytes = std::stod(f[20]);                              // vsize (23)
    p.resident_bytes = std::stod(f[21]) * page;                      // rss (24), pages
  } catch (const std::exception&) {
    return std::nullopt;
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    p.open_fds += 1;
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0)
    p.max_fds = static_cast<double>(lim.rlim_cur);
  return p;
}

}  // namespace sipshunt::control
