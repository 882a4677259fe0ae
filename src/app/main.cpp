// sipshunt: stateless, load-balancing SIP proxy on DPDK. Only main() exits the process.
#include <cstdio>
#include <exception>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"sipshunt: stateless, load-balancing SIP proxy on DPDK", "sipshunt"};
  app.require_subcommand(1);
  int status = 0;
  sipshunt::app::add_explain(app, status);
  sipshunt::app::add_check(app, status);
#ifdef SIPSHUNT_HAVE_RUN  // builds without DPDK (the sanitizer build) have no data plane
  sipshunt::app::add_run(app, status);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sipshunt: %s\n", e.what());
    return 1;
  }
  return status;
}
