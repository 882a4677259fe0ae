"""Capture files for the `sipshunt explain --pcap` tests (explain_test.py,
identical_decisions_test.py): IPv4/UDP packets, link-layer headers, pcap and pcapng files, built
in memory so the tests need no capture tool."""
import struct


def ip_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ipv4_udp(src, sport, dst, dport, payload, frag=0, proto=17):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, frag, 64, proto, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    hdr = hdr[:10] + struct.pack("!H", ip_checksum(hdr)) + hdr[12:]
    return hdr + udp


def ethernet(packet, ethertype=0x0800, vlan=False):
    eth = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02"
    if vlan:
        eth += struct.pack("!HH", 0x8100, 42)
    return eth + struct.pack("!H", ethertype) + packet


def sll(packet):
    return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", 0x0800) + packet


def pcap(frames, linktype, endian="<", nanos=False):
    magic = 0xa1b23c4d if nanos else 0xa1b2c3d4
    parts = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)]
    for i, f in enumerate(frames):
        parts.append(struct.pack(endian + "IIII", 1700000000 + i, 0, len(f), len(f)) + f)
    return b"".join(parts)


def pcapng(frames, linktype, endian="<"):
    """A pcapng file: a section header, one interface, one enhanced packet block per frame."""
    def block(kind, body):
        pad = b"\0" * (-len(body) % 4)
        length = 12 + len(body) + len(pad)
        return struct.pack(endian + "II", kind, length) + body + pad + struct.pack(endian + "I", length)
    data = block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    data += block(1, struct.pack(endian + "HHI", linktype, 0, 65535))
    for i, f in enumerate(frames):
        ts = (1700000000 + i) * 1000000
        data += block(6, struct.pack(endian + "IIIII", 0, ts >> 32, ts & 0xffffffff, len(f), len(f)) + f)
    return data
