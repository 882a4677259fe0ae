#!/usr/bin/env python3
"""`sipshunt run` under a service manager's eyes: the sd_notify(3) protocol through a real
NOTIFY_SOCKET (a unix datagram socket this test listens on), on a net_null port with --no-huge
(no namespaces needed: nothing is sent or received).

  - a SIGHUP during start-up does not kill the process (it becomes a reload once running);
  - STATUS= while starting, then READY=1 with a STATUS= line once the ports are up;
  - SIGHUP: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC, microseconds), then READY=1, the
    outcome in STATUS= (a failed reload says FAILED and file:line:col, the generation stays);
  - WATCHDOG=1 every WATCHDOG_USEC/2; with [instance] stop_grace_ms (set by a reload), SIGTERM
    sends STOPPING=1 saying the grace and the process keeps running; a second SIGTERM stops it at
    once, exit 0;
  - `systemd-analyze verify` accepts the shipped unit (scripts/debian/sipshunt.service).
Usage: test_systemd_notify.py SIPSHUNT_BINARY. Exit 77 (skipped) when not root."""
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import sipshunt_config  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def monotonic_usec():
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


class Listener:
    """The service manager's end: every datagram as a dict of assignments, with its arrival time."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.log = []

    def next(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536).decode()
        except socket.timeout:
            return None
        fields = dict(line.split("=", 1) for line in data.split("\n") if "=" in line)
        self.log.append((time.monotonic(), fields))
        return fields

    def wait_for(self, key, timeout, skip_watchdog=True):
        """The next message carrying `key` (other messages are kept in the log)."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            m = self.next(left)
            if m is None:
                return None
            if key in m:
                return m
        return None


def verify_unit(tmp):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        check(False, "systemd-analyze is installed")
        return
    unit = (ROOT / "scripts" / "debian" / "sipshunt.service").read_text().replace("/usr/bin/sipshunt", BIN)
    path = tmp / "sipshunt.service"
    path.write_text(unit)
    p = subprocess.run([tool, "verify", "--man=no", str(path)], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0 and p.stderr.strip() == "", f"systemd-analyze verify: exit {p.returncode} {p.stderr!r}")


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (DPDK EAL)")
        return 77
    with tempfile.TemporaryDirectory(prefix="sipshunt-notify-") as tmp:
        tmp = pathlib.Path(tmp)
        verify_unit(tmp)
        rules = tmp / "main.rules"
        rules.write_text("rule everything: any => pool core\n")
        config = tmp / "sipshunt.toml"
        config.write_text(sipshunt_config.render(
            "198.18.0.1", rules=[str(rules)],
            pools=[sipshunt_config.pool("core", [("b1", "198.18.0.21")], health={"enabled": False})],
            admin={"enabled": False},
            dpdk={"eal_args": ["--no-huge", "-m", "256"], "workers": 1},
            dpdk_ports=[sipshunt_config.dpdk_port("lan", "net_null0", "", "198.18.0.1", 24)]))
        sock_path = str(tmp / "notify.sock")
        listener = Listener(sock_path)
        env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "WATCHDOG_PID")}
        env.update(NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="300000")
        log = open(tmp / "sipshunt.log", "wb")
        proc = subprocess.Popen([BIN, "run", "-c", str(config)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            first = listener.next(20)
            check(first is not None and first.get("STATUS", "").startswith("loading "),
                  f"first message while starting: STATUS=loading ... ({first})")
            # A reload request while the EAL starts: held, not fatal (main() blocks SIGHUP).
            proc.send_signal(signal.SIGHUP)
            ready = listener.wait_for("READY", 30)
            check(proc.poll() is None, "a SIGHUP during start-up did not kill the process")
            check(ready is not None and ready.get("STATUS", "").startswith("running: SIP on 198.18.0.1:5060"),
                  f"READY=1 with STATUS once the ports are up: {ready}")
            before_ready = [m for _, m in listener.log[:-1]]
            check(not any("RELOADING" in m for m in before_ready), "no RELOADING=1 before READY=1")
            t0 = monotonic_usec()
            reloading = listener.wait_for("RELOADING", 10)
            check(reloading is not None and reloading.get("RELOADING") == "1",
                  f"the start-up SIGHUP became a reload: {reloading}")
            if reloading:
                usec = int(reloading.get("MONOTONIC_USEC", "0"))
                check(abs(usec - t0) < 5_000_000, f"MONOTONIC_USEC={usec} is CLOCK_MONOTONIC now ({t0})")
            done = listener.wait_for("READY", 10)
            check(done is not None and done.get("STATUS", "").endswith("; reloaded")
                  and "generation 2" in done.get("STATUS", ""), f"READY=1 after the reload: {done}")

            # The watchdog: every 150 ms from the control loop.
            t = time.monotonic()
            listener.log.clear()
            while time.monotonic() - t < 1.0:
                listener.next(0.2)
            dogs = sum(1 for _, m in listener.log if m.get("WATCHDOG") == "1")
            check(4 <= dogs <= 9, f"WATCHDOG=1 {dogs} times in 1 s with WATCHDOG_USEC=300000")

            # A broken rule file: RELOADING=1, then READY=1 saying the reload failed and where.
            rules.write_text("rule everything: any => pool nowhere\n")
            t0 = monotonic_usec()
            proc.send_signal(signal.SIGHUP)
            reloading = listener.wait_for("RELOADING", 10)
            check(reloading is not None and int(reloading.get("MONOTONIC_USEC", "0")) >= t0,
                  f"RELOADING=1 with a fresh MONOTONIC_USEC on SIGHUP: {reloading}")
            done = listener.wait_for("READY", 10)
            status = (done or {}).get("STATUS", "")
            check(re.search(r"generation 2, .*last reload FAILED, kept the running state: .*main\.rules:1:\d+: "
                            r"unknown pool 'nowhere'", status) is not None,
                  f"READY=1 after a failed reload, STATUS says so: {status!r}")
            check(proc.poll() is None, "still running after the failed reload")

            # The repaired file, with a stop grace (read when the signal arrives, so a reload sets it).
            rules.write_text("rule everything: any => pool core\n")
            config.write_text(config.read_text() + "[instance]\nstop_grace_ms = 20000\n")
            proc.send_signal(signal.SIGHUP)
            done = listener.wait_for("READY", 10)
            check(done is not None and "generation 3" in done.get("STATUS", "") and "reloaded" in done["STATUS"],
                  f"the repaired file reloads: {done}")

            # SIGTERM: STOPPING=1 saying the grace, still running within it; a second SIGTERM
            # ends the grace at once.
            proc.send_signal(signal.SIGTERM)
            stopping = listener.wait_for("STOPPING", 10)
            check(stopping is not None and stopping.get("STOPPING") == "1"
                  and stopping.get("STATUS", "").startswith("stopping in 20000 ms: not ready"),
                  f"STOPPING=1 with the grace on SIGTERM: {stopping}")
            time.sleep(1.0)
            check(proc.poll() is None, "still running 1 s into a 20 s stop grace")
            t = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=30)
            check(rc == 0 and time.monotonic() - t < 5, f"a second SIGTERM stops at once, exit 0 "
                  f"(exit {rc} after {time.monotonic() - t:.1f} s)")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
            if failures:
                print((tmp / "sipshunt.log").read_text(errors="replace")[-4000:])
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
