// Subcommands of the `sipshunt` command line. Each lives in its own file and registers itself
// on the CLI11 app; main() only dispatches. Control plane: may allocate, log, throw.
#pragma once

#include <CLI/CLI.hpp>

namespace sipshunt::app {

// Each add_* registers a subcommand whose callback stores its exit status in `status`.
void add_explain(CLI::App& app, int& status);  // explain.cpp: proxy decisions as JSON lines
void add_check(CLI::App& app, int& status);    // check.cpp: validate config and rules
void add_run(CLI::App& app, int& status);      // run.cpp: the DPDK data plane

}  // namespace sipshunt::app
