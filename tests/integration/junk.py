#!/usr/bin/env python3
"""Sends malformed traffic at the proxy from the client namespace (the malformed-datagram test runs
it with `ip netns exec`). Each kind is sent COUNT times, interleaved, over SECONDS; prints the
per-kind counts as JSON. Bounded in count and time.

  junk.py PROXY_IP COUNT SECONDS
"""
import json
import os
import random
import socket
import struct
import sys
import time

GOOD = (
    "INVITE sip:service@{proxy}:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 198.18.0.10:5099;branch=z9hG4bK-junk-{n}\r\n"
    "From: <sip:junk@198.18.0.10>;tag=j{n}\r\n"
    "To: <sip:service@{proxy}>\r\n"
    "{callid}"
    "CSeq: 1 INVITE\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: {clen}\r\n"
    "\r\n"
    "{body}"
)


def sip(proxy, n, callid=True, clen=None, body="v=0\r\n", version="SIP/2.0"):
    text = GOOD.format(proxy=proxy, n=n, callid=f"Call-ID: junk-{n}@198.18.0.10\r\n" if callid else "",
                       clen=len(body) if clen is None else clen, body=body)
    return text.replace("SIP/2.0\r\n", version + "\r\n", 1).encode()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def main():
    proxy, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    rng = random.Random(5)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("198.18.0.10", 5099))
    raw_udp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    raw_other = socket.socket(socket.AF_INET, socket.SOCK_RAW, 253)  # RFC 3692 experimental protocol

    def bad_checksum(n):
        payload = sip(proxy, n)
        length = 8 + len(payload)
        src, dst = socket.inet_aton("198.18.0.10"), socket.inet_aton(proxy)
        pseudo = src + dst + struct.pack("!BBH", 0, 17, length)
        good = checksum(pseudo + struct.pack("!HHHH", 5099, 5060, length, 0) + payload) or 0xFFFF
        wrong = good ^ 0x0101
        raw_udp.sendto(struct.pack("!HHHH", 5099, 5060, length, wrong) + payload, (proxy, 0))

    kinds = {
        # parsed by the proxy and refused: each counts once in its parse-failure reason
        "garbage": lambda n: udp.sendto(bytes(rng.randrange(128, 256) for _ in range(200)), (proxy, 5060)),
        "truncated": lambda n: udp.sendto(sip(proxy, n)[:120], (proxy, 5060)),
        "no-call-id": lambda n: udp.sendto(sip(proxy, n, callid=False), (proxy, 5060)),
        "content-length-beyond": lambda n: udp.sendto(sip(proxy, n, clen=5000), (proxy, 5060)),
        "sip-3.0": lambda n: udp.sendto(sip(proxy, n, version="SIP/3.0"), (proxy, 5060)),
        "empty": lambda n: udp.sendto(b"", (proxy, 5060)),
        # refused by the data plane before SIP
        "bad-udp-checksum": bad_checksum,
        "closed-port": lambda n: udp.sendto(sip(proxy, n), (proxy, 5061)),
        "unsupported-protocol": lambda n: raw_other.sendto(b"not udp", (proxy, 0)),
    }
    sent = {k: 0 for k in kinds}
    order = [k for k in kinds for _ in range(count)]
    rng.shuffle(order)
    gap = seconds / max(1, len(order))
    deadline = time.time() + seconds + 10
    for i, k in enumerate(order):
        if time.time() > deadline:
            break
        kinds[k](i)
        sent[k] += 1
        time.sleep(gap)
    print(json.dumps(sent))


if __name__ == "__main__":
    main()
