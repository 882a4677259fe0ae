#!/usr/bin/env python3
"""Runs the built `sipshunt explain` on files and on pcap captures it writes itself, and checks the
JSON lines against their contract (include/sipshunt/proxy/explain.hpp, src/proxy/README.md).

usage: explain_test.py SIPSHUNT DATA_DIR CONFORMANCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "lib"))
import sipshunt_config  # noqa: E402
from capture import ethernet, ipv4_udp, pcap, pcapng, sll  # noqa: E402

SIPSHUNT, DATA, CONFORMANCE = sys.argv[1], sys.argv[2], sys.argv[3]
CONFIG = os.path.join(DATA, "example.toml")
CORPUS = os.path.join(CONFORMANCE, "rfc4475")
FIELDS = ["kind", "verdict", "status", "reason", "rule", "pool", "backend", "next_hop", "output"]
BACKENDS = {"b1": "198.19.0.11:5060", "b2": "198.19.0.12:5060", "b3": "198.19.0.13:5060", "r1": "198.19.1.11:5060"}
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def explain(*args, expect_ok=True):
    p = subprocess.run([SIPSHUNT, "explain", *args], capture_output=True, timeout=60)
    if expect_ok:
        check(p.returncode == 0, f"explain {args}: exit {p.returncode}, stderr {p.stderr!r}")
    lines = p.stdout.decode("utf-8").splitlines() if p.returncode == 0 else []
    objs = []
    for line in lines:
        obj = json.loads(line)
        check(list(obj.keys()) == FIELDS, f"fields {list(obj.keys())}")
        objs.append(obj)
    return p, objs


def crlf(text):
    return text.replace("\n", "\r\n").encode()


def write(tmp, name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


INVITE = os.path.join(DATA, "invite.sip")


def response_from_backend():
    # What a backend sends back for the example INVITE forwarded by us.
    _, objs = explain("-c", CONFIG, INVITE)
    fwd = objs[0]["output"]
    vias = [l for l in fwd.split("\r\n") if l.startswith("Via:")]
    return crlf("SIP/2.0 180 Ringing\n" + "\n".join(vias) +
                "\nTo: Bob <sip:bob@example.com>;tag=xyz\nFrom: Alice <sip:alice@example.org>;tag=1928301774\n"
                "Call-ID: a84b4c76e66710@pc33.example.org\nCSeq: 314159 INVITE\nContent-Length: 0\n\n"), objs[0]


def test_files(tmp):
    _, objs = explain("-c", CONFIG, INVITE)
    check(len(objs) == 1, "one line per file")
    o = objs[0]
    check(o["kind"] == "request" and o["verdict"] == "forward" and o["status"] is None, f"invite {o}")
    check(o["reason"] == "forwarded" and o["rule"] == "everything-else" and o["pool"] == "core", f"invite {o}")
    check(o["backend"] in ("b1", "b2", "b3") and o["next_hop"] == BACKENDS.get(o["backend"]), f"invite {o}")
    check(o["output"].startswith("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK"),
          "invite output starts with our Via")
    check(f"Record-Route: <sip:198.18.0.1:5060;lr;sipshunt-b={o['backend']}>\r\n" in o["output"], "record-route pin")
    check("rport=5060;received=198.18.0.2" in o["output"], "rport filled from the default --from")

    # Several files: one line each, in order.
    resp, _ = response_from_backend()
    r = write(tmp, "ringing.sip", resp)
    reg = write(tmp, "register.sip", crlf(
        "REGISTER sip:example.com SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKreg\nMax-Forwards: 70\n"
        "To: <sip:alice@example.com>\nFrom: <sip:alice@example.com>;tag=1\nCall-ID: reg1\nCSeq: 1 REGISTER\n"
        "Content-Length: 0\n\n"))
    msg = write(tmp, "message.sip", crlf(
        "MESSAGE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKmsg\nMax-Forwards: 70\n"
        "To: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=1\nCall-ID: msg1\nCSeq: 1 MESSAGE\n"
        "Content-Length: 0\n\n"))
    scan = write(tmp, "scanner.sip", crlf(
        "OPTIONS sip:100@198.18.0.1 SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKscan\nMax-Forwards: 70\n"
        "To: <sip:100@198.18.0.1>\nFrom: <sip:100@198.18.0.1>;tag=1\nCall-ID: scan1\nCSeq: 1 OPTIONS\n"
        "User-Agent: friendly-scanner\nContent-Length: 0\n\n"))
    files = [os.path.join(CORPUS, "zeromf.dat"), os.path.join(CORPUS, "bext01.dat"), r, reg, msg, scan,
             os.path.join(CORPUS, "bcast.dat"), os.path.join(CORPUS, "badvers.dat"), os.path.join(CORPUS, "insuf.dat")]
    _, objs = explain("-c", CONFIG, *files)
    check(len(objs) == len(files), f"{len(objs)} lines for {len(files)} files")
    zeromf, bext01, ringing, register, message, scanner, bcast, badvers, insuf = objs
    check(zeromf["verdict"] == "reply" and zeromf["status"] == 483 and zeromf["reason"] == "max-forwards-exhausted",
          f"zeromf {zeromf}")
    check(zeromf["next_hop"] == "198.18.0.2:5060" and zeromf["output"].startswith("SIP/2.0 483 Too Many Hops\r\n"),
          f"zeromf {zeromf}")
    check(zeromf["rule"] is None and zeromf["backend"] is None, "483 before any rule")
    check(bext01["status"] == 420 and "\r\nUnsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n"
          in bext01["output"], f"bext01 {bext01}")
    check(ringing["kind"] == "response" and ringing["verdict"] == "forward" and ringing["reason"] == "response",
          f"ringing {ringing}")
    check(ringing["next_hop"] == "198.18.0.2:5060" and "198.18.0.1" not in ringing["output"], f"ringing {ringing}")
    check(register["rule"] == "registrations" and register["pool"] == "registrar" and register["backend"] == "r1",
          f"register {register}")
    check(register["next_hop"] == "198.19.1.11:5060", f"register {register}")
    check(message["verdict"] == "reply" and message["status"] == 405 and message["rule"] == "no-message"
          and message["reason"] == "rule-reply", f"message {message}")
    check(scanner["verdict"] == "drop" and scanner["rule"] == "scanners" and scanner["reason"] == "rule-drop"
          and scanner["output"] is None and scanner["next_hop"] is None and scanner["status"] is None,
          f"scanner {scanner}")
    check(bcast["kind"] == "response" and bcast["verdict"] == "drop" and bcast["reason"] == "foreign-via", f"bcast {bcast}")
    check(badvers["kind"] == "invalid" and badvers["status"] == 505 and badvers["reason"] == "bad-version",
          f"badvers {badvers}")
    check(insuf["kind"] == "invalid" and insuf["verdict"] == "drop" and insuf["reason"].startswith("missing-"),
          f"insuf {insuf}")


def test_from_and_down(tmp):
    _, objs = explain("-c", CONFIG, "--from", "198.18.0.77:4000", INVITE, os.path.join(CORPUS, "zeromf.dat"))
    check("rport=4000;received=198.18.0.77" in objs[0]["output"], f"--from applies: {objs[0]['output']!r}")
    check(objs[1]["next_hop"] == "198.18.0.77:5060", f"reply to the source address, sent-by port: {objs[1]}")

    _, objs = explain("-c", CONFIG, "--down", "b1", "--down", "b2", "--down", "b3", INVITE)
    o = objs[0]
    check(o["verdict"] == "reply" and o["status"] == 503 and o["reason"] == "no-backend-up" and o["pool"] == "core",
          f"all down: {o}")
    check("\r\nRetry-After: " in o["output"], "503 has Retry-After")

    _, up = explain("-c", CONFIG, INVITE)
    chosen = up[0]["backend"]
    _, objs = explain("-c", CONFIG, "--down", chosen, INVITE)
    check(objs[0]["verdict"] == "forward" and objs[0]["backend"] not in (chosen, None), f"--down {chosen}: {objs[0]}")

    p, _ = explain("-c", CONFIG, "--down", "nosuch", INVITE, expect_ok=False)
    check(p.returncode != 0 and b"nosuch" in p.stderr and p.stdout == b"", f"unknown --down: {p}")


def test_errors(tmp):
    def fails(args, needle):
        p, _ = explain(*args, expect_ok=False)
        check(p.returncode != 0, f"{args} must fail")
        check(needle.encode() in p.stderr, f"{args}: stderr {p.stderr!r} lacks {needle!r}")
        check(p.stdout == b"", f"{args}: nothing on stdout")

    fails(["-c", os.path.join(tmp, "missing.toml"), INVITE], "missing.toml")
    bad = write(tmp, "bad.toml", sipshunt_config.render("198.18.0.1", port=5060, proxy={"bogus": 1}).encode())
    fails(["-c", bad, INVITE], "bad.toml:4:")
    fails(["-c", CONFIG, os.path.join(tmp, "missing.sip")], "missing.sip")
    fails(["-c", CONFIG, INVITE, tmp], "is a directory")
    fails(["-c", CONFIG], "nothing to explain")
    fails(["-c", CONFIG, "--from", "nonsense", INVITE], "--from")
    fails(["-c", CONFIG, "--pcap", write(tmp, "ng.pcap", b"\x0a\x0d\x0d\x0a" + b"\0" * 40)], "not a pcap or pcapng")
    fails(["-c", CONFIG, "--pcap", write(tmp, "junk.pcap", b"not a capture at all....")], "not a pcap or pcapng")
    fails(["-c", CONFIG, "--pcap", tmp], "is a directory")
    p = subprocess.run([SIPSHUNT, "explain", INVITE], capture_output=True)
    check(p.returncode != 0, "-c is required")


def test_escaping(tmp):
    body = "é".encode() + b"\x01\xff\x00"
    head = crlf("MESSAGE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKesc\n"
                "Max-Forwards: 70\nTo: <sip:bob@example.com>\nFrom: <sip:alice@example.com>;tag=1\nCall-ID: esc\n"
                f"CSeq: 1 MESSAGE\nContent-Length: {len(body)}\n\n")
    cfg = write(tmp, "norules.toml", open(CONFIG, "rb").read().replace(b'files = ["rules/example.rules"]', b"files = []"))
    _, objs = explain("-c", cfg, write(tmp, "esc.sip", head + body))
    out = objs[0]["output"]
    check(objs[0]["rule"] is None and objs[0]["verdict"] == "forward", f"no rules: default pool {objs[0]}")
    check(out.endswith("é\x01\u00ff\x00"), f"escaping: {out[-8:]!r}")


# --- pcap ------------------------------------------------------------------------------------------

def test_pcap(tmp):
    invite = open(INVITE, "rb").read()
    ringing, fwd_invite = response_from_backend()
    zeromf = open(os.path.join(CORPUS, "zeromf.dat"), "rb").read()
    backend = fwd_invite["next_hop"].split(":")[0]
    packets = [
        ipv4_udp("198.18.0.2", 5060, "198.18.0.1", 5060, invite),
        ipv4_udp("198.18.0.1", 5060, "198.19.0.11", 5060, b"not udp", proto=6),     # TCP: skipped
        ipv4_udp(backend, 5060, "198.18.0.1", 5060, ringing),
        ipv4_udp("198.18.0.9", 5090, "198.18.0.1", 5060, zeromf, frag=0x2000),       # fragment: skipped
        ipv4_udp("198.18.0.9", 5090, "198.18.0.1", 5060, zeromf),
    ]
    eth_frames = [ethernet(p, vlan=(i == 2)) for i, p in enumerate(packets)] + [ethernet(b"\0" * 28, 0x0806)]
    captures = [
        ("eth.pcap", pcap(eth_frames, 1)),
        ("sll-be.pcap", pcap([sll(p) for p in packets], 113, ">", True)),
        ("raw.pcap", pcap(packets, 101)),
        ("raw228.pcap", pcap(packets, 228, ">")),
        ("eth.pcapng", pcapng(eth_frames, 1)),
        ("raw-be.pcapng", pcapng(packets, 101, ">")),
    ]
    # And a pcapng written by Wireshark's own tools from the first capture, when they are installed
    # (scripts/setup.sh installs tshark, which brings editcap).
    if shutil.which("editcap"):
        write(tmp, "for-editcap.pcap", captures[0][1])
        subprocess.run(["editcap", "-F", "pcapng", os.path.join(tmp, "for-editcap.pcap"),
                        os.path.join(tmp, "editcap.pcapng")], check=True)
        with open(os.path.join(tmp, "editcap.pcapng"), "rb") as f:
            converted = f.read()
        check(converted[:4] == b"\x0a\x0d\x0d\x0a", "editcap wrote a pcapng file")
        captures.append(("editcap.pcapng", converted))
    else:
        print("note: editcap not installed; pcapng checked with the test's own files only")
    for name, data in captures:
        p, objs = explain("-c", CONFIG, "--pcap", write(tmp, name, data))
        check(len(objs) == 3, f"{name}: {len(objs)} datagrams, expected 3")
        if len(objs) != 3:
            continue
        check(b"fragment" in p.stderr, f"{name}: the fragment is noted on stderr: {p.stderr!r}")
        inv, resp, mf0 = objs
        check(inv["verdict"] == "forward" and inv["output"] == fwd_invite["output"], f"{name}: invite {inv}")
        check(resp["verdict"] == "forward" and resp["next_hop"] == "198.18.0.2:5060", f"{name}: response {resp}")
        check(mf0["verdict"] == "reply" and mf0["next_hop"] == "198.18.0.9:5060", f"{name}: own source {mf0}")

    p, _ = explain("-c", CONFIG, "--pcap", write(tmp, "x.pcap", pcap([], 1)), INVITE, expect_ok=False)
    check(p.returncode != 0, "--pcap and FILE together are a usage error")
    p, _ = explain("-c", CONFIG, "--pcap", write(tmp, "cut.pcap", pcap([ethernet(packets[0])], 1)[:-10]), expect_ok=False)
    check(p.returncode != 0 and b"truncated" in p.stderr, f"truncated capture: {p.stderr!r}")


def main():
    if not os.path.isdir(CORPUS):
        print(f"missing conformance corpus {CORPUS}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="sipshunt-explain-") as tmp:
        for t in (test_files, test_from_and_down, test_errors, test_escaping, test_pcap):
            t(tmp)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("explain: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
