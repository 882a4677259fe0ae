// Section readers of the config loader that live in files of their own (config.cpp calls them).
// Private to src/config; they throw detail::Failure like the readers in toml_fields.hpp.
#pragma once

#include <toml++/toml.h>

#include "sipshunt/config/config.hpp"

namespace sipshunt::config::detail {

void read_hep(const toml::table& t, Hep& h);  // hep.cpp

}  // namespace sipshunt::config::detail
