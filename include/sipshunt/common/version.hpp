// What build of sipshunt this is: the release version and the source revision it was built from
// (git, captured at build time by meson's vcs_tag), and the versions of the libraries that decide
// its behaviour. Printed by `sipshunt --version` and exported as `sipshunt_build_info` in /metrics.
#pragma once

#include <string>
#include <string_view>

namespace sipshunt {

// The project version (meson.build), e.g. "0.1.0".
[[nodiscard]] std::string_view version() noexcept;
// `git describe --always --dirty` of the source tree at build time; "unknown" outside git.
[[nodiscard]] std::string_view revision() noexcept;

struct BuildInfo {
  std::string version;
  std::string revision;
  std::string dpdk;       // rte_version(), empty in builds without the data plane
  std::string hyperscan;  // hs_version()
};

}  // namespace sipshunt
