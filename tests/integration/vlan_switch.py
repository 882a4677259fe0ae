#!/usr/bin/env python3
"""An 802.1Q switch in user space for the VLAN-trunk test: one trunk port and access ports, each
access port one VLAN. A frame from an access port leaves by the trunk with its VLAN's tag; a
tagged frame from the trunk leaves by its VLAN's access port untagged; anything else is dropped.

Kernel VLAN interfaces (8021q) or a VLAN-filtering bridge would do the same, but neither is in
every kernel (not in the CI VM's), and raw packet sockets are. Linux hands a received tag to a
packet socket as metadata (PACKET_AUXDATA), not in the frame, so that is where it is read.

  vlan_switch.py TRUNK_IF ACCESS_IF:VID [ACCESS_IF:VID ...]    runs until SIGTERM
"""
import select
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
AUXDATA = struct.Struct("IIIHHHH")   # struct tpacket_auxdata (linux/if_packet.h)


def open_port(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    return s


def receive(s):
    """(frame, vlan id or None), or (None, None) for a frame we sent ourselves."""
    data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(AUXDATA.size))
    if addr[2] == PACKET_OUTGOING:
        return None, None
    for level, kind, value in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= AUXDATA.size:
            status, _, _, _, _, tci, _ = AUXDATA.unpack(value[:AUXDATA.size])
            if status & TP_STATUS_VLAN_VALID:
                return data, tci & 0xfff
    if len(data) >= 18 and data[12:14] == b"\x81\x00":   # a tag the kernel left in the frame
        return data[:12] + data[16:], struct.unpack("!H", data[14:16])[0] & 0xfff
    return data, None


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    trunk = open_port(argv[1])
    access = {}                                          # vid -> socket
    for spec in argv[2:]:
        ifname, vid = spec.rsplit(":", 1)
        access[int(vid)] = open_port(ifname)
    vid_of = {s: vid for vid, s in access.items()}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    socks = [trunk, *access.values()]
    while not stop:
        ready, _, _ = select.select(socks, [], [], 0.2)
        for s in ready:
            frame, vid = receive(s)
            if frame is None or len(frame) < 14:
                continue
            if s is trunk:
                if vid in access:
                    access[vid].send(frame)
            elif vid is None:
                trunk.send(frame[:12] + struct.pack("!HH", 0x8100, vid_of[s]) + frame[12:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
