"""The deployment shapes of README.md "Deployment shapes" as namespace topologies for the
integration tests: one-armed, two-armed (a client side and a farm side on two af_packet ports),
either side IPv4 or IPv6, and a VLAN trunk (both sides on one port, 802.1Q VLANs 100 and 200).

  sw-SFX    the switch: bridge br0 (client side; every host in the one-armed shape) and br1 (farm
            side). VLAN trunk: br0 is VLAN 100's access side and br1 VLAN 200's, and the proxy's
            link is a trunk that vlan_switch.py (in this namespace) tags and untags
  cli-SFX   the client host: eth0
  px-SFX    the proxy host: eth0 (and eth1, two-armed) up without addresses, IPv4 and IPv6 off in
            the kernel, for sipshunt's af_packet ports
  beN-SFX   backend hosts: eth0
Client side 198.18.0.0/24 or 2001:db8:18::/64 (proxy .1 / ::1, client .10 / ::10); farm side
198.19.0.0/24 or 2001:db8:19::/64 (backends .21.. / ::21..); one-armed: everyone on 198.18.0.0/24.
The backends' default route goes through the proxy's farm address, as a farm's would through its
gateway: so a backend that answers to a client-side Via (the fault double record-routing
fixes) sends to the farm port, where the proxy must not take it for its own.
"""
import ipaddress
import os
import subprocess
import sys
import time

from harness import Env, sipshunt_config
from sipua import split_hostport

SHAPES = {
    # name: (client family, farm family or None for one-armed, VLAN trunk)
    "one-armed": (4, None, False),
    "two-armed": (4, 4, False),
    "two-armed-v6-v4": (6, 4, False),
    "two-armed-v6": (6, 6, False),
    "vlan-trunk": (4, 4, True),
}
CLIENT_VLAN, FARM_VLAN = 100, 200


def hostport(addr, port=5060):
    return f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"


def side(family, net):
    """(proxy address, prefix length, host address function) of a side: net 18 client, 19 farm."""
    if family == 6:
        return f"2001:db8:{net}::1", 64, lambda n: f"2001:db8:{net}::{n}"
    return f"198.{net}.0.1", 24, lambda n: f"198.{net}.0.{n}"


class ShapeEnv(Env):
    """Env (harness.py) over one of SHAPES; proxy_address(side) and the address lists say who is
    where. Every namespace it made is removed on exit."""

    def __init__(self, sipshunt, shape, backends=3):
        super().__init__(sipshunt, shape.replace("-", ""), backends)
        self.shape = shape
        cfam, ffam, self.vlan = SHAPES[shape]
        self.two_armed = ffam is not None
        self.proxy_ip, self.client_prefix, client_host = side(cfam, 18)
        self.client_ip = client_host(10)
        if self.two_armed:
            self.farm_ip, self.farm_prefix, self._backend_host = side(ffam, 19)
        else:
            self.farm_ip, self.farm_prefix, self._backend_host = self.proxy_ip, self.client_prefix, client_host
        self.namespaces = []

    def backend_ip(self, i):
        return self._backend_host(20 + i)

    # -- topology
    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True)

    def _ns(self, name, ipv6):
        self._ip("netns", "add", name)
        self.namespaces.append(name)
        off = "0" if ipv6 else "1"
        subprocess.run(["ip", "netns", "exec", name, "sysctl", "-qw", f"net.ipv6.conf.all.disable_ipv6={off}",
                        f"net.ipv6.conf.default.disable_ipv6={off}"], check=True)
        # A bridge here is a plain switch: bridged frames skip iptables (br_netfilter), where present.
        subprocess.run(["ip", "netns", "exec", name, "sh", "-c",
                        'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -w "$f" ] && echo 0 >"$f"; done; true'],
                       check=True)
        self._ip("-n", name, "link", "set", "lo", "up")

    def _link(self, ns, ifname, peer, bridge):
        """A veth from `ns` (ifname) to the switch (peer, on `bridge` or on none). Transmit
        checksum offload off: af_packet would otherwise hand the proxy UDP datagrams whose
        checksum the kernel never filled in."""
        sw = self.ns("switch")
        self._ip("link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", peer, "netns", sw)
        self._ip("-n", sw, "link", "set", peer, *(["master", bridge] if bridge else ["promisc", "on"]), "up")
        for where, dev in ((ns, ifname), (sw, peer)):
            subprocess.run(["ip", "netns", "exec", where, "ethtool", "-K", dev, "tx", "off"], capture_output=True)
        self._ip("-n", ns, "link", "set", ifname, *([] if bridge else ["promisc", "on"]), "up")

    def _host(self, ns, bridge, ifname="eth0", address=None, prefix=None, gateway=None):
        """A host on `bridge` with `address` on its eth0."""
        self._link(ns, ifname, f"p{len(self.namespaces)}{ifname[-1]}", bridge)
        dev = ifname
        if address:
            v6 = ":" in address
            # nodad: usable at once (no duplicate address detection wait)
            self._ip("-n", ns, "addr", "add", f"{address}/{prefix}", "dev", dev, *(["nodad"] if v6 else []))
            if gateway:
                self._ip("-n", ns, *(["-6"] if v6 else []), "route", "add", "default", "via", gateway, "dev", dev)

    def ns(self, role):
        if role == "switch":
            return f"sw-{self.sfx}"
        return super().ns(role)

    def topology_up(self):
        self.build_or_clean(self._build)

    def _build(self):
        v6c = ":" in self.proxy_ip
        v6f = ":" in self.farm_ip
        sw = self.ns("switch")
        self._ns(sw, False)
        for br in ("br0", "br1") if self.two_armed else ("br0",):
            self._ip("-n", sw, "link", "add", br, "type", "bridge", "forward_delay", "0", "stp_state", "0")
            self._ip("-n", sw, "link", "set", br, "up")
        farm_br = "br1" if self.two_armed else "br0"
        self._ns(self.ns("client"), v6c)
        self._host(self.ns("client"), "br0", address=self.client_ip, prefix=self.client_prefix)
        self._ns(self.ns("proxy"), False)
        if self.vlan:
            # The trunk: the proxy's eth0 to the switch's user-space 802.1Q port "trunk"; each
            # bridge reaches its VLAN through a veth pair (access side on the bridge).
            self._link(self.ns("proxy"), "eth0", "trunk", None)
            for vid, br in ((CLIENT_VLAN, "br0"), (FARM_VLAN, "br1")):
                self._link(sw, f"a{vid}", f"a{vid}br", br)
                self._ip("-n", sw, "link", "set", f"a{vid}", "promisc", "on")
            switch = self.popen(sw, [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                  "vlan_switch.py"),
                                     "trunk", f"a{CLIENT_VLAN}:{CLIENT_VLAN}", f"a{FARM_VLAN}:{FARM_VLAN}"],
                                "vlan_switch.log")
            time.sleep(0.3)
            if switch.poll() is not None:
                raise RuntimeError(f"vlan_switch.py exited with {switch.returncode} (see vlan_switch.log)")
        else:
            self._host(self.ns("proxy"), "br0")
            if self.two_armed:
                self._host(self.ns("proxy"), "br1", ifname="eth1")
        for i in range(1, self.nbackends + 1):
            self._ns(self.ns(i), v6f)
            self._host(self.ns(i), farm_br, address=self.backend_ip(i), prefix=self.farm_prefix,
                       gateway=self.farm_ip if self.two_armed else None)

    def topology_down(self):
        for name in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", name], check=False)
        self.namespaces = []

    # -- sipshunt
    def dpdk_ports(self, device, devargs):
        """The shape's ports, in both config forms: address keys on [[dpdk.ports]] (one network
        per port) and [[dpdk.ports.networks]] (VLANs; the IPv6 client side of two-armed-v6-v4)."""
        net = sipshunt_config.network
        port = sipshunt_config.dpdk_port
        if self.vlan:
            return [port("trunk", "net_af_packet0", "iface=eth0", networks=[
                net("access", self.proxy_ip, self.client_prefix, vlan=CLIENT_VLAN),
                net("farm", self.farm_ip, self.farm_prefix, vlan=FARM_VLAN)])]
        if not self.two_armed:
            return [port("lan", "net_af_packet0", "iface=eth0", self.proxy_ip, self.client_prefix)]
        if self.shape == "two-armed-v6-v4":
            access = port("access", "net_af_packet0", "iface=eth0",
                          networks=[net("access-v6", self.proxy_ip, self.client_prefix)])
        else:
            access = port("access", "net_af_packet0", "iface=eth0", self.proxy_ip, self.client_prefix)
        return [access, port("farm", "net_af_packet1", "iface=eth1", self.farm_ip, self.farm_prefix)]

    def proxy_hostport(self, which):
        return hostport(self.proxy_ip if which == "client" else self.farm_ip)


def same_address(a, b):
    """host[:port] strings equal as addresses: IPv6 in any of its forms, no port meaning 5060
    (RFC 3261 §19.1.2)."""
    def norm(s):
        host, port = split_hostport(s)
        return ipaddress.ip_address(host), port or 5060
    try:
        return norm(a) == norm(b)
    except ValueError:
        return a == b
