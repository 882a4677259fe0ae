// Section readers of the config loader that live in files of their own (config.cpp calls them).
// Private to src/config; they throw detail::Failure like the readers in toml_fields.hpp.
#pragma once

#include <toml++/toml.h>

#include "sipshunt/config/config.hpp"

namespace sipshunt::config::detail {

// [dpdk] (src/config/dpdk.cpp): ports, their networks, routes.
void read_dpdk(const toml::table& t, Dpdk& d);
// proxy.address must be one of the networks' addresses when there are any (after read_dpdk).
void check_self_is_ours(const toml::table& proxy, const Config& c);
void read_hep(const toml::table& t, Hep& h);  // hep.cpp

}  // namespace sipshunt::config::detail
