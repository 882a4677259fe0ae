// Where and how sipshunt writes diagnostics: always to stderr (stdout carries only a command's
// result). Text lines (timestamped; the level coloured only when stderr is a terminal) or JSON
// lines (`[log] format`); when stderr is the journal (JOURNAL_STREAM names stderr's device and
// inode, systemd.exec(5)), every line starts with its syslog priority (`<3>` error, `<4>` warning,
// `<6>` info, `<7>` debug: sd-daemon(3)) and carries no timestamp, so journald files errors as
// errors and stamps each line itself.
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <string>
#include <string_view>

#include "sipshunt/config/config.hpp"

namespace sipshunt::app {

struct StderrKind {
  bool journal = false;  // connected to journald: priority prefixes, no timestamps
  bool colour = false;   // a terminal (and neither NO_COLOR nor TERM=dumb): ANSI colours
};

// What the file descriptor `fd` is connected to (stderr by default).
[[nodiscard]] StderrKind detect_stderr(int fd = 2);

// The sd-daemon priority of a level: trace/debug 7, info 6, warn 4, error 3, critical 2.
[[nodiscard]] int syslog_priority(spdlog::level::level_enum level) noexcept;

// One log line, newline included, exactly as written to stderr.
[[nodiscard]] std::string format_line(config::Log::Format format, const StderrKind& kind,
                                      spdlog::level::level_enum level, std::chrono::system_clock::time_point when,
                                      std::string_view message);

// Replaces spdlog's default logger (stdout, coloured whatever it is) with one that writes
// format_line() to stderr. main() calls it first with the text format; `run` again with the
// config's [log] format and level.
void setup_logging(config::Log::Format format, spdlog::level::level_enum level);

// A command's diagnostic (`check`'s file:line:col message, a usage error): the text as it is, one
// line, with the error priority prefix when stderr is the journal.
void report_error(std::string_view message);

}  // namespace sipshunt::app
