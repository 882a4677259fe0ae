// Which sipshunt this is, as `sipshunt --version` prints it and /metrics exports it
// (sipshunt_build_info): version, git revision, and the DPDK and Hyperscan it runs with.
#pragma once

#include <string>

#include "sipshunt/common/version.hpp"

namespace sipshunt::app {

// Version numbers only ("22.11.5", "5.4.0"): label values, not free text.
[[nodiscard]] BuildInfo build_info();

// The --version text: "sipshunt 0.1.0 (revision ...)\nDPDK 22.11.5\nHyperscan 5.4.0\n".
[[nodiscard]] std::string version_text(const BuildInfo& b);

}  // namespace sipshunt::app
