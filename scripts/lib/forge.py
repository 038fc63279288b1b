#!/usr/bin/env python3
"""Forged FLIP frames for the adversarial tests (issue 10), sent as a
stranger would: UDP datagrams onto an Ethernet-in-UDP segment (GROUP:PORT,
a multicast segment on loopback) or to a daemon's UDP port (PORT), each
one Ethernet frame with any source MAC and any claimed FLIP address.

    forge.py DEST bcast-requests PUTPORT COUNT
        REQUESTs sent as broadcast MULTIDATA, one kid each (spread over all
        ledger buckets), tid 0xFFFFFFF0: the blind ledger attack.
    forge.py DEST ucast-requests PUTPORT SERVERADDR COUNT
        The same REQUESTs unicast from as many forged addresses, each
        claiming a 30 s round trip.
    forge.py DEST victim-kid PUTPORT SERVERADDR KID
        One REQUEST carrying a victim's kid from another address.
    forge.py DEST owing-fragments DSTADDR COUNT
        The first frame of a two-frame message from COUNT random MACs,
        never the second: each leaves the receiver owing credit.
    forge.py DEST spoof-routes VICTIMADDR SECONDS
        For SECONDS, a LOCATE from the victim's address and a HEREIS for it
        (one hop away) every 200 ms, from the attacker's MAC.
    forge.py DEST locate-flood COUNT
        LOCATEs from COUNT new source addresses and MACs.

PUTPORT is a capability's text (its port is used), addresses are 16 hex
digits. Prints how many frames went out.
"""
import random
import socket
import struct
import sys
import time

FLIP_TYPE = b"\x81\x46"
BROADCAST = b"\xff" * 6
LOCATE, HEREIS, UNIDATA, MULTIDATA = 1, 2, 3, 4
rng = random.Random(10)


def mac(n):
    return bytes([0x06, 0x0b, (n >> 24) & 0xFF, (n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF])


def flip(ftype, dst, src, messid, data, act=0, maxhop=25, total=None, dstmac=BROADCAST, srcmac=mac(0)):
    total = len(data) if total is None else total
    h = struct.pack("<BBBBHH8s8sIIII", 1, ftype, 0, 0, act, maxhop, dst, src, messid, len(data), 0, total)
    frame = dstmac + srcmac + FLIP_TYPE + b"\x00\x00" + h + data
    return frame + bytes(max(0, 60 - len(frame)))


def amp_request(kid, port, tid, dest=30000, frm=1):
    amp = kid + port + bytes([3, 0]) + struct.pack("<IHH", tid, dest, frm)
    header = port + bytes(6) + bytes(10) + struct.pack("<HiHH", 1000, 0, 0, 0)   # STD_INFO, no rights
    return amp + header


def port_of(cap_text):
    return bytes(int(b, 16) for b in cap_text.strip().split("/")[0].split(":"))


def main():
    dest, kind = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    if ":" in dest:
        group, port = dest.split(":")[0], int(dest.split(":")[1])
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
        target = (group, port)
    else:
        target = ("127.0.0.1", int(dest))
    sent = 0

    def put(frame):
        nonlocal sent
        s.sendto(frame, target)
        sent += 1
        if sent % 200 == 0:
            time.sleep(0.005)   # fast, but the socket buffer must not be the test

    a = sys.argv[3:]
    if kind == "bcast-requests":
        putport, count = port_of(a[0]), int(a[1])
        for i in range(count):
            kid = rng.getrandbits(64).to_bytes(8, "big")
            src = (0x0100000000000000 | i << 8).to_bytes(8, "big")
            put(flip(MULTIDATA, bytes(8), src, i, struct.pack(">I", 1) + amp_request(kid, putport, 0xFFFFFFF0),
                     srcmac=mac(i)))
    elif kind == "ucast-requests":
        putport, server, count = port_of(a[0]), bytes.fromhex(a[1]), int(a[2])
        for i in range(count):
            kid = rng.getrandbits(64).to_bytes(8, "big")
            src = (0x0200000000000000 | i << 8).to_bytes(8, "big")
            put(flip(UNIDATA, server, src, i, amp_request(kid, putport, 0xFFFFFFF0), srcmac=mac(i)))
    elif kind == "victim-kid":
        putport, server, kid = port_of(a[0]), bytes.fromhex(a[1]), bytes.fromhex(a[2])
        put(flip(UNIDATA, server, bytes.fromhex("0300000000000100"), 7, amp_request(kid, putport, 0xFFFFFFF0),
                 srcmac=mac(7)))
    elif kind == "owing-fragments":
        dst, count = bytes.fromhex(a[0]), int(a[1])
        for i in range(count):
            src = (0x0400000000000000 | i << 8).to_bytes(8, "big")
            put(flip(UNIDATA, dst, src, i, bytes(1400), total=3000, srcmac=mac(0x10000 + i)))
    elif kind == "spoof-routes":
        victim, end = bytes.fromhex(a[0]), time.time() + float(a[1])
        i = 0
        while time.time() < end:
            put(flip(LOCATE, rng.getrandbits(64).to_bytes(8, "big"), victim, 0x7000 + i, b"", maxhop=1,
                     srcmac=mac(0x20000)))
            put(flip(HEREIS, victim, bytes.fromhex("0500000000000100"), 0x7000 + i, struct.pack("<HH", 1, 1),
                     act=0, maxhop=1, srcmac=mac(0x20000)))
            i += 1
            time.sleep(0.2)
    elif kind == "locate-flood":
        count = int(a[0])
        for i in range(count):
            src = (0x0600000000000000 | i << 8).to_bytes(8, "big")
            put(flip(LOCATE, rng.getrandbits(64).to_bytes(8, "big"), src, i, b"", maxhop=1, srcmac=mac(0x30000 + i)))
    else:
        sys.exit("unknown kind " + kind)
    print(sent)


if __name__ == "__main__":
    main()
