// The section readers that live in their own files (config.cpp reads the rest). Private to
// src/config.
#pragma once

#include <toml++/toml.h>

#include "sipshunt/config/config.hpp"

namespace sipshunt::config::detail {

// [dpdk] (src/config/dpdk.cpp): ports, their networks, routes.
void read_dpdk(const toml::table& t, Dpdk& d);
// proxy.address must be one of the networks' addresses when there are any (after read_dpdk).
void check_self_is_ours(const toml::table& proxy, const Config& c);

}  // namespace sipshunt::config::detail
