"""The "Running several instances" topology of README.md as namespaces, for test_scale_out.py:
two sipshunt instances behind a router that spreads the service address (VIP) over them by ECMP,
each instance announcing the VIP over BGP from its own BIRD (scripts/bgp/) while its glue
(scripts/bgp/sipshunt-announce) finds sipshunt ready.

  rt-SFX    the router: BIRD (scripts/bgp/bird-router.conf as shipped), IPv4 forwarding, L4 ECMP
            hash (net.ipv4.fib_multipath_hash_policy=1). cli 198.18.0.254/24 (client),
            farm 198.19.0.254/24 (a bridge to the backends), dI 198.18.I.254/24 (instance I's
            data port), mI 198.18.1I.254/24 (instance I's management link)
  cli-SFX   the client, 198.18.0.10, default route via the router
  beN-SFX   sipp backends 198.19.0.2N, default route via the router
  pxI-SFX   instance I: eth0 = its DPDK af_packet data port (198.18.I.1/24 in sipshunt's config,
            gateway 198.18.I.254, service address 198.18.100.1; no kernel address), mgmt =
            198.18.1I.1/24 in the kernel, where BIRD (scripts/bgp/bird-instance.conf with this
            instance's defines) speaks eBGP and BFD to the router, and where the admin API and
            the glue are (127.0.0.1:8080 in this namespace)
Everything is removed on exit (Env.teardown).
"""
import json
import os
import re
import subprocess
import sys
import threading
import time

from harness import ROOT, Env, Failure, sipshunt_config
from health_lib import Admin

VIP = "198.18.100.1"
CLIENT_IP = "198.18.0.10"
ROUTER_AS, INSTANCE_AS = 65000, 65101
BGP_DIR = os.path.join(ROOT, "scripts", "bgp")
GLUE = os.path.join(BGP_DIR, "sipshunt-announce")
ADMIN_PORT = 8080


def data_addr(i):
    return f"198.18.{i}.1"


def mgmt_addr(i):
    return f"198.18.{10 + i}.1"


def farm_ip(n):
    return f"198.19.0.{20 + n}"


def with_defines(text, defines):
    """A BIRD config with its `define NAME = ...;` lines set to `defines` (each must exist)."""
    for name, value in defines.items():
        text, n = re.subn(rf"^define {name}\s*=\s*[^;]*;", f"define {name} = {value};", text, flags=re.M)
        if n != 1:
            raise Failure(f"no 'define {name}' in the BIRD config")
    return text


class RouteWatch(threading.Thread):
    """Polls `ip route show VIP` in the router every 20 ms; .changes is [(monotonic, unix time,
    frozenset of next-hop addresses)], one entry per change."""

    def __init__(self, router_ns):
        super().__init__(daemon=True)
        self.ns = router_ns
        self.changes = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def nexthops(self):
        r = subprocess.run(["ip", "-n", self.ns, "route", "show", VIP], capture_output=True, text=True)
        return frozenset(re.findall(r"via (\S+)", r.stdout))

    def run(self):
        last = None
        while not self._stop.is_set():
            hops = self.nexthops()
            if hops != last:
                with self._lock:
                    self.changes.append((time.monotonic(), time.time(), hops))
                last = hops
            time.sleep(0.02)

    def current(self):
        with self._lock:
            return self.changes[-1][2] if self.changes else frozenset()

    def wait_for(self, pred, timeout):
        """Waits until pred(next hops) holds; returns (monotonic, unix) of the change that made it
        hold (the watcher's own time, not this call's), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.changes and pred(self.changes[-1][2]):
                    return self.changes[-1][:2]
            time.sleep(0.01)
        return None

    def stop(self):
        self._stop.set()


# A process that sleeps 10 ms in a loop and writes down every wake-up more than 100 ms late
# ("monotonic start, seconds late"): this shared VM at times runs none of our processes for a
# second or more, and a failover measured across such a stall says nothing about our timers.
# sipp's receive timeout for the callers (-recv_timeout): a message unanswered this long fails its call.
RECV_TIMEOUT = 20.0


STALL_WATCH = """
import sys, time
out = open(sys.argv[1], "w", buffering=1)
while True:
    t = time.monotonic()
    time.sleep(0.01)
    late = time.monotonic() - t - 0.01
    if late > 0.1:
        out.write(f"{t:.3f} {late:.3f}\\n")
"""


def stalls(path, start, end):
    """Seconds of host stalls (from STALL_WATCH's file) that overlap [start, end] (monotonic)."""
    total = 0.0
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                t, late = map(float, line.split())
                total += max(0.0, min(end, t + late) - max(start, t))
    return total


class ScaleEnv(Env):
    """Env (harness.py) over the topology above; start_bird / start_glue / start_instance per
    instance. `stop_grace_ms` goes to every instance's [instance] table."""

    # The glue's HTTP timeout is long: this host (a shared 2-core VM) sometimes stalls every
    # process for a second or more, and a timed-out poll counts towards --fall. A killed
    # sipshunt is still noticed at once: its admin socket refuses (or resets) connections as
    # soon as the kernel has ended the process.
    def __init__(self, sipshunt, instances=2, backends=3, glue_interval_ms=100, glue_fall=3, glue_rise=2,
                 glue_timeout_ms=1500, stop_grace_ms=3000):
        super().__init__(sipshunt, "scale", backends)
        self.sfx = f"so{os.getpid() & 0xffff:04x}"
        self.ninstances = instances
        self.glue = dict(interval_ms=glue_interval_ms, fall=glue_fall, rise=glue_rise, timeout_ms=glue_timeout_ms)
        self.stop_grace_ms = stop_grace_ms
        self.namespaces = []
        self.instances = {}   # i: Popen of sipshunt
        self.admins = {}
        self.proxy_ip, self.client_ip = VIP, CLIENT_IP
        self.watch = None

    def ns(self, role):
        if role == "router":
            return f"rt-{self.sfx}"
        if isinstance(role, str) and role.startswith("px"):
            return f"{role}-{self.sfx}"
        return super().ns(role)

    def backend_ip(self, i):
        return farm_ip(i)

    # -- topology
    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True)

    def _sysctl(self, ns, *settings):
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", *settings], check=True)

    def _ns(self, name):
        self._ip("netns", "add", name)
        self.namespaces.append(name)
        self._sysctl(name, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        self._ip("-n", name, "link", "set", "lo", "up")

    def _veth(self, ns, ifname, peer_ns, peer, address=None, peer_address=None):
        """A veth ns:ifname <-> peer_ns:peer, both up, transmit checksum offload off (af_packet
        would hand sipshunt UDP datagrams whose checksum the kernel never filled in)."""
        self._ip("link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", peer, "netns", peer_ns)
        for where, dev, addr in ((ns, ifname, address), (peer_ns, peer, peer_address)):
            subprocess.run(["ip", "netns", "exec", where, "ethtool", "-K", dev, "tx", "off"], capture_output=True)
            if addr:
                self._ip("-n", where, "addr", "add", addr, "dev", dev)
            self._ip("-n", where, "link", "set", dev, "up")

    def topology_up(self):
        self.build_or_clean(self._build)

    def _build(self):
        rt = self.ns("router")
        self._ns(rt)
        # Forwarding with the L4 ECMP hash; no reverse-path filter (the VIP's replies leave the
        # instances towards the router by whichever instance handled them).
        self._sysctl(rt, "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=1",
                     "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
        cli = self.ns("client")
        self._ns(cli)
        self._veth(cli, "eth0", rt, "cli", f"{CLIENT_IP}/24", "198.18.0.254/24")
        self._ip("-n", cli, "route", "add", "default", "via", "198.18.0.254")
        self._ip("-n", rt, "link", "add", "farm", "type", "bridge", "forward_delay", "0", "stp_state", "0")
        self._ip("-n", rt, "addr", "add", "198.19.0.254/24", "dev", "farm")
        self._ip("-n", rt, "link", "set", "farm", "up")
        for n in range(1, self.nbackends + 1):
            be = self.ns(n)
            self._ns(be)
            self._veth(be, "eth0", rt, f"fb{n}", f"{farm_ip(n)}/24")
            self._ip("-n", rt, "link", "set", f"fb{n}", "master", "farm")
            self._ip("-n", be, "route", "add", "default", "via", "198.19.0.254")
        for i in range(1, self.ninstances + 1):
            px = self.ns(f"px{i}")
            self._ns(px)
            self._veth(px, "eth0", rt, f"d{i}", None, f"198.18.{i}.254/24")
            self._veth(px, "mgmt", rt, f"m{i}", f"{mgmt_addr(i)}/24", f"198.18.{10 + i}.254/24")
            self._sysctl(rt, f"net.ipv4.conf.d{i}.rp_filter=0")

    def topology_down(self):
        if self.watch:
            self.watch.stop()
        for name in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", name], check=False)
        self.namespaces = []

    # -- BIRD and the glue
    def start_bird(self, ns, conf_text, name):
        conf = self.path(f"{name}.conf")
        with open(conf, "w") as f:
            f.write(conf_text)
        r = subprocess.run(["bird", "-p", "-c", conf], capture_output=True, text=True)
        if r.returncode != 0:
            raise Failure(f"bird -p -c {name}.conf: {r.stderr.strip()}")
        sock = self.path(f"{name}.ctl")
        self.popen(ns, ["bird", "-f", "-c", conf, "-s", sock, "-P", self.path(f"{name}.pid")], f"{name}.log")
        return sock

    def start_routing(self):
        """The router's BIRD (the shipped config), each instance's BIRD and glue, and the route
        watcher."""
        with open(os.path.join(BGP_DIR, "bird-router.conf")) as f:
            self.start_bird(self.ns("router"), f.read(), "bird-router")
        with open(os.path.join(BGP_DIR, "bird-instance.conf")) as f:
            template = f.read()
        for i in range(1, self.ninstances + 1):
            sock = self.start_bird(self.ns(f"px{i}"), with_defines(template, {
                "INSTANCE_ID": mgmt_addr(i), "MGMT_ADDR": mgmt_addr(i), "ROUTER_ADDR": f"198.18.{10 + i}.254",
                "LOCAL_AS": INSTANCE_AS, "ROUTER_AS": ROUTER_AS, "DATA_ADDR": data_addr(i), "VIP4": f"{VIP}/32"}),
                f"bird{i}")
            self.popen(self.ns(f"px{i}"), [sys.executable, GLUE, "--ready-url", f"http://127.0.0.1:{ADMIN_PORT}/ready",
                                           "--socket", sock, "--protocol", "vip4",
                                           "--interval-ms", str(self.glue["interval_ms"]),
                                           "--timeout-ms", str(self.glue["timeout_ms"]),
                                           "--fall", str(self.glue["fall"]), "--rise", str(self.glue["rise"])],
                       f"glue{i}.log")
            self.admins[i] = Admin(self.ns(f"px{i}"))
        self.watch = RouteWatch(self.ns("router"))
        self.watch.start()
        self.procs.append(subprocess.Popen([sys.executable, "-c", STALL_WATCH, self.path("stalls.txt")],
                                           stdin=subprocess.DEVNULL))

    def stalls(self, start, end):
        return stalls(self.path("stalls.txt"), start, end)

    def birdc(self, i, *cmd):
        sock = self.path("bird-router.ctl" if i == 0 else f"bird{i}.ctl")
        return subprocess.run(["birdc", "-s", sock, *cmd], capture_output=True, text=True).stdout

    # -- sipshunt instances
    def instance_config(self, i):
        return sipshunt_config.render(
            VIP, port=5060, rules=[os.path.join(ROOT, "dispatch-rules", "default.rules")],
            pools=[sipshunt_config.pool("core", [(f"b{n}", farm_ip(n)) for n in range(1, self.nbackends + 1)],
                                        {"enabled": True, "interval_ms": 500, "timeout_ms": 300, "fall": 3,
                                         "rise": 1})],
            admin={"address": "127.0.0.1", "port": ADMIN_PORT}, log_level="info",
            dpdk={"eal_args": ["--no-huge", "-m", "512"], "workers": 1},
            dpdk_ports=[sipshunt_config.dpdk_port("data", "net_af_packet0", "iface=eth0", data_addr(i), 24,
                                                  gateway=f"198.18.{i}.254", service_address=VIP)],
            instance={"stop_grace_ms": self.stop_grace_ms},
            comment=f"instance {i} of test_scale_out.py")

    def start_instance(self, i, tag=""):
        cfg = self.path(f"sipshunt{i}.toml")
        with open(cfg, "w") as f:
            f.write(self.instance_config(i))
        stats = self.stats_path_of(i)
        if os.path.exists(stats):
            os.unlink(stats)
        p = self.popen(self.ns(f"px{i}"), [self.sipshunt, "run", "-c", cfg, "--stats-file", stats,
                                           "--stats-interval", "0.2"], f"sipshunt{i}{tag}.log")
        self.instances[i] = p
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(stats):
                return p
            if p.poll() is not None:
                raise Failure(f"sipshunt {i} exited with {p.returncode} at start")
            time.sleep(0.1)
        raise Failure(f"sipshunt {i} did not start within 30 s")

    def stats_path_of(self, i):
        return self.path(f"stats{i}.json")

    def forwarded(self, i):
        """SIP messages instance i has forwarded (its stats file, written every 0.2 s; the last
        one stays after it stopped). Health probes and their answers are not counted."""
        try:
            with open(self.stats_path_of(i)) as f:
                return json.load(f)["dataplane"]["sip_forwarded"]
        except (OSError, ValueError):
            return 0

    def dump_logs(self):
        if self.watch:
            print("---- route changes at the router:", [(round(t, 3), sorted(h)) for t, _, h in self.watch.changes])
        super().dump_logs()

    # -- the caller
    def start_caller(self, scenario, phase, calls, rate):
        """sipp UAC in the client, one socket per call (-t un: each call its own source port, so
        the router's L4 hash spreads calls over the instances), statistics every second."""
        timeout = int(calls / rate) + 40
        args = ["timeout", str(timeout + 30), "sipp", f"{VIP}:5060", "-sf", scenario, "-t", "un", "-max_socket", "1000",
                "-i", CLIENT_IP, "-m", str(calls), "-r", str(rate), "-nostdin",
                "-cid_str", f"{phase}-%u@%s", "-recv_timeout", str(int(RECV_TIMEOUT * 1000)), "-timeout", f"{timeout}s",
                "-trace_stat", "-stf", self.path(f"{phase}.csv"), "-fd", "1",
                "-trace_err", "-error_file", self.path(f"{phase}.err")]
        return self.popen(self.ns("client"), args, f"{phase}.out")
