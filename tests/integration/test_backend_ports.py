#!/usr/bin/env python3
"""A backend that sends from another port than the one it listens on is still a backend
([proxy] backend_source = "address", the default): its in-dialog BYE, carrying our pin in its
Route, must go out to the caller by its Request-URI, not follow the pin back into the pool.
Backend b1 (198.18.0.21, listening on 5060 in the config) sends the BYE from port 40000; a
listener in the client namespace must receive it with our Via on top and b1's Via below."""
import sys
import time

from harness import CLIENT_IP, PROXY_IP, Env, backend_ip, check, main

LISTEN_PORT = 5072

LISTENER = f"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("{CLIENT_IP}", {LISTEN_PORT}))
s.settimeout(0.5)
end = time.time() + 20
with open(sys.argv[1], "wb") as out:
    while time.time() < end:
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            continue
        out.write(data + b"\\n=====\\n")
        out.flush()
"""

SENDER = f"""
import socket, sys, time
bye = (
    "BYE sip:alice@{CLIENT_IP}:{LISTEN_PORT} SIP/2.0\\r\\n"
    "Via: SIP/2.0/UDP {backend_ip(1)}:40000;branch=z9hG4bK-eph-1\\r\\n"
    "Route: <sip:{PROXY_IP}:5060;lr;sipshunt-b=b1>\\r\\n"
    "Max-Forwards: 70\\r\\n"
    "From: <sip:bob@example.com>;tag=b1tag\\r\\n"
    "To: <sip:alice@example.org>;tag=alicetag\\r\\n"
    "Call-ID: ephemeral-port-bye@{backend_ip(1)}\\r\\n"
    "CSeq: 2 BYE\\r\\n"
    "Content-Length: 0\\r\\n\\r\\n").encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("{backend_ip(1)}", 40000))
for _ in range(3):  # UDP: the first copy may wait for ARP; every copy must take the same path
    s.sendto(bye, ("{PROXY_IP}", 5060))
    time.sleep(0.3)
"""


def test(sipshunt):
    with Env(sipshunt, "bport") as env:
        env.start_proxy()
        got = env.path("received.bin")
        listener = env.popen(env.ns("client"), ["python3", "-c", LISTENER, got], "listener.log")
        time.sleep(0.5)
        sender = env.popen(env.ns(1), ["python3", "-c", SENDER], "sender.log")
        sender.wait(timeout=10)
        deadline = time.time() + 5
        data = b""
        while time.time() < deadline:
            with open(got, "rb") as f:
                data = f.read()
            if data.count(b"\n=====\n") >= 3:
                break
            time.sleep(0.2)
        listener.terminate()
        copies = [c for c in data.split(b"\n=====\n") if c]
        check(len(copies) == 3, f"the caller received all 3 copies of the BYE b1 sent from port 40000 ({len(copies)})")
        lines = copies[0].decode(errors="replace").split("\r\n")
        check(lines[0] == f"BYE sip:alice@{CLIENT_IP}:{LISTEN_PORT} SIP/2.0", f"Request-URI kept: {lines[0]}")
        check(lines[1].startswith(f"Via: SIP/2.0/UDP {PROXY_IP}:5060;branch=z9hG4bK"), f"our Via on top: {lines[1]}")
        check(lines[2] == f"Via: SIP/2.0/UDP {backend_ip(1)}:40000;branch=z9hG4bK-eph-1", f"b1's Via next: {lines[2]}")
        check(not any(l.startswith("Route:") for l in lines), "our Route was removed")
        stats = env.stop_proxy()
        reasons = stats["sip"]["reasons"]
        check(reasons["outbound"] == 3 and reasons["pinned"] == 0,
              f"counted as outbound, not pinned (outbound {reasons['outbound']}, pinned {reasons['pinned']})")


if __name__ == "__main__":
    sys.exit(main(test))
