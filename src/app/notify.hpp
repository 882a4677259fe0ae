// systemd's service notification protocol (sd_notify(3), systemd.service(5) Type=notify and
// Type=notify-reload) for `sipshunt run`. Called from the control thread (the main lcore) only,
// never from a worker. Without NOTIFY_SOCKET (not under systemd) every call does nothing.
//   start:  STATUS= while starting, READY=1 once the ports are up and the first snapshot is out
//   reload: RELOADING=1 + MONOTONIC_USEC= on SIGHUP, READY=1 + STATUS= (the outcome) after it
//   stop:   STOPPING=1
//   WATCHDOG=1 from the control loop every half WATCHDOG_USEC when the unit sets WatchdogSec=
#pragma once

#include <cstdint>
#include <string_view>

namespace sipshunt::app::notify {

void status(std::string_view text);
void ready(std::string_view status);
void reloading(std::string_view status);
void stopping(std::string_view status);
void watchdog();
// The watchdog period systemd asked for, in microseconds; 0 when off.
[[nodiscard]] std::uint64_t watchdog_usec();

}  // namespace sipshunt::app::notify
