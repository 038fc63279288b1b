#!/usr/bin/env python3
"""Reads a pcap of Ethernet frames and prints what an Amoeba 5.3 node would
object to: frames shorter than the 60-byte Ethernet minimum, and FLIP
packets carrying the UNSAFE flag (0x20), which says they crossed an
untrusted network.

    pcap-wire-check.py FILE   ->  "N frames, M FLIP packets, R shorter than 60, U unsafe"
"""
import struct
import sys

MINIMUM = 60
FLIP_TYPE = 0x8146
UNSAFE = 0x20


def frames(path):
    with open(path, "rb") as f:
        header = f.read(24)
        if len(header) < 24:
            return
        magic = struct.unpack("<I", header[:4])[0]
        order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            _, _, captured, original = struct.unpack(order + "IIII", record)
            data = f.read(captured)
            yield original, data


def main():
    total = flip = short = unsafe = 0
    for length, data in frames(sys.argv[1]):
        total += 1
        if length < MINIMUM:
            short += 1
        if len(data) >= 19 and struct.unpack(">H", data[12:14])[0] == FLIP_TYPE and data[14] == 0:
            flip += 1
            # Fragment control (2 bytes), then version, type, flags.
            if data[18] & UNSAFE:
                unsafe += 1
    print(f"{total} frames, {flip} FLIP packets, {short} shorter than {MINIMUM}, {unsafe} unsafe")


main()
