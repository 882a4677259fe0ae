#!/usr/bin/env python3
"""Writes a pcap of N distinct SIP INVITEs (Ethernet/IPv4/UDP or Ethernet/IPv6/UDP, valid
checksums) for the net_pcap benchmark: many clients (source addresses and ports), distinct
Call-IDs, branches and tags, a realistic header set and SDP body (~900 bytes on the wire).
An IPv6 PROXY_IP (2001:db8::1) gives IPv6 clients (2001:db8::x:y) and RFC 5118 references.

  make_invites.py N OUT.pcap [PROXY_IP] [FIRST]    (INVITEs FIRST .. FIRST+N-1; default 0)
"""
import ipaddress
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(text):
    return bytes(int(x) for x in text.split("."))


def invite(i, proxy):
    user = f"+1{2125550000 + i % 10000:010d}"
    callee = f"+1{3105550000 + (i * 7919) % 10000:010d}"
    v6 = ":" in proxy
    src = f"2001:db8::{1 + (i // 250) % 200:x}:{1 + i % 250:x}" if v6 else f"198.18.{1 + (i // 250) % 200}.{1 + i % 250}"
    sport = 5060 + (i % 7)
    host = f"[{src}]" if v6 else src  # RFC 5118 §4: IPv6 references in brackets
    phost = f"[{proxy}]" if v6 else proxy
    fam = "IP6" if v6 else "IP4"
    body = ("v=0\r\n"
            f"o={user} {100000 + i} {200000 + i} IN {fam} {src}\r\n"
            "s=-\r\n"
            f"c=IN {fam} {src}\r\n"
            "t=0 0\r\n"
            f"m=audio {10000 + 2 * (i % 20000)} RTP/AVP 0 8 101\r\n"
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
            "a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n")
    msg = (f"INVITE sip:{callee}@{phost}:5060;user=phone SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {host}:{sport};branch=z9hG4bK{i:08x}a{i * 2654435761 % 2**32:08x};rport\r\n"
           "Max-Forwards: 70\r\n"
           f"From: \"Caller {i}\" <sip:{user}@{host}>;tag={i * 40503 % 2**32:08x}\r\n"
           f"To: <sip:{callee}@{phost};user=phone>\r\n"
           f"Call-ID: {i * 2246822519 % 2**32:08x}-{i:07d}@{host}\r\n"
           "CSeq: 1 INVITE\r\n"
           f"Contact: <sip:{user}@{host}:{sport}>\r\n"
           "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REFER, NOTIFY\r\n"
           "Supported: replaces, timer, 100rel\r\n"
           "User-Agent: PhoneOS/4.2.1 (sipshunt bench)\r\n"
           "Session-Expires: 1800\r\n"
           "Content-Type: application/sdp\r\n"
           f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    return src, sport, msg


def frame6(src, sport, payload, proxy):
    udp_len = 8 + len(payload)
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(proxy).packed
    pseudo = s + d + struct.pack("!IxxxB", udp_len, 17)  # RFC 8200 §8.1
    udp = struct.pack("!HHHH", sport, 5060, udp_len, 0)
    c = csum(pseudo + udp + payload) or 0xFFFF
    udp = struct.pack("!HHHH", sport, 5060, udp_len, c)
    iph = struct.pack("!IHBB16s16s", 0x60000000, udp_len, 17, 64, s, d)
    eth = b"\xff" * 6 + bytes([0x02, 0, 0x5e, 0, 0, 0x10]) + b"\x86\xdd"
    return eth + iph + udp + payload


def frame(src, sport, payload, proxy):
    if ":" in proxy:
        return frame6(src, sport, payload, proxy)
    udp_len = 8 + len(payload)
    s, d = ip4(src), ip4(proxy)
    pseudo = s + d + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, 5060, udp_len, 0)
    c = csum(pseudo + udp + payload) or 0xFFFF
    udp = struct.pack("!HHHH", sport, 5060, udp_len, c)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, s, d)
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    eth = b"\xff" * 6 + bytes([0x02, 0, 0x5e, 0, 0, 0x10]) + b"\x08\x00"
    return eth + iph + udp + payload


def write_pcap(path, frames):
    """A classic pcap of Ethernet frames, one a second (net_pcap replays them as fast as it can)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for k, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1, k, len(fr), len(fr)))
            f.write(fr)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    proxy = sys.argv[3] if len(sys.argv) > 3 else "198.18.0.1"
    first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    frames = [frame(*invite(i, proxy), proxy) for i in range(first, first + n)]
    write_pcap(out, frames)
    print(f"{n} INVITEs, {sum(map(len, frames)) / n:.0f} bytes per frame on average -> {out}")


if __name__ == "__main__":
    main()
