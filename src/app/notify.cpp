// sd_notify(3) messages for `sipshunt run`, the one place that talks to the service manager.
// Built without libsystemd, every call is a no-op.
#include "notify.hpp"

#include <ctime>
#include <string>

#ifdef SIPSHUNT_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace sipshunt::app::notify {
namespace {

// STATUS= is one line: a newline would end the field and start a bogus assignment.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  return out;
}

void send(const std::string& message) {
#ifdef SIPSHUNT_HAVE_SYSTEMD
  (void)sd_notify(0, message.c_str());
#else
  (void)message;
#endif
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

void status(std::string_view text) { send("STATUS=" + one_line(text)); }

void ready(std::string_view status) { send("READY=1\nSTATUS=" + one_line(status)); }

// systemd.service(5), Type=notify-reload: MONOTONIC_USEC is CLOCK_MONOTONIC when the reload
// began, so the manager can tell this reload from an earlier one.
void reloading(std::string_view status) {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()) + "\nSTATUS=" + one_line(status));
}

void stopping(std::string_view status) { send("STOPPING=1\nSTATUS=" + one_line(status)); }

void watchdog() { send("WATCHDOG=1"); }

std::uint64_t watchdog_usec() {
#ifdef SIPSHUNT_HAVE_SYSTEMD
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0) return usec;
#endif
  return 0;
}

}  // namespace sipshunt::app::notify
