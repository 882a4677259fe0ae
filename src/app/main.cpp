// sipshunt: stateless, load-balancing SIP proxy on DPDK. Only main() exits the process; every
// subcommand returns an ExitStatus (exit_status.hpp), and diagnostics go to stderr (log.hpp).
#include <csignal>
#include <exception>
#include <string>

#include "build_info.hpp"
#include "commands.hpp"
#include "exit_status.hpp"
#include "log.hpp"

namespace {

// SIGHUP is held pending from the first instruction until `run` has its handler in place (then
// it becomes a reload, runtime/signals.cpp): a `systemctl reload` or a hangup that arrives while
// the EAL starts must not kill the process, whose default action for SIGHUP is to terminate.
// Threads started meanwhile (EAL lcores, the admin API) inherit the mask and never take it.
void hold_hangups() {
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  using sipshunt::app::code;
  using sipshunt::app::ExitStatus;
  hold_hangups();
  sipshunt::app::setup_logging(sipshunt::config::Log::Format::kText, spdlog::level::info);
  CLI::App app{"sipshunt: stateless, load-balancing SIP proxy on DPDK", "sipshunt"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version",
                       [] {
                         std::string text = sipshunt::app::version_text(sipshunt::app::build_info());
                         text.pop_back();  // CLI11 ends the text with its own newline
                         return text;
                       },
                       "Print the version, git revision, DPDK and Hyperscan versions, and exit");
  int status = 0;
  sipshunt::app::add_explain(app, status);
  sipshunt::app::add_check(app, status);
#ifdef SIPSHUNT_HAVE_RUN  // builds without DPDK (the sanitizer build) have no data plane
  sipshunt::app::add_run(app, status);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version: on stdout
    sipshunt::app::report_error(std::string("sipshunt: ") + e.what() + " (sipshunt --help for usage)");
    return code(ExitStatus::kUsage);
  } catch (const std::exception& e) {
    sipshunt::app::report_error(std::string("sipshunt: ") + e.what());
    return code(ExitStatus::kFailure);
  }
  return status;
}
