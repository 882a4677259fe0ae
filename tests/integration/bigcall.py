#!/usr/bin/env python3
"""One call whose INVITE is larger than the MTU (the client's kernel sends it in fragments), placed
from the client namespace by the fragment test: INVITE (retransmitted like timer A), 200, ACK and
BYE along the Record-Route, 200. Prints a JSON result; bounded in time.

  bigcall.py PROXY_IP BODY_BYTES CALL_ID
"""
import json
import re
import socket
import sys
import time

LOCAL = ("198.18.0.10", 5070)


def body_of(size):
    lines = ["v=0", "o=big 1 1 IN IP4 198.18.0.10", "s=-", "c=IN IP4 198.18.0.10", "t=0 0", "m=audio 7000 RTP/AVP 0"]
    i = 0
    while sum(len(x) + 2 for x in lines) < size:
        lines.append(f"a=x-filler:{i:06d}:" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2)
        i += 1
    return "\r\n".join(lines) + "\r\n"


def main():
    proxy, size, cid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    body = body_of(size)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(LOCAL)
    s.settimeout(0.5)
    common = (f"From: <sip:big@198.18.0.10:5070>;tag=big1\r\nCall-ID: {cid}\r\nMax-Forwards: 70\r\n")
    invite = (f"INVITE sip:service@{proxy}:5060 SIP/2.0\r\n"
              f"Via: SIP/2.0/UDP 198.18.0.10:5070;branch=z9hG4bK-big-1\r\n{common}"
              f"To: <sip:service@{proxy}>\r\nCSeq: 1 INVITE\r\nContact: <sip:big@198.18.0.10:5070>\r\n"
              f"Content-Type: application/sdp\r\nContent-Length: {len(body)}\r\n\r\n{body}").encode()
    result = {"invite_bytes": len(invite), "got_200": False, "bye_200": False}
    deadline = time.time() + 10
    ok = None
    while time.time() < deadline and ok is None:
        s.sendto(invite, (proxy, 5060))
        end = time.time() + 0.5
        while time.time() < end:
            try:
                data, _ = s.recvfrom(65535)
            except socket.timeout:
                break
            text = data.decode(errors="replace")
            if text.startswith("SIP/2.0 200") and "INVITE" in re.search(r"CSeq:[^\r]*", text).group(0):
                ok = text
                break
    if ok is None:
        print(json.dumps(result))
        return 1
    result["got_200"] = True
    to = re.search(r"^To:\s*(.*?)\r$", ok, re.M).group(1)
    rr = re.search(r"^Record-Route:\s*(.*?)\r$", ok, re.M)
    contact = re.search(r"^Contact:\s*<?([^>\r;]+)", ok, re.M).group(1)
    route = f"Route: {rr.group(1)}\r\n" if rr else ""
    for method, cseq in (("ACK", 1), ("BYE", 2)):
        msg = (f"{method} {contact} SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.10:5070;branch=z9hG4bK-big-{method}\r\n"
               f"{route}{common}To: {to}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n").encode()
        for _ in range(10 if method == "BYE" else 1):
            s.sendto(msg, (proxy, 5060))
            if method == "ACK":
                break
            try:
                data, _ = s.recvfrom(65535)
                if data.startswith(b"SIP/2.0 200") and b"BYE" in data:
                    result["bye_200"] = True
                    break
            except socket.timeout:
                pass
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
