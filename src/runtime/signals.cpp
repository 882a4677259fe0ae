// Control plane. Process signals: handlers that only set flags (async-signal-safe), read by the
// control loop on the main lcore.
#include "signals.hpp"

#include <atomic>
#include <csignal>

#include "sipshunt/runtime/runtime.hpp"

namespace sipshunt::runtime {

namespace {

std::atomic<int> g_stop{0};
std::atomic<int> g_reload{0};

extern "C" void on_stop_signal(int) { g_stop.fetch_add(1, std::memory_order_relaxed); }
extern "C" void on_hup_signal(int) { g_reload.store(1, std::memory_order_relaxed); }
extern "C" void on_wake_signal(int) {}  // only there to interrupt a blocked system call

}  // namespace

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sa.sa_handler = on_hup_signal;
  sigaction(SIGHUP, &sa, nullptr);
  // main() holds SIGHUP blocked from its start so that one arriving during start-up is kept
  // pending rather than killing the process; with the handler in place it becomes a reload. Only
  // this thread (the control lcore) unblocks it, so the handler always runs here.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &hup, nullptr);
}

int stop_signals() noexcept { return g_stop.load(std::memory_order_relaxed); }

bool take_reload_signal() noexcept { return g_reload.exchange(0, std::memory_order_relaxed) != 0; }

void install_wake_handler() {
  struct sigaction wake {};
  wake.sa_handler = on_wake_signal;
  sigemptyset(&wake.sa_mask);
  sigaction(SIGURG, &wake, nullptr);
}

}  // namespace sipshunt::runtime
