#!/usr/bin/env python3
"""Hostile frames for a node's NIC, sent onto an Ethernet-in-UDP segment.

    frame-noise.py GROUP PORT CORPUS_DIR COUNT     onto a UDP multicast segment
    frame-noise.py --iface IFACE CORPUS_DIR COUNT  onto a raw Ethernet interface (root)

Every seed of the fuzz corpora goes out as a frame: the FLIP box and RPC
node seeds are read as their targets read them (records of control byte,
length, frame), every other seed is put behind an Ethernet header with
FLIP's EtherType. Then COUNT frames of random bytes (random length, half of
them with FLIP's EtherType so they reach the parser), and runts shorter
than an Ethernet header (at least one byte: QEMU's socket and dgram
backends take an empty datagram for the end of the connection and stop
reading the link, which would test QEMU, not the node). Prints how many
frames went out.
"""
import os
import random
import socket
import struct
import sys
import time

FLIP_TYPE = b"\x81\x46"
BROADCAST = b"\xff" * 6
SOURCE = bytes([0x02, 0x66, 0x75, 0x7a, 0x7a, 0x01])


def records(data):
    """The frames of a flip_box / rpc_node seed: [control, length, bytes...]."""
    i = 0
    while i + 2 <= len(data):
        n = data[i + 1]
        yield data[i + 2:i + 2 + n]
        i += 2 + n


def main():
    if sys.argv[1] == "--iface":
        corpus, count = sys.argv[3], int(sys.argv[4])
        raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        raw.bind((sys.argv[2], 0))
        # The kernel will not put a frame shorter than its header on a wire.
        put = lambda frame: raw.send(frame if len(frame) >= 14 else frame + bytes(14 - len(frame)))
    else:
        group, port, corpus, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
        put = lambda frame: s.sendto(frame, (group, port))
    rng = random.Random(1234)
    sent = 0

    def send(frame):
        nonlocal sent
        put(frame)
        sent += 1
        if sent % 50 == 0:
            time.sleep(0.01)   # a hostile sender, not a flood: the ring must not be the test

    for target in sorted(os.listdir(corpus)):
        folder = os.path.join(corpus, target)
        for name in sorted(os.listdir(folder)):
            data = open(os.path.join(folder, name), "rb").read()
            if target in ("flip_box", "rpc_node"):
                for f in records(data):
                    if f:
                        send(f if len(f) >= 14 else BROADCAST + SOURCE + FLIP_TYPE + f)
            else:
                send(BROADCAST + SOURCE + FLIP_TYPE + data[:1500])
    for i in range(count):
        body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 1500)))
        if i % 2 == 0:
            send(BROADCAST + SOURCE + FLIP_TYPE + body)
        else:
            send(body[:1514])
    for n in range(1, 14):
        send(bytes(rng.getrandbits(8) for _ in range(n)))
    print(f"sent {sent} malformed frames")


if __name__ == "__main__":
    main()
