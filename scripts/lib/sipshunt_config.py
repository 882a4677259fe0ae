#!/usr/bin/env python3
"""The sipshunt TOML config that the integration tests, the demo and the benchmark scripts run
with, built from the knobs they vary, so that each states only what differs. A key whose value
is None is not written (the config's own default applies); the keys are those of README.md
"Configuration". The C++ tests and benchmarks have the same builder in tests/support.

From Python (scripts/lib on sys.path):
  sipshunt_config.render(address="198.18.0.1", port=5060, rules=[path],
                         pools=[sipshunt_config.pool("core", [("b1", "198.18.0.21")])], ...)
  ports with several networks (tests/integration/shapes.py: two-armed, IPv6, VLAN trunk):
  dpdk_ports=[sipshunt_config.dpdk_port("trunk", "net_af_packet0", "iface=eth0", networks=[
      sipshunt_config.network("access", "198.18.0.1", 24, vlan=100),
      sipshunt_config.network("access-v6", "2001:db8:18::1", 64)])]
From a shell (one network per port), the config on stdout:
  scripts/lib/sipshunt_config.py --address 198.18.0.1 --port 5060 --rules FILE \\
      --backend b1 198.18.0.21 --backend b2 198.18.0.22 --no-health --log-level info \\
      --eal-args="--no-huge -m 512" --workers 1 \\
      --dpdk-port lan net_af_packet0 iface=eth0 198.18.0.1 24 >sipshunt.toml
"""
import argparse
import json
import shlex
import sys


def _value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # 1.0, 0.25: a TOML float
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


def _table(header, keys):
    """`header` ("[log]", "[[pools]]") and its `key = value` lines, None values left out."""
    return header + "\n" + "".join(f"{k} = {_value(v)}\n" for k, v in keys.items() if v is not None)


def pool(name, backends, health=None):
    """A [[pools]] entry: `backends` are (name, address), (name, address, port) or (name, address,
    port, weight) tuples (None: the default);
    `health` the [pools.health] keys ({"enabled": False}), None for no table."""
    return {"name": name, "backends": list(backends), "health": health}


def dpdk_port(name, device, devargs, address=None, prefix_len=None, gateway=None, networks=(),
              service_address=None):
    """A [[dpdk.ports]] entry: `address`, `prefix_len`, `gateway`, `service_address` make the
    port's untagged network (None: none, then `networks` must give one); `networks` its
    [[dpdk.ports.networks]]."""
    return {"name": name, "device": device, "devargs": devargs, "address": address, "prefix_len": prefix_len,
            "gateway": gateway, "service_address": service_address, "networks": list(networks)}


def network(name, address, prefix_len=None, vlan=None, gateway=None, service_address=None):
    """A [[dpdk.ports.networks]] entry: one more network on its port (vlan None or 0: untagged,
    1..4094: an 802.1Q VLAN), IPv4 or IPv6; `service_address`: the SIP address several instances
    share on it."""
    return {"name": name, "vlan": vlan, "address": address, "prefix_len": prefix_len, "gateway": gateway,
            "service_address": service_address}


def render(address, port=None, proxy=None, rules=None, pools=(), admin=None, log_level=None, dpdk=None,
           dpdk_ports=(), extra="", comment=None, hep=None, instance=None):
    """The config text. `proxy`: more [proxy] keys, written after address and port, in order
    (default_pool, backend_source, ...; also a deliberately unknown key for error tests);
    `rules`: the [rules] files (None: no [rules] table); `admin`: the [admin] keys; `dpdk`: the
    [dpdk] keys (eal_args, workers, mbufs); `dpdk_ports`: dpdk_port() entries, each with its
    networks (one network per port, or several, tagged or not, either family); `hep`: the [hep]
    keys (address, sample, agent_id); `instance`: the [instance] keys (stop_grace_ms); `extra`: raw
    TOML appended as is; `comment`: a first line saying who wrote the file."""
    out = f"# {comment}\n" if comment else ""
    out += _table("[proxy]", {"address": address, "port": port, **(proxy or {})})
    if rules is not None:
        out += _table("[rules]", {"files": list(rules)})
    for p in pools:
        out += _table("[[pools]]", {"name": p["name"]})
        if p["health"] is not None:
            out += _table("[pools.health]", p["health"])
        for name, addr, *more in p["backends"]:
            port, weight = (list(more) + [None, None])[:2]
            out += _table("[[pools.backends]]", {"name": name, "address": addr, "port": port, "weight": weight})
    if admin is not None:
        out += _table("[admin]", admin)
    if log_level is not None:
        out += _table("[log]", {"level": log_level})
    if dpdk is not None:
        out += _table("[dpdk]", dpdk)
    for p in dpdk_ports:
        out += _table("[[dpdk.ports]]", {k: v for k, v in p.items() if k != "networks"})
        for n in p.get("networks", ()):
            out += _table("[[dpdk.ports.networks]]", n)
    if hep is not None:
        out += _table("[hep]", hep)
    if instance is not None:
        out += _table("[instance]", instance)
    return out + extra


def main(argv=None):
    ap = argparse.ArgumentParser(description="Prints a sipshunt config: one pool, DPDK ports.")
    ap.add_argument("--comment")
    ap.add_argument("--address", required=True, help="[proxy] address")
    ap.add_argument("--port", type=int, help="[proxy] port")
    ap.add_argument("--rules", action="append", help="a [rules] file (repeatable)")
    ap.add_argument("--pool", default="core", help="the pool's name (default core)")
    ap.add_argument("--backend", nargs=2, action="append", default=[], metavar=("NAME", "ADDRESS"))
    ap.add_argument("--no-health", action="store_true", help="[pools.health] enabled = false")
    ap.add_argument("--log-level")
    ap.add_argument("--eal-args", help='one string, split as a shell would: --eal-args="--no-huge -m 512"')
    ap.add_argument("--workers", type=int)
    ap.add_argument("--mbufs", type=int)
    ap.add_argument("--dpdk-port", nargs=5, action="append", default=[],
                    metavar=("NAME", "DEVICE", "DEVARGS", "ADDRESS", "PREFIX_LEN"))
    a = ap.parse_args(argv)
    dpdk = {"eal_args": shlex.split(a.eal_args) if a.eal_args is not None else None, "workers": a.workers,
            "mbufs": a.mbufs}
    sys.stdout.write(render(
        a.address, port=a.port, rules=a.rules,
        pools=[pool(a.pool, [tuple(b) for b in a.backend], {"enabled": False} if a.no_health else None)],
        log_level=a.log_level, dpdk=dpdk if any(v is not None for v in dpdk.values()) else None,
        dpdk_ports=[dpdk_port(n, d, args, addr, int(plen)) for n, d, args, addr, plen in a.dpdk_port],
        comment=a.comment))


if __name__ == "__main__":
    main()
