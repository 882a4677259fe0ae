"""Helpers for the health/admin/reload integration tests on top of harness.Env.

HealthEnv writes a config with health checks and the admin API on, and starts the sipp backends
with -aa (sipp then answers our OPTIONS probes with 200). Admin talks to the admin API inside
the proxy's network namespace from a thread that joined it (setns), so the test itself stays in
the root namespace. prom_parse() is a strict Prometheus text-format parser (and promtool runs
too when installed).
"""
import ctypes
import http.client
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time

from harness import Env, Failure, backend_ip, check

CLONE_NEWNET = 0x40000000
ADMIN_PORT = 8080
PROBE_PREFIX = "sipshunt-probe-"


class HealthEnv(Env):
    """Env with health checks (interval/timeout/fall/rise per pool) and the admin API."""

    # Defaults are the defaults (1 s, 500 ms, 3, 2): a 100 ms timeout is only for tests
    # that measure detection, as a loaded 2-core host can stall a process for that long.
    def __init__(self, sipshunt, name, backends=3, interval_ms=1000, timeout_ms=500, fall=3, rise=2):
        super().__init__(sipshunt, name, backends=backends)
        self.health = dict(interval_ms=interval_ms, timeout_ms=timeout_ms, fall=fall, rise=rise)
        self.pool_backends = list(range(1, backends + 1))  # which backend hosts the config lists
        self.rules_path = None
        self.backend_procs = {}

    def config(self, workers=1, rules=None, extra=""):
        return super().config(workers, rules or self.rules_path, extra, backends=self.pool_backends,
                              health={"enabled": True, **self.health},
                              admin={"address": "127.0.0.1", "port": ADMIN_PORT}, mbufs=False)

    def start_proxy_until_up(self):
        """Starts sipshunt, waits for its admin API, then for the backends the config lists to be
        configured and up. Returns the Admin client."""
        self.start_proxy()
        admin = Admin(self.ns("proxy"))
        admin.wait_ready()
        n = len(self.pool_backends)

        def all_up():
            states = backend_states(admin.status())
            return len(states) == n and all(b["up"] for b in states.values())
        check(wait_until(all_up, 10) is not None, f"the {n} configured backends are up")
        return admin

    def write_config(self):
        with open(self.path("sipshunt.toml"), "w") as f:
            f.write(self.config())

    def start_backend(self, i, scenario="uas.xml", log_suffix="", extra=()):
        """sipp UAS on backend i, answering OPTIONS (-aa). Its messages go to b{i}{suffix}.messages."""
        from harness import SCENARIOS
        p = self.popen(self.ns(i), ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-i", backend_ip(i), "-p", "5060",
                                    "-aa", "-trace_msg", "-message_file", self.path(f"b{i}{log_suffix}.messages"),
                                    "-nostdin", "-timeout", "600s", *extra], f"b{i}{log_suffix}.out")
        self.backend_procs[i] = p
        return p

    def start_backends(self, scenario="uas.xml", extra=()):
        for i in range(1, self.nbackends + 1):
            self.start_backend(i, scenario, extra=extra)
        time.sleep(0.5)

    def kill_backend(self, i):
        """SIGKILL: the host stays, the SIP server vanishes (no goodbye).
        Returns (monotonic, unix) times taken right after the signal."""
        p = self.backend_procs.pop(i)
        p.kill()
        t, wall = time.monotonic(), time.time()
        p.wait()
        return t, wall

    def log_time(self, pattern, after=0.0):
        """Unix time of the first line of sipshunt.log matching `pattern` (a regex) at or after
        `after`, from spdlog's millisecond timestamps; None when there is none."""
        import datetime
        with open(self.path("sipshunt.log"), errors="replace") as f:
            for line in f:
                m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ", line)
                if not m or not re.search(pattern, line):
                    continue
                t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
                if t >= after - 0.001:
                    return t
        return None


class Admin:
    """HTTP to the admin API inside network namespace `netns`, from a thread that joined it."""

    def __init__(self, netns, port=ADMIN_PORT):
        self.port = port
        self._q = queue.Queue()
        self._ready = threading.Event()
        self._error = None
        self._t = threading.Thread(target=self._run, args=(netns,), daemon=True)
        self._t.start()
        self._ready.wait(10)
        if self._error:
            raise Failure(f"cannot join namespace {netns}: {self._error}")

    def _run(self, netns):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            os.close(fd)
        except Exception as e:  # noqa: BLE001
            self._error = str(e)
            self._ready.set()
            return
        self._ready.set()
        while True:
            item = self._q.get()
            if item is None:
                return
            method, path, timeout, out = item
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                c.request(method, path)
                r = c.getresponse()
                out.put((r.status, r.read().decode("utf-8"), dict(r.getheaders())))
                c.close()
            except Exception as e:  # noqa: BLE001
                out.put((None, str(e), {}))

    def request(self, method, path, timeout=30):
        out = queue.Queue()
        self._q.put((method, path, timeout, out))
        return out.get(timeout=timeout + 5)

    def get_json(self, path):
        status, body, _ = self.request("GET", path)
        if status != 200:
            raise Failure(f"GET {path}: {status} {body}")
        return json.loads(body)

    def status(self):
        return self.get_json("/status")

    def metrics_text(self):
        status, body, headers = self.request("GET", "/metrics")
        if status != 200:
            raise Failure(f"GET /metrics: {status} {body}")
        return body

    def metrics(self):
        return prom_parse(self.metrics_text())

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            status, body, _ = self.request("GET", "/status", timeout=2)
            if status == 200:
                return json.loads(body)
            last = body
            time.sleep(0.1)
        raise Failure(f"admin API did not answer within {timeout} s ({last})")

    def close(self):
        self._q.put(None)


def backend_states(status):
    """{name: {"up": bool, "admin": str, ...}} from /status."""
    return {b["name"]: b for p in status["pools"] for b in p["backends"]}


def wait_until(pred, timeout, interval=0.01):
    """Polls pred() until true; returns the monotonic time it became true, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return time.monotonic()
        time.sleep(interval)
    return None


# ---- Prometheus text format, strictly (what the admin API must produce)

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def prom_parse(text):
    """{family: {"type", "help", "samples": {frozenset(labels): value}}}; raises Failure on any fault.
    A histogram X's series are under X_bucket, X_sum and X_count."""
    fams = {}
    current = None
    closed = set()
    if text and not text.endswith("\n"):
        raise Failure("metrics: last line lacks a newline")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        def bad(why):
            raise Failure(f"metrics line {n}: {why}: {line!r}")
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, rest = line[2:6], line[7:]
            m = _NAME.match(rest)
            if not m or len(rest) == m.end() or rest[m.end()] != " ":
                bad("bad HELP/TYPE")
            name, arg = m.group(0), rest[m.end() + 1:]
            if name != current:
                if name in closed:
                    bad("family split")
                if current:
                    closed.add(current)
                current = name
            f = fams.setdefault(name, {"type": None, "help": None, "samples": {}})
            if f["samples"]:
                bad("HELP/TYPE after samples")
            if kind == "TYPE":
                if f["type"] or arg not in ("counter", "gauge", "histogram", "summary", "untyped"):
                    bad("bad or repeated TYPE")
                f["type"] = arg
            else:
                if f["help"] is not None or re.search(r"\\[^\\n]", arg.replace("\\\\", "")):
                    bad("bad or repeated HELP")
                f["help"] = arg
            continue
        if line.startswith("#"):
            continue
        m = _NAME.match(line)
        if not m:
            bad("bad metric name")
        name, i = m.group(0), m.end()
        labels = {}
        if i < len(line) and line[i] == "{":
            i += 1
            while True:
                if line[i] == "}":
                    i += 1
                    break
                if labels:
                    if line[i] != ",":
                        bad("expected ,")
                    i += 1
                lm = _LABEL.match(line, i)
                if not lm or line[lm.end():lm.end() + 2] != '="':
                    bad("bad label")
                key, i, val = lm.group(0), lm.end() + 2, ""
                while True:
                    c = line[i]
                    i += 1
                    if c == '"':
                        break
                    if c == "\\":
                        e = line[i]
                        i += 1
                        val += {"\\": "\\", '"': '"', "n": "\n"}.get(e) or bad("bad escape")
                    else:
                        val += c
                if key in labels:
                    bad("repeated label")
                labels[key] = val
        if line[i:i + 1] != " ":
            bad("no value")
        parts = line[i + 1:].split(" ")
        if len(parts) not in (1, 2):
            bad("junk after value")
        try:
            value = float(parts[0].replace("Inf", "inf")) if parts[0] != "NaN" else float("nan")
        except ValueError:
            bad("bad value")
        family = name
        if name != current and current and fams[current]["type"] == "histogram":
            for suffix in ("_bucket", "_sum", "_count"):
                if name == current + suffix:
                    family = current
                    if (suffix == "_bucket") != ("le" in labels):
                        bad("le on a non-bucket series or missing")
        if family != current or fams[family]["type"] is None:
            bad("sample outside its family")
        if family != name:  # a histogram's series, found under their own names
            fams.setdefault(name, {"type": "histogram" + name[len(family):], "help": None, "samples": {}})
        key = frozenset(labels.items())
        if key in fams[name]["samples"]:
            bad("duplicate series")
        if fams[name]["type"] == "counter" and not value >= 0:
            bad("negative counter")
        fams[name]["samples"][key] = value
    return fams


def sample(fams, name, **labels):
    return fams[name]["samples"][frozenset(labels.items())]


def promtool_check(text, work):
    """Runs promtool check metrics when installed; returns its complaint or None."""
    tool = shutil.which("promtool")
    if tool is None:
        return None
    r = subprocess.run([tool, "check", "metrics"], input=text, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip()
    return None if r.returncode == 0 and not out else out or f"exit {r.returncode}"


def is_probe(call_id):
    return call_id.startswith(PROBE_PREFIX)


# ---- sipp message logs with their timestamps

_TSEP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)", re.M)


def timed_messages(path):
    """[(unix_time, direction, method or None, status or None, call_id)] of a -message_file."""
    import datetime
    if not os.path.exists(path):
        return []
    with open(path, "r", errors="replace") as f:
        text = f.read()
    out = []
    parts = _TSEP.split(text)
    # parts: [before, ts1, chunk1, ts2, chunk2, ...]
    for ts, chunk in zip(parts[1::2], parts[2::2]):
        fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in ts else "%Y-%m-%d %H:%M:%S"
        t = datetime.datetime.strptime(ts, fmt).timestamp()
        d = re.search(r"^(\w+) message (received|sent)", chunk, re.M)
        if not d:
            continue
        lines = chunk.split("\n")
        i = 0
        while i < len(lines) and not re.match(r"^\w+ message (received|sent)", lines[i]):
            i += 1
        i += 1
        while i < len(lines) and lines[i].strip() == "":
            i += 1
        if i >= len(lines):
            continue
        start = lines[i].strip()
        cid = re.search(r"^(?:Call-ID|i)\s*:\s*(.*?)\s*$", chunk, re.M | re.I)
        cid = cid.group(1) if cid else ""
        if start.startswith("SIP/2.0"):
            p = start.split(" ")
            out.append((t, d.group(2), None, int(p[1]) if len(p) > 1 and p[1].isdigit() else 0, cid))
        else:
            out.append((t, d.group(2), start.split(" ")[0], None, cid))
    return out


def received_calls(path, since=0.0, until=float("inf")):
    """{call_id: {"first": t, "methods": {method: [times]}}} of non-probe requests received."""
    calls = {}
    for t, direction, method, _, cid in timed_messages(path):
        if direction != "received" or method is None or is_probe(cid) or not (since <= t < until):
            continue
        c = calls.setdefault(cid, {"first": t, "methods": {}})
        c["methods"].setdefault(method, []).append(t)
    return calls
