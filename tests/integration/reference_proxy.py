#!/usr/bin/env python3
"""The deployment-shape checks (test_shapes.py) with Kamailio in sipshunt's place, on the proxy
host's kernel stack: evidence that the checks ask for what a standards-following proxy does
(double Record-Route across networks, RFC 5658; Via of the network a request leaves by), and a
check of the topologies themselves. Not in CI; as root:

  tests/integration/reference_proxy.py SHAPE     (one of shapes.SHAPES)

Kamailio dispatches by a hash of the Call-ID and writes our pin parameter into its Record-Route,
so the Record-Route checks hold as they are. The sipp phase "backend hangs up" is left out:
scripts/sipp/uas_bye.xml sends its BYE without the To tag, which Kamailio rightly treats as a new
request (sipshunt routes it by its Route and Request-URI, as it comes from a backend).
"""
import os
import shutil
import subprocess
import sys
import time

import harness
import test_shapes
from shapes import SHAPES, ShapeEnv

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"


def sh(*args):
    subprocess.run(list(args), check=True)


def ref(addr):
    return f"[{addr}]" if ":" in addr else addr


def kernel_addresses(env):
    """The proxy host's addresses on its kernel interfaces (sipshunt would own the links instead).
    VLAN trunk: a second vlan_switch.py on the proxy host's eth0 hands each VLAN to a veth."""
    px = env.ns("proxy")
    sh("ip", "netns", "exec", px, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
       "net.ipv6.conf.default.disable_ipv6=0")
    if env.vlan:
        devs = []
        for vid in (100, 200):
            sh("ip", "-n", px, "link", "add", f"v{vid}", "type", "veth", "peer", "name", f"k{vid}")
            for d in (f"v{vid}", f"k{vid}"):
                sh("ip", "-n", px, "link", "set", d, "promisc", "on", "up")
                # our raw-socket switch would forward checksums the kernel left to the NIC
                subprocess.run(["ip", "netns", "exec", px, "ethtool", "-K", d, "tx", "off"], capture_output=True)
            devs.append(f"k{vid}")
        env.popen(px, [sys.executable, os.path.join(HERE, "vlan_switch.py"), "eth0", "v100:100", "v200:200"],
                  "proxy_vlan_switch.log")
    else:
        devs = ["eth0", "eth1"] if env.two_armed else ["eth0"]
        for d in devs:
            sh("ip", "netns", "exec", px, "sysctl", "-qw", f"net.ipv6.conf.{d}.disable_ipv6=0")
    sh("ip", "-n", px, "addr", "add", f"{env.proxy_ip}/{env.client_prefix}", "dev", devs[0],
       *(["nodad"] if ":" in env.proxy_ip else []))
    if env.two_armed:
        sh("ip", "-n", px, "addr", "add", f"{env.farm_ip}/{env.farm_prefix}", "dev", devs[1],
           *(["nodad"] if ":" in env.farm_ip else []))


def start_kamailio(env):
    with open(env.path("dispatcher.list"), "w") as f:
        for i in range(1, env.nbackends + 1):
            f.write(f"1 sip:{ref(env.backend_ip(i))}:5060\n")
    pins = "".join(f'  if ($du == "sip:{ref(env.backend_ip(i))}:5060") $var(b) = "b{i}";\n'
                   for i in range(1, env.nbackends + 1))
    listen = "".join(f"listen=udp:{ref(a)}:5060\n" for a in sorted({env.proxy_ip, env.farm_ip}))
    cfg = f'''#!KAMAILIO
debug=2
log_stderror=yes
children=1
mhomed=1
{listen}mpath="{MODULES}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "dispatcher.so"
modparam("dispatcher", "list_file", "{env.path("dispatcher.list")}")
request_route {{
  if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
  if (has_totag()) {{
    if (loose_route()) {{ t_relay(); exit; }}
    if (is_method("ACK")) {{ if (t_check_trans()) t_relay(); exit; }}
    sl_send_reply("404", "Not here"); exit;
  }}
  if (is_method("CANCEL")) {{ if (t_check_trans()) t_relay(); exit; }}
  if (!ds_select_dst("1", "0")) {{ sl_send_reply("503", "No backend"); exit; }}
{pins}  add_rr_param(";sipshunt-b=$var(b)");
  record_route();
  t_relay();
}}
'''
    with open(env.path("kamailio.cfg"), "w") as f:
        f.write(cfg)
    p = env.popen(env.ns("proxy"), ["kamailio", "-DD", "-E", "-f", env.path("kamailio.cfg"), "-P",
                                    env.path("kamailio.pid"), "-Y", env.work], "kamailio.log")
    time.sleep(2)
    if p.poll() is not None:
        raise harness.Failure(f"kamailio exited with {p.returncode}")


def run(shape):
    test_shapes.SIPP_PHASES = [p for p in test_shapes.SIPP_PHASES if p[0] != "uas_bye.xml"]
    with ShapeEnv("/bin/true", shape) as env:
        kernel_addresses(env)
        start_kamailio(env)
        test_shapes.user_agents(env)
        test_shapes.sipp_load(env)


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in SHAPES:
        print(f"usage: reference_proxy.py {{{','.join(SHAPES)}}}")
        sys.exit(2)
    if shutil.which("kamailio") is None:
        print("SKIP: kamailio not installed (scripts/setup.sh installs it)")
        sys.exit(harness.SKIP)
    shape = sys.argv[1]
    sys.argv = [sys.argv[0], "/bin/true"]   # harness.main wants a sipshunt path; none is used
    sys.exit(harness.main(lambda _: run(shape)))
