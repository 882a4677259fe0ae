// Control plane. DPDK's own log (EAL, drivers) through sipshunt's: rte_log writes to a stdio
// stream, which we point at a cookie stream that hands each line to spdlog at the level DPDK
// gave it, so "EAL: Cannot allocate memory" is an error in the journal (a <3> line), in the
// text or JSON format `[log] format` chose, rather than an unprefixed line on stderr.
#include <rte_log.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "sipshunt/net/eal.hpp"

namespace sipshunt::net {
namespace {

spdlog::level::level_enum level_of(int rte_level) noexcept {
  const auto l = static_cast<unsigned>(rte_level);
  if (l <= RTE_LOG_CRIT) return spdlog::level::critical;
  if (l == RTE_LOG_ERR) return spdlog::level::err;
  if (l == RTE_LOG_WARNING) return spdlog::level::warn;
  if (l >= RTE_LOG_DEBUG) return spdlog::level::debug;
  return spdlog::level::info;  // NOTICE, INFO
}

// Called by stdio with the stream's lock held, so `pending` needs no lock of its own.
ssize_t write_lines(void* cookie, const char* data, size_t size) {
  auto& pending = *static_cast<std::string*>(cookie);
  pending.append(data, size);
  const spdlog::level::level_enum level = level_of(rte_log_cur_msg_loglevel());
  for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
    if (nl > 0) spdlog::log(level, "{}", std::string_view(pending).substr(0, nl));
    pending.erase(0, nl + 1);
  }
  return static_cast<ssize_t>(size);
}

}  // namespace

void route_dpdk_log() {
  static std::string pending;
  static std::FILE* stream = [] {
    cookie_io_functions_t io{};
    io.write = write_lines;
    std::FILE* f = fopencookie(&pending, "w", io);
    if (f != nullptr) setvbuf(f, nullptr, _IOLBF, 4096);  // one write per line
    return f;
  }();
  if (stream != nullptr) rte_openlog_stream(stream);
}

}  // namespace sipshunt::net
