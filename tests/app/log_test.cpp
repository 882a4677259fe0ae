// The stderr log and the build identity shared by every subcommand: line formats (text, JSON,
// journald priority prefixes, colour), the journal detection, the --version text.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "build_info.hpp"
#include "log.hpp"
#include "support/temp_dir.hpp"

namespace sipshunt::app {
namespace {

using Format = config::Log::Format;

// 2026-12-05 04:43:58.123 UTC
std::chrono::system_clock::time_point when() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1'796'445'838'123));
}

TEST(Log, PrioritiesAreSdDaemonOnes) {
  EXPECT_EQ(syslog_priority(spdlog::level::critical), 2);
  EXPECT_EQ(syslog_priority(spdlog::level::err), 3);
  EXPECT_EQ(syslog_priority(spdlog::level::warn), 4);
  EXPECT_EQ(syslog_priority(spdlog::level::info), 6);
  EXPECT_EQ(syslog_priority(spdlog::level::debug), 7);
}

TEST(Log, JournalLinesCarryThePriorityAndNoTimestamp) {
  const StderrKind journal{true, false};
  EXPECT_EQ(format_line(Format::kText, journal, spdlog::level::err, when(), "reload failed: x.rules:1:2: bad"),
            "<3>reload failed: x.rules:1:2: bad\n");
  EXPECT_EQ(format_line(Format::kText, journal, spdlog::level::info, when(), "a\nb"), "<6>a\n<6>b\n");
  EXPECT_EQ(format_line(Format::kJson, journal, spdlog::level::warn, when(), "w"),
            "<4>{\"time\":\"2026-12-05T04:43:58.123Z\",\"level\":\"warning\",\"message\":\"w\"}\n");
}

TEST(Log, JsonIsOneObjectPerLine) {
  const std::string line =
      format_line(Format::kJson, StderrKind{}, spdlog::level::err, when(), "two\nlines \"quoted\"");
  EXPECT_EQ(line, "{\"time\":\"2026-12-05T04:43:58.123Z\",\"level\":\"error\",\"message\":\"two\\nlines \\\"quoted\\\"\"}\n");
}

TEST(Log, ColourOnlyOnATerminal) {
  const std::string plain = format_line(Format::kText, StderrKind{false, false}, spdlog::level::err, when(), "m");
  EXPECT_EQ(plain.find('\x1b'), std::string::npos);
  EXPECT_TRUE(plain.ends_with(" error m\n")) << plain;
  const std::string coloured = format_line(Format::kText, StderrKind{false, true}, spdlog::level::err, when(), "m");
  EXPECT_NE(coloured.find("\x1b[31m"), std::string::npos);
  EXPECT_TRUE(coloured.ends_with("error\x1b[0m m\n")) << coloured;
}

TEST(Log, JournalIsRecognisedByDeviceAndInode) {
  test_support::TempDir d;
  const auto path = d.write("stderr", "");
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  struct stat st {};
  ASSERT_EQ(fstat(fileno(f), &st), 0);
  const std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(detect_stderr(fileno(f)).journal);
  EXPECT_FALSE(detect_stderr(fileno(f)).colour);  // a file is no terminal
  const std::string other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  ::setenv("JOURNAL_STREAM", other.c_str(), 1);  // stderr redirected since systemd set it
  EXPECT_FALSE(detect_stderr(fileno(f)).journal);
  ::unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(detect_stderr(fileno(f)).journal);
  std::fclose(f);
}

TEST(BuildInfo, VersionTextNamesEveryComponent) {
  const BuildInfo b = build_info();
  EXPECT_EQ(b.version, std::string(version()));
  EXPECT_FALSE(b.revision.empty());
  EXPECT_FALSE(b.hyperscan.empty());
  EXPECT_EQ(b.hyperscan.find(' '), std::string::npos) << b.hyperscan;  // a number, not free text
  EXPECT_EQ(version_text(BuildInfo{"1.2.3", "abc123", "22.11.5", "5.4.0"}),
            "sipshunt 1.2.3 (revision abc123)\nDPDK 22.11.5\nHyperscan 5.4.0\n");
}

}  // namespace
}  // namespace sipshunt::app
