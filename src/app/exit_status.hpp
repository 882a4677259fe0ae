// The exit status of every `sipshunt` subcommand, one table for all (README "Exit status",
// sipshunt(8)). The values are BSD sysexits(3) ones where one fits, so systemd names them in the
// journal ("status=78/CONFIG") and the unit can refuse to restart on them.
#pragma once

namespace sipshunt::app {

enum class ExitStatus : int {
  kOk = 0,              // done: config valid, datagrams explained, proxy stopped cleanly
  kFailure = 1,         // run-time failure: EAL, hugepages, ports, an unreadable input file
  kUsage = 64,          // EX_USAGE: bad command line (unknown option, missing argument)
  kConfigInvalid = 78,  // EX_CONFIG: the config or a rule file does not load, parse or compile
};

[[nodiscard]] constexpr int code(ExitStatus s) noexcept { return static_cast<int>(s); }

}  // namespace sipshunt::app
