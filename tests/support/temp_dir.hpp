// Files on disk for tests, benchmarks and fuzzers: a fresh temporary folder that is removed with
// everything in it when it goes out of scope (also when an assertion ends the test early), and
// the one way they write a file (rule files, configs, captures).
#pragma once

#include <filesystem>
#include <string_view>

namespace sipshunt::test_support {

// Writes `text` to `path` as is (binary, replacing any old content), creating missing parent
// folders; returns `path`. Throws std::runtime_error when the file cannot be written.
std::filesystem::path write_file(const std::filesystem::path& path, std::string_view text);

// $TMPDIR/sipshunt-test-XXXXXX, created by mkdtemp(3) (so tests that run side by side never
// share one), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // write_file(path() / name, text); `name` may hold sub-folders ("conf.d/a.rules").
  std::filesystem::path write(std::string_view name, std::string_view text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace sipshunt::test_support
