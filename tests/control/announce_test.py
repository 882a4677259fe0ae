#!/usr/bin/env python3
"""scripts/bgp/sipshunt-announce against a stand-in /ready and a stand-in birdc (README.md
"Running several instances"): nothing announced before ready, announce after --rise 200s,
withdraw at once on a 503, after --fall polls without an answer (connection refused, timeout),
retry when birdc fails, withdraw on SIGTERM and exit 0. No BIRD and no namespaces: the real
daemon is exercised by integration-scale-out.

usage: announce_test.py SOURCE_ROOT
"""
import http.server
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

GLUE = os.path.join(sys.argv[1], "scripts", "bgp", "sipshunt-announce")
INTERVAL, FALL, RISE, TIMEOUT = 0.1, 5, 2, 0.1
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


class Ready:
    """GET /ready on a fixed port: mode "ok" (200), "drain" (503), "hang" (no answer), "down"
    (nothing listens: connection refused)."""

    def __init__(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.mode = "ok"
        self.server = None
        self.up()

    def up(self):
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if owner.mode == "hang":
                    time.sleep(TIMEOUT * 3)
                code = 200 if owner.mode == "ok" else 503
                body = b'{"ready":true}' if code == 200 else b'{"ready":false,"reason":"draining"}'
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the glue gave up waiting (mode "hang")

            def log_message(self, *args):
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()


def calls(log):
    """[(time, action)] the stand-in birdc recorded."""
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [(float(t), a) for t, a in (line.split() for line in f if line.strip())]


def wait_for(log, n, timeout=3.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = calls(log)
        if len(got) >= n:
            return got
        time.sleep(0.01)
    return calls(log)


def main():
    with tempfile.TemporaryDirectory(prefix="sipshunt-announce-") as tmp:
        log = os.path.join(tmp, "birdc.log")
        fail_flag = os.path.join(tmp, "fail")
        birdc = os.path.join(tmp, "birdc")
        # birdc -s SOCKET ACTION PROTOCOL: records the action; answers as BIRD 2.0.12 does, or
        # with an error while the flag file exists.
        with open(birdc, "w") as f:
            f.write(f'#!/bin/sh\nif [ -e {fail_flag} ]; then echo "Unable to connect to server control socket"; exit 1; fi\n'
                    f'echo "$(date +%s.%N) $3" >> {log}\necho "BIRD 2.0.12 ready."\necho "$4: $3d"\n')
        os.chmod(birdc, 0o755)
        ready = Ready()
        glue = subprocess.Popen([sys.executable, GLUE, "--ready-url", f"http://127.0.0.1:{ready.port}/ready",
                                 "--socket", os.path.join(tmp, "bird.ctl"), "--birdc", birdc,
                                 "--interval-ms", str(int(INTERVAL * 1000)), "--timeout-ms", str(int(TIMEOUT * 1000)),
                                 "--fall", str(FALL), "--rise", str(RISE)],
                                stderr=open(os.path.join(tmp, "glue.log"), "w"))
        try:
            got = wait_for(log, 2)
            check([a for _, a in got[:2]] == ["disable", "enable"],
                  f"at start: withdrawn until ready, announced after {RISE} 200s ({got})")

            ready.mode = "drain"
            t = time.time()
            got = wait_for(log, 3)
            took = got[2][0] - t if len(got) >= 3 else None
            check(len(got) == 3 and got[2][1] == "disable" and took < (FALL - 1) * INTERVAL,
                  f"a 503 withdraws at the next poll, not after {FALL} ({took and round(took, 3)} s)")
            ready.mode = "ok"
            got = wait_for(log, 4)
            check(len(got) == 4 and got[3][1] == "enable", "200 again: announced again")

            ready.down()
            t = time.time()
            got = wait_for(log, 5)
            took = got[4][0] - t if len(got) >= 5 else None
            check(len(got) == 5 and got[4][1] == "disable" and (FALL - 1) * INTERVAL <= took < FALL * INTERVAL + 0.5,
                  f"connection refused: withdrawn after {FALL} polls ({took and round(took, 3)} s)")
            ready.up()
            got = wait_for(log, 6)
            check(len(got) == 6 and got[5][1] == "enable", "listening again: announced")

            ready.mode = "hang"
            t = time.time()
            got = wait_for(log, 7)
            took = got[6][0] - t if len(got) >= 7 else None
            check(len(got) == 7 and got[6][1] == "disable" and took >= FALL * TIMEOUT,
                  f"no answer within the timeout: withdrawn after {FALL} timeouts ({took and round(took, 3)} s)")

            open(fail_flag, "w").close()   # birdc fails: the glue must try again
            ready.mode = "ok"
            time.sleep(RISE * INTERVAL + TIMEOUT * 3 + 0.3)
            os.unlink(fail_flag)
            got = wait_for(log, 8)
            check(len(got) == 8 and got[7][1] == "enable", "a failed birdc is retried at the next poll")

            time.sleep(0.3)
            check(len(calls(log)) == 8, "no birdc call while nothing changes")
            glue.send_signal(signal.SIGTERM)
            rc = glue.wait(timeout=10)
            got = calls(log)
            check(rc == 0 and len(got) == 9 and got[8][1] == "disable", f"SIGTERM: withdrawn, exit 0 (exit {rc})")
        finally:
            if glue.poll() is None:
                glue.kill()
                glue.wait()
            with open(os.path.join(tmp, "glue.log")) as f:
                print(f.read())
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
