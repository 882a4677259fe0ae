#!/usr/bin/env python3
"""Writes the two captures of N whole calls through sipshunt, as each side's port receives them,
for the profile-guided build's training run (scripts/build-pgo.sh): the client side gets each
call's INVITE (make_invites.py's), then its ACK and BYE through the route set the proxy
recorded; the backend side gets the backend's 100, 180 and 200 to the INVITE and its 200 to the
BYE, with the proxy's Via on top (RFC 3261 §16.7: the proxy pops it and sends the response on by
the next Via). So the training covers client requests, in-dialog requests pinned by the
Record-Route, and responses, in the proportions of a plain call (3 requests, 4 responses), not
only the INVITE that scripts/bench-pcap.sh replays.

  make_calls.py N CLIENT.pcap BACKEND.pcap PROXY_IN PROXY_OUT BACKEND_IP...
"""
import sys

from make_invites import frame, invite, write_pcap


def in_dialog(i, method, cseq, src, sport, proxy_in, proxy_out, backend, pin):
    """An ACK or BYE of call i from the client, through the route set (RFC 3261 §12.1.2: the
    Record-Route values of the 200 in reverse order)."""
    user = f"+1{2125550000 + i % 10000:010d}"
    callee = f"+1{3105550000 + (i * 7919) % 10000:010d}"
    return (f"{method} sip:{callee}@{backend}:5060 SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK{i:08x}{method[0]}{cseq};rport\r\n"
            f"Route: <sip:{proxy_in}:5060;lr;sipshunt-b={pin}>, <sip:{proxy_out}:5060;lr;sipshunt-b={pin}>\r\n"
            "Max-Forwards: 70\r\n"
            f"From: \"Caller {i}\" <sip:{user}@{src}>;tag={i * 40503 % 2**32:08x}\r\n"
            f"To: <sip:{callee}@{proxy_in};user=phone>;tag=b{i:07x}\r\n"
            f"Call-ID: {i * 2246822519 % 2**32:08x}-{i:07d}@{src}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            "User-Agent: PhoneOS/4.2.1 (sipshunt bench)\r\n"
            "Content-Length: 0\r\n\r\n").encode()


def response(i, code, phrase, cseq, method, src, sport, proxy_in, proxy_out, backend, pin, body=""):
    """A backend's response with the Via stack of the request the proxy forwarded to it."""
    user = f"+1{2125550000 + i % 10000:010d}"
    callee = f"+1{3105550000 + (i * 7919) % 10000:010d}"
    branch = f"{i * 11400714819323198485 % 2**64:016x}"
    client_branch = f"{i:08x}a{i * 2654435761 % 2**32:08x}" if method == "INVITE" else f"{i:08x}B{cseq}"
    rr = (f"Record-Route: <sip:{proxy_out}:5060;lr;sipshunt-b={pin}>\r\n"
          f"Record-Route: <sip:{proxy_in}:5060;lr;sipshunt-b={pin}>\r\n") if method == "INVITE" and code > 100 else ""
    to_tag = f";tag=b{i:07x}" if code > 100 else ""
    contact = f"Contact: <sip:{callee}@{backend}:5060>\r\n" if method == "INVITE" and code > 100 else ""
    ctype = "Content-Type: application/sdp\r\n" if body else ""
    return (f"SIP/2.0 {code} {phrase}\r\n"
            f"Via: SIP/2.0/UDP {proxy_out}:5060;branch=z9hG4bK{branch}\r\n"
            f"Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK{client_branch};rport={sport};received={src}\r\n"
            f"{rr}"
            f"From: \"Caller {i}\" <sip:{user}@{src}>;tag={i * 40503 % 2**32:08x}\r\n"
            f"To: <sip:{callee}@{proxy_in};user=phone>{to_tag}\r\n"
            f"Call-ID: {i * 2246822519 % 2**32:08x}-{i:07d}@{src}\r\n"
            f"CSeq: {cseq} {method}\r\n"
            f"{contact}"
            "Server: sipshunt-bench-backend\r\n"
            f"{ctype}Content-Length: {len(body)}\r\n\r\n{body}").encode()


def main():
    n, client_out, backend_out, proxy_in, proxy_out = int(sys.argv[1]), *sys.argv[2:6]
    backends = sys.argv[6:]
    client, backend = [], []
    for i in range(n):
        src, sport, inv = invite(i, proxy_in)
        b = i % len(backends)
        bip, pin = backends[b], f"b{b + 1}"
        sdp = ("v=0\r\no=- 1 1 IN IP4 " + bip + "\r\ns=-\r\nc=IN IP4 " + bip + "\r\nt=0 0\r\n"
               f"m=audio {20000 + 2 * (i % 10000)} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n")
        client.append(frame(src, sport, inv, proxy_in))
        for code, phrase, body in ((100, "Trying", ""), (180, "Ringing", ""), (200, "OK", sdp)):
            backend.append(frame(bip, 5060, response(i, code, phrase, 1, "INVITE", src, sport, proxy_in, proxy_out,
                                                     bip, pin, body), proxy_out))
        client.append(frame(src, sport, in_dialog(i, "ACK", 1, src, sport, proxy_in, proxy_out, bip, pin), proxy_in))
        client.append(frame(src, sport, in_dialog(i, "BYE", 2, src, sport, proxy_in, proxy_out, bip, pin), proxy_in))
        backend.append(frame(bip, 5060, response(i, 200, "OK", 2, "BYE", src, sport, proxy_in, proxy_out, bip, pin),
                             proxy_out))
    write_pcap(client_out, client)
    write_pcap(backend_out, backend)
    print(f"{n} calls: {len(client)} client datagrams -> {client_out}, {len(backend)} backend ones -> {backend_out}")


if __name__ == "__main__":
    main()
