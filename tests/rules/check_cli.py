#!/usr/bin/env python3
"""`sipshunt check`: every shipped config passes; broken ones fail with file:line:col on stderr.

Usage: check_cli.py SIPSHUNT_BINARY DISPATCH_RULES_DIR
"""
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts" / "lib"))
import sipshunt_config  # noqa: E402

sipshunt, rules_dir = sys.argv[1], pathlib.Path(sys.argv[2])
failures = []


def run(config):
    p = subprocess.run([sipshunt, "check", "-c", str(config)], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# 1. Every shipped example config (and so every shipped rule file) passes.
configs = sorted(rules_dir.glob("examples/*.toml"))
if len(configs) < 3:
    failures.append(f"expected the shipped configs under {rules_dir}/examples, found {configs}")
for config in configs:
    code, out, err = run(config)
    if code != 0 or ": OK" not in out or err:
        failures.append(f"{config}: exit {code}\n{out}{err}")
# The configs between them read every shipped rule file once (they share none), so the file counts
# they report add up to the number of .rules files under dispatch-rules/.
shipped_rules = list(rules_dir.rglob("*.rules"))
reported = 0
for config in configs:
    m = re.search(r"rules: +\d+ rules? from (\d+) files?", run(config)[1])
    reported += int(m.group(1)) if m else 0
if reported != len(shipped_rules):
    failures.append(f"configs read {reported} rule files, dispatch-rules/ holds {len(shipped_rules)}")

# 2. Broken inputs: exit 78 (EX_CONFIG), nothing on stdout, the message on stderr.
POOLS = [sipshunt_config.pool("core", [("b1", "198.19.0.11")])]
with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    cases = [
        ("unknown pool", "rule a: any => drop\nrule b: method INVITE => pool voicemail\n",
         "main.rules:2:31: unknown pool 'voicemail' in rule 'b' (configured pools: core)"),
        ("bad regex", "rule bad: ruri ~ /(a)\\1/ => drop\n",
         "main.rules:1:18: rule 'bad': Hyperscan cannot compile /(a)\\1/: Back-references are unsupported."),
        ("syntax", "rule a: any => pool\n", "main.rules:1:20: expected a pool name after 'pool', found end of file"),
    ]
    for what, rules, expected in cases:
        (tmp / "main.rules").write_text(rules)
        config = tmp / "config.toml"
        config.write_text(sipshunt_config.render("198.18.0.1", rules=["main.rules"], pools=POOLS))
        code, out, err = run(config)
        want = f"{tmp / expected}\n"
        if code != 78 or out or err != want:
            failures.append(f"{what}: exit {code}, stdout {out!r}, stderr {err!r}, want stderr {want!r}")
    # A config error is reported by the config module, also as file:line:col.
    config = tmp / "bad.toml"
    config.write_text(sipshunt_config.render("198.18.0.1", proxy={"bogus": 1}, pools=POOLS))
    code, out, err = run(config)
    if code != 78 or out or not err.startswith(f"{config}:3:1: "):
        failures.append(f"config error: exit {code}, stdout {out!r}, stderr {err!r}")
    code, out, err = run(tmp / "absent.toml")
    if code != 78 or not err.startswith(str(tmp / "absent.toml")):
        failures.append(f"missing config: exit {code}, stderr {err!r}")

for f in failures:
    print("FAIL:", f)
print(f"{len(configs)} shipped configs checked; {len(failures)} failures")
sys.exit(1 if failures else 0)
