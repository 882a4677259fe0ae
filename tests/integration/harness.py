"""Integration test harness: namespaces, sipshunt on net_af_packet, sipp backends and callers.

Each test builds its own topology with a per-run suffix (scripts/netns-topo.sh), runs sipshunt
in the proxy namespace with --no-huge (no hugepages needed, tests may run side by side), and
removes everything on exit, also when it fails or is killed (SIGTERM from meson's timeout).
Exit code 77 (meson: skipped) when not root or sipp is missing. Env is the one-armed topology;
shapes.ShapeEnv overrides its topology and ports (topology_up/down, dpdk_ports, the addresses) for
the other deployment shapes.
"""
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import sipplog  # noqa: E402
import sipshunt_config  # noqa: E402

SKIP = 77
PROXY_IP = "198.18.0.1"
CLIENT_IP = "198.18.0.10"
SCENARIOS = os.path.join(ROOT, "scripts", "sipp")


def backend_ip(i):
    return f"198.18.0.{20 + i}"


def require_environment():
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)")
        sys.exit(SKIP)
    for tool in ("sipp", "ip"):
        if shutil.which(tool) is None:
            print(f"SKIP: {tool} not installed")
            sys.exit(SKIP)


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)
    print(f"ok: {message}")


class Env:
    """with Env(sipshunt, "calls") as env: ... — the whole topology, torn down on exit."""

    def __init__(self, sipshunt, name, backends=3):
        self.sipshunt = sipshunt
        self.name = name
        self.nbackends = backends
        self.sfx = f"{name[:2]}{os.getpid() & 0xffff:04x}"
        self.work = tempfile.mkdtemp(prefix=f"sipshunt-it-{name}-")
        self.procs = []
        self.proxy = None
        self.stats_path = os.path.join(self.work, "stats.json")
        self._up = False
        # Where sipp and the callers talk to (ShapeEnv in shapes.py changes them per shape).
        self.proxy_ip = PROXY_IP
        self.client_ip = CLIENT_IP

    # -- lifecycle
    def __enter__(self):
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        atexit.register(self.teardown)
        print(f"topology suffix {self.sfx}, work folder {self.work}")
        self.topology_up()
        self._up = True
        return self

    def topology_up(self):
        subprocess.run([os.path.join(ROOT, "scripts", "netns-topo.sh"), "up", self.sfx, str(self.nbackends)], check=True)

    def topology_down(self):
        subprocess.run([os.path.join(ROOT, "scripts", "netns-topo.sh"), "down", self.sfx], check=False)

    def build_or_clean(self, build):
        """Runs `build` (a subclass's own topology); on any failure what it made is torn down."""
        try:
            build()
        except BaseException:
            self.topology_down()
            raise

    def __exit__(self, exc_type, exc, tb):
        failed = exc_type is not None
        if failed:
            self.dump_logs()
        self.teardown(keep=failed and os.environ.get("SIPSHUNT_KEEP") == "1")
        return False

    def _on_signal(self, signum, frame):
        raise SystemExit(128 + signum)

    def teardown(self, keep=False):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        deadline = time.time() + 10
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        if self._up:
            self.topology_down()
            self._up = False
        if not keep and os.path.isdir(self.work):
            shutil.rmtree(self.work, ignore_errors=True)

    def dump_logs(self):
        if os.path.exists(self.stats_path):
            try:
                st = self.stats()
                print("---- proxy counters: ports", st["ports"], "dataplane",
                      {k: v for k, v in st["dataplane"].items() if v and k != "drops"},
                      "drops", {k: v for k, v in st["dataplane"]["drops"].items() if v},
                      "sip", {k: v for k, v in st["sip"]["reasons"].items() if v}, "workers", st["workers"])
            except (OSError, ValueError, KeyError) as e:
                print(f"---- proxy counters unreadable: {e}")
        for f in sorted(os.listdir(self.work)) if os.path.isdir(self.work) else []:
            if f.endswith((".log", ".out", ".err")):
                path = os.path.join(self.work, f)
                with open(path, errors="replace") as fh:
                    tail = fh.read()[-3000:]
                print(f"---- {f} (tail)\n{tail}")

    # -- namespaces
    def ns(self, role):
        return {"client": f"cli-{self.sfx}", "proxy": f"px-{self.sfx}"}.get(role) or f"be{role}-{self.sfx}"

    def backend_ip(self, i):
        return backend_ip(i)

    def popen(self, ns, args, log):
        fh = open(os.path.join(self.work, log), "w")
        p = subprocess.Popen(["ip", "netns", "exec", ns] + args, stdout=fh, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, cwd=self.work)
        self.procs.append(p)
        return p

    def path(self, name):
        return os.path.join(self.work, name)

    # -- sipshunt
    def config(self, workers=1, rules=None, extra="", device="net_af_packet0", devargs="iface=eth0",
               backends=None, health=None, admin=None, mbufs=True, hep=None, eal_args=None):
        """sipshunt.toml: pool core of b1..bN (or `backends`, a list of host numbers), health checks
        off unless `health` gives the [pools.health] keys, the admin API only with `admin`, one
        port on the proxy host's eth0. mbufs=False leaves the pool size at its default; `hep` the
        [hep] keys; `eal_args` replaces the memory arguments (default --no-huge -m 512)."""
        rules = rules or os.path.join(ROOT, "dispatch-rules", "default.rules")
        hosts = backends if backends is not None else range(1, self.nbackends + 1)
        # One lcore per worker plus the main lcore; more lcores than CPUs share them.
        lcores = ["--lcores", f"(0-{workers})@(0-{min(workers, os.cpu_count() - 1)})"] if workers > 1 else []
        return sipshunt_config.render(
            self.proxy_ip, port=5060, rules=[rules],
            pools=[sipshunt_config.pool("core", [(f"b{i}", self.backend_ip(i)) for i in hosts], health or {"enabled": False})],
            admin=admin, log_level="info",
            dpdk={"eal_args": [*(eal_args or ["--no-huge", "-m", "512"]), *lcores], "workers": workers,
                  "mbufs": (8191 if workers == 1 else 16383) if mbufs else None},
            dpdk_ports=self.dpdk_ports(device, devargs), extra=extra, hep=hep)

    def dpdk_ports(self, device, devargs):
        """The [[dpdk.ports]] of the proxy host: one port, one network (ShapeEnv: per shape)."""
        return [sipshunt_config.dpdk_port("lan", device, devargs, PROXY_IP, 24)]

    def start_proxy(self, tap=False, **kw):
        """tap: the port is a net_tap device instead, bridged to eth0 inside the proxy host (the
        checksum-offload path: net_tap offers rx/tx checksum offloads)."""
        cfg = self.path("sipshunt.toml")
        px = self.ns("proxy")
        if tap:
            kw.update(device="net_tap0", devargs="iface=sstap0,mac=02:00:c6:12:00:01")
            for cmd in (["link", "add", "brpx", "type", "bridge", "forward_delay", "0", "stp_state", "0"],
                        ["link", "set", "eth0", "master", "brpx"], ["link", "set", "brpx", "up"]):
                subprocess.run(["ip", "-n", px] + cmd, check=True)
        with open(cfg, "w") as f:
            f.write(self.config(**kw))
        self.proxy = self.popen(self.ns("proxy"), [self.sipshunt, "run", "-c", cfg, "--stats-file", self.stats_path,
                                                   "--stats-interval", "0.2"], "sipshunt.log")
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(self.stats_path):
                if tap:
                    # The kernel side of the tap must not share the DPDK port's MAC, or the bridge
                    # would keep frames for it.
                    for cmd in (["link", "set", "sstap0", "address", "02:00:00:00:aa:01"],
                                ["link", "set", "sstap0", "master", "brpx"], ["link", "set", "sstap0", "up"]):
                        subprocess.run(["ip", "-n", px] + cmd, check=True)
                return
            if self.proxy.poll() is not None:
                raise Failure(f"sipshunt exited with {self.proxy.returncode} at start")
            time.sleep(0.1)
        raise Failure("sipshunt did not start within 30 s")

    def stop_proxy(self):
        self.proxy.send_signal(signal.SIGTERM)
        rc = self.proxy.wait(timeout=30)
        check(rc == 0, f"sipshunt stopped cleanly on SIGTERM (exit {rc})")
        return self.stats()

    def stats(self):
        with open(self.stats_path) as f:
            return json.load(f)

    # -- sipp
    def start_backends(self, scenario="uas.xml", extra=(), tag=""):
        """sipp on every backend host; `tag` names this set's logs (several sets one after another)."""
        procs = []
        for i in range(1, self.nbackends + 1):
            procs.append(self.popen(self.ns(i), ["sipp", "-sf", os.path.join(SCENARIOS, scenario), "-i", self.backend_ip(i),
                                                 "-p", "5060", "-trace_msg", "-message_file",
                                                 self.path(f"b{i}{tag}.messages"), "-nostdin", "-timeout", "600s", *extra],
                                    f"b{i}{tag}.out"))
        time.sleep(0.5)
        return procs

    def backend_logs(self, tag=""):
        return {f"b{i}": self.path(f"b{i}{tag}.messages") for i in range(1, self.nbackends + 1)}

    def backend_of_calls(self):
        """{Call-ID: address of the backend whose sipp log has its requests}."""
        return {cid: backend_ip(int(name[1:])) for name, log in self.backend_logs().items()
                for cid in sipplog.received_requests(log)}

    def calls_at_backends(self):
        """From the backends' message logs: (owner, per_backend, incomplete). owner maps each Call-ID
        to the one backend that saw it (Failure if two did), per_backend counts INVITEd calls per
        backend, incomplete lists the Call-IDs whose INVITE, ACK or BYE did not all arrive there."""
        owner, per_backend, incomplete = {}, {}, []
        for name, log in self.backend_logs().items():
            calls = sipplog.received_requests(log)
            per_backend[name] = sum(1 for c in calls.values() if c["INVITE"])
            for cid, methods in calls.items():
                if cid in owner:
                    raise Failure(f"Call-ID {cid} reached both {owner[cid]} and {name}")
                owner[cid] = name
                if not (methods["INVITE"] >= 1 and methods["ACK"] >= 1 and methods["BYE"] >= 1):
                    incomplete.append((cid, name, dict(methods)))
        return owner, per_backend, incomplete

    def check_calls_at_backends(self, calls):
        """Checks that the backends saw `calls` distinct Call-IDs, each call's INVITE, ACK and BYE at
        one backend; returns the calls per backend."""
        owner, per_backend, incomplete = self.calls_at_backends()
        check(len(owner) == calls, f"the backends saw {len(owner)} distinct Call-IDs, one per call")
        check(not incomplete, f"each Call-ID's INVITE, ACK and BYE reached the same backend ({len(incomplete)} exceptions"
              f"{': ' + str(incomplete[:3]) if incomplete else ''})")
        return per_backend

    def run_caller(self, scenario, calls, rate, cid="it-%u@%s", timeout=None, extra=(), wait=True):
        timeout = timeout or int(calls / rate) + 60
        remote = f"[{self.proxy_ip}]:5060" if ":" in self.proxy_ip else f"{self.proxy_ip}:5060"
        args = ["timeout", str(timeout + 30), "sipp", remote, "-sf", os.path.join(SCENARIOS, scenario),
                "-i", self.client_ip, "-p", "5060", "-m", str(calls), "-r", str(rate), "-nostdin",
                "-cid_str", cid, "-recv_timeout", "15000", "-timeout", f"{timeout}s",
                "-trace_stat", "-stf", self.path("caller.csv"), "-trace_err", "-error_file", self.path("caller.err"),
                *extra]
        p = self.popen(self.ns("client"), args, "caller.out")
        if not wait:
            return p
        return self.wait_caller(p, timeout + 60)

    def wait_caller(self, p, timeout):
        rc = p.wait(timeout=timeout)
        created, ok, failed = sipplog.uac_totals(self.path("caller.csv"))
        print(f"caller: exit {rc}, {created} calls created, {ok} successful, {failed} failed")
        return rc, created, ok, failed


def call_legs(backend):
    """What a uac.xml/uas.xml call through the proxy puts on the wire, as (method or status, CSeq
    method, source, destination): INVITE, its 200, ACK and BYE, each on the client's leg and on
    the backend's."""
    legs = set()
    for what, cseq, towards_backend in (("INVITE", "INVITE", True), ("200", "INVITE", False), ("ACK", "ACK", True),
                                        ("BYE", "BYE", True)):
        if towards_backend:
            legs |= {(what, cseq, CLIENT_IP, PROXY_IP), (what, cseq, PROXY_IP, backend)}
        else:
            legs |= {(what, cseq, backend, PROXY_IP), (what, cseq, PROXY_IP, CLIENT_IP)}
    return legs


def main(test):
    """Runs test(sipshunt_path) with the environment checks; exit 0 pass, 1 fail, 77 skip."""
    require_environment()
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        print("usage: test.py PATH/TO/sipshunt")
        return 2
    try:
        test(os.path.abspath(sys.argv[1]))
    except Failure as e:
        print(f"FAIL: {e}")
        return 1
    print("PASS")
    return 0
