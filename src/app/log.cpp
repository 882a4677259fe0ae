// The stderr log of every subcommand: spdlog's default logger replaced by a sink that writes
// format_line() (text or JSON, journald priority prefixes, colour on terminals only).
#include "log.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

#include "sipshunt/control/json.hpp"

namespace sipshunt::app {
namespace {

std::string_view level_name(spdlog::level::level_enum l) noexcept {
  switch (l) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warning";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "info";
  }
}

// The level's colour on a terminal (as spdlog's own colour sink paints them).
std::string_view level_colour(spdlog::level::level_enum l) noexcept {
  switch (l) {
    case spdlog::level::trace: return "\x1b[37m";
    case spdlog::level::debug: return "\x1b[36m";
    case spdlog::level::info: return "\x1b[32m";
    case spdlog::level::warn: return "\x1b[33m\x1b[1m";
    case spdlog::level::err: return "\x1b[31m\x1b[1m";
    case spdlog::level::critical: return "\x1b[1m\x1b[41m";
    default: return "";
  }
}

// "2026-12-05 04:43:58.123" local time (text), or "2026-12-05T04:43:58.123Z" UTC (JSON).
std::string timestamp(std::chrono::system_clock::time_point when, bool utc) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  if (utc) {
    gmtime_r(&secs, &tm);
  } else {
    localtime_r(&secs, &tm);
  }
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, utc ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03d%s", static_cast<int>(ms % 1000), utc ? "Z" : "");
  return buf;
}

class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  StderrSink(config::Log::Format format, StderrKind kind) : format_(format), kind_(kind) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string line =
        format_line(format_, kind_, msg.level, msg.time, std::string_view(msg.payload.data(), msg.payload.size()));
    std::fwrite(line.data(), 1, line.size(), stderr);
    if (msg.level >= spdlog::level::warn) std::fflush(stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  config::Log::Format format_;
  StderrKind kind_;
};

}  // namespace

StderrKind detect_stderr(int fd) {
  StderrKind k;
  // systemd sets JOURNAL_STREAM=DEV:INODE for stdout/stderr connected to the journal; a process
  // whose stderr was redirected since (a shell under the unit) no longer matches.
  if (const char* js = std::getenv("JOURNAL_STREAM")) {
    unsigned long long dev = 0, ino = 0;
    struct stat st {};
    if (std::sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(fd, &st) == 0 &&
        static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino)
      k.journal = true;
  }
  const char* term = std::getenv("TERM");
  const char* no_colour = std::getenv("NO_COLOR");  // https://no-color.org
  k.colour = !k.journal && isatty(fd) == 1 && (no_colour == nullptr || *no_colour == '\0') &&
             !(term != nullptr && std::string_view(term) == "dumb");
  return k;
}

int syslog_priority(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

std::string format_line(config::Log::Format format, const StderrKind& kind, spdlog::level::level_enum level,
                        std::chrono::system_clock::time_point when, std::string_view message) {
  // "<3>": sd-daemon(3) priorities are one digit.
  std::string prefix;
  if (kind.journal) prefix = {'<', static_cast<char>('0' + syslog_priority(level)), '>'};
  std::string out = prefix;
  if (format == config::Log::Format::kJson) {
    control::JsonWriter w;
    w.begin_object().key("time").value(timestamp(when, true)).key("level").value(level_name(level));
    w.key("message").value(message).end_object();
    out += w.text();  // newlines in the message are escaped: one object per line
  } else {
    if (!kind.journal) {
      out += timestamp(when, false);
      out += ' ';
      if (kind.colour) out += level_colour(level);
      out += level_name(level);
      if (kind.colour) out += "\x1b[0m";
      out += ' ';
    }
    // Each journal entry is one line: a continuation line keeps the priority of the first.
    for (char c : message) {
      out += c;
      if (c == '\n') out += prefix;
    }
  }
  out += '\n';
  return out;
}

void setup_logging(config::Log::Format format, spdlog::level::level_enum level) {
  auto logger = std::make_shared<spdlog::logger>("sipshunt", std::make_shared<StderrSink>(format, detect_stderr()));
  logger->set_level(level);
  spdlog::set_default_logger(std::move(logger));
}

void report_error(std::string_view message) {
  std::string line = detect_stderr().journal ? "<3>" : "";
  line.append(message);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sipshunt::app
