// The build identity: our version and revision (common/version.hpp) and the versions of the DPDK
// and Hyperscan libraries loaded at run time (not the headers built against).
#include "build_info.hpp"

#include <string_view>

#include "sipshunt/rules/rules.hpp"
#ifdef SIPSHUNT_HAVE_RUN
#include "sipshunt/net/eal.hpp"
#endif

namespace sipshunt::app {
namespace {

// "DPDK 22.11.5" -> "22.11.5"; "5.4.0 2023-01-12" -> "5.4.0".
std::string version_number(std::string_view s) {
  if (s.starts_with("DPDK ")) s.remove_prefix(5);
  return std::string(s.substr(0, s.find(' ')));
}

}  // namespace

BuildInfo build_info() {
  BuildInfo b;
  b.version = std::string(version());
  b.revision = std::string(revision());
  b.hyperscan = version_number(rules::engine_version());
#ifdef SIPSHUNT_HAVE_RUN
  b.dpdk = version_number(net::dpdk_version());
#endif
  return b;
}

std::string version_text(const BuildInfo& b) {
  std::string out = "sipshunt " + b.version + " (revision " + b.revision + ")\n";
  out += "DPDK " + (b.dpdk.empty() ? std::string("none (built without the data plane)") : b.dpdk) + "\n";
  out += "Hyperscan " + b.hyperscan + "\n";
  return out;
}

}  // namespace sipshunt::app
