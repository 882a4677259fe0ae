#!/usr/bin/env python3
"""The `sipshunt` command line as an operator meets it: one exit-status table for every
subcommand (0 ok, 1 run-time failure, 64 usage, 78 config or rules invalid), diagnostics on
stderr only, --version, `[log] format = "json"`, and journald priority prefixes when stderr is
the journal (JOURNAL_STREAM). Usage: cli_test.py SIPSHUNT_BINARY SOURCE_ROOT"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

BIN, ROOT = sys.argv[1], pathlib.Path(sys.argv[2])
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
import sipshunt_config  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def run(*args, env=None, stderr=subprocess.PIPE):
    p = subprocess.run([BIN, *map(str, args)], stdout=subprocess.PIPE, stderr=stderr, env=env, timeout=60)
    return p.returncode, p.stdout.decode(), (p.stderr or b"").decode()


clean_env = {k: v for k, v in os.environ.items() if k not in ("JOURNAL_STREAM", "NOTIFY_SOCKET")}

# --version: ours, the git revision, and the libraries actually loaded.
code, out, err = run("--version", env=clean_env)
lines = out.splitlines()
check(code == 0 and err == "", f"--version: exit {code}, stderr {err!r}")
check(len(lines) == 3, f"--version prints three lines: {out!r}")
if len(lines) == 3:
    check(re.fullmatch(r"sipshunt \d+\.\d+\.\d+ \(revision [0-9a-z.-]+\)", lines[0]) is not None, f"line 1: {lines[0]!r}")
    check(re.fullmatch(r"DPDK (\d+\.\d+(\.\d+)?|none \(built without the data plane\))", lines[1]) is not None,
          f"line 2: {lines[1]!r}")
    check(re.fullmatch(r"Hyperscan \d+\.\d+\.\d+", lines[2]) is not None, f"line 3: {lines[2]!r}")
check(run("-V", env=clean_env)[1] == out, "-V is --version")

# sipshunt(8) documents every subcommand and every option the command line accepts.
man = (ROOT / "scripts" / "debian" / "sipshunt.8").read_text()
help_top = run("--help", env=clean_env)[1]
subcommands = re.findall(r"^  (\w+) {3,}", help_top.split("Subcommands:")[-1], re.M)
check(set(subcommands) >= {"check", "explain"}, f"subcommands in --help: {subcommands}")
for sub in [None] + subcommands:
    text = run(*([sub] if sub else []), "--help", env=clean_env)[1]
    for opt in set(re.findall(r"(?<![\w-])--([a-z][a-z-]*)", text)):
        check("\\-\\-" + opt.replace("-", "\\-") in man, f"sipshunt(8) documents --{opt} ({sub or 'global'})")
    if sub:
        check(f".B {sub}\n" in man, f"sipshunt(8) has a COMMANDS entry for {sub}")

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    pools = [sipshunt_config.pool("core", [("b1", "198.19.0.11")], health={"enabled": False})]
    good = tmp / "good.toml"
    good.write_text(sipshunt_config.render("198.18.0.1", proxy={"default_pool": "core"}, pools=pools))
    broken_rules = tmp / "broken.toml"
    (tmp / "bad.rules").write_text("rule a: any => pool nowhere\n")
    broken_rules.write_text(sipshunt_config.render("198.18.0.1", rules=["bad.rules"], pools=pools))
    bad_format = tmp / "format.toml"
    bad_format.write_text(sipshunt_config.render("198.18.0.1", pools=pools, extra='[log]\nformat = "xml"\n'))
    datagram = tmp / "invite.sip"
    datagram.write_bytes((ROOT / "tests" / "proxy" / "data" / "invite.sip").read_bytes())

    # The table, subcommand by subcommand: (arguments, exit status, what stderr must contain).
    table = [
        ((), 64, "subcommand is required"),
        (("nonsense-option", "--frobnicate"), 64, "sipshunt: "),
        (("check",), 64, "--config is required"),
        (("check", "-c", good), 0, None),
        (("check", "-c", tmp / "absent.toml"), 78, f"{tmp / 'absent.toml'}: cannot read config file"),
        (("check", "-c", broken_rules), 78, f"{tmp / 'bad.rules'}:1:"),
        (("check", "-c", bad_format), 78, f"{bad_format}:11:10: log.format: expected \"text\" or \"json\", got \"xml\""),
        (("explain", "-c", good, datagram), 0, None),
        (("explain", "-c", good), 64, "nothing to explain"),
        (("explain", "-c", good, "--from", "nowhere", datagram), 64, "--from nowhere"),
        (("explain", "-c", broken_rules, datagram), 78, f"{tmp / 'bad.rules'}:1:"),
        (("explain", "-c", good, tmp / "absent.sip"), 1, "cannot open"),
        (("explain", "-c", good, "--pcap", tmp / "absent.pcap"), 1, "cannot open"),
    ]
    run_built = "run" in run("--help", env=clean_env)[1]
    if run_built:
        table += [
            (("run",), 64, "--config is required"),
            (("run", "-c", broken_rules), 78, f"{tmp / 'bad.rules'}:1:"),
            (("run", "-c", bad_format), 78, "log.format"),
            # Valid for check, but `run` needs a [dpdk] port that owns proxy.address.
            (("run", "-c", good), 78, "dpdk.ports: at least one port is needed"),
        ]
    for args, want, needle in table:
        code, out, err = run(*args, env=clean_env)
        check(code == want, f"sipshunt {' '.join(map(str, args))}: exit {code}, want {want} (stderr {err!r})")
        if want != 0:
            check(out == "", f"sipshunt {' '.join(map(str, args))}: nothing on stdout on failure, got {out!r}")
            check(needle in err, f"sipshunt {' '.join(map(str, args))}: stderr {err!r} lacks {needle!r}")
            check("\x1b[" not in err, f"sipshunt {' '.join(map(str, args))}: colour on a pipe: {err!r}")

    # Under systemd: stderr is the journal when JOURNAL_STREAM names its device and inode; every
    # line then starts with its priority, errors with <3>.
    def journal_run(*args):
        path = tmp / "journal-stream"
        with open(path, "wb") as f:
            st = os.fstat(f.fileno())
            env = dict(clean_env, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
            code = subprocess.run([BIN, *map(str, args)], stdout=subprocess.DEVNULL, stderr=f, env=env,
                                  timeout=60).returncode
        return code, path.read_text()

    code, err = journal_run("check", "-c", broken_rules)
    check(code == 78 and err.startswith(f"<3>{tmp / 'bad.rules'}:1:"), f"check under the journal: {code} {err!r}")
    code, err = journal_run("check")
    check(code == 64 and err.startswith("<3>sipshunt: "), f"usage error under the journal: {code} {err!r}")

    if run_built:
        # [log] format = "json": every stderr line of `run` is one JSON object; under the journal
        # each is prefixed with its priority (info <6>, error <3>).
        js = tmp / "json.toml"
        js.write_text(sipshunt_config.render("198.18.0.1", pools=pools, extra='[log]\nformat = "json"\n'))
        code, out, err = run("run", "-c", js, env=clean_env)
        objects = []
        for line in err.splitlines():
            try:
                objects.append(json.loads(line))
            except ValueError:
                check(False, f"run with format json: not JSON: {line!r}")
        check(code == 78 and objects and objects[-1].get("level") == "error"
              and "at least one port is needed" in objects[-1].get("message", ""),
              f"run with format json: exit {code}, {objects}")
        check(all(set(o) == {"time", "level", "message"} for o in objects), f"JSON log fields: {objects}")
        code, err = journal_run("run", "-c", js)
        lines = err.splitlines()
        check(code == 78 and lines and lines[0].startswith("<6>{") and lines[-1].startswith("<3>{"),
              f"JSON under the journal: {lines}")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
