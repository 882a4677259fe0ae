// Control plane, private to src/runtime. The process signals the runtime reacts to, as flags
// its control loop polls: stop (SIGINT/SIGTERM), reload (SIGHUP), and the SIGURG that only
// wakes a worker blocked in a system call.
#pragma once

namespace sipshunt::runtime {

// How many SIGINT/SIGTERM arrived (after install_signal_handlers()): the first may start a stop
// grace, a second ends it.
[[nodiscard]] int stop_signals() noexcept;
// True when SIGHUP arrived since the last call.
[[nodiscard]] bool take_reload_signal() noexcept;
// SIGURG with a handler that does nothing, without SA_RESTART: a thread it hits returns EINTR
// from a blocking call (dataplane::Worker::interrupt).
void install_wake_handler();

}  // namespace sipshunt::runtime
