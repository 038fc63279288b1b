#!/usr/bin/env python3
"""Writes a pcap of hand-built FLIP frames the live capture does not show:
a big-endian REQUEST (Amoeba lets the sender pick its byte order), the
second fragment of a long message, and a CREDIT control frame. Used by
scripts/wireshark-test.sh to check the dissector's byte-order and fragment
handling.

    flip-frames.py OUT.pcap
"""
import struct
import sys

ETH_FLIP = 0x8146
SRC_MAC = bytes.fromhex("020000000001")
DST_MAC = bytes.fromhex("020000000002")
SRC = bytes.fromhex("1111111111111100")
DST = bytes.fromhex("2222222222222200")


def flip_header(kind, big, messid, length, offset, total):
    order = ">" if big else "<"
    flags = 0x01 if big else 0x00
    return (struct.pack("BBBB", 1, kind, flags, 0)
            + struct.pack(order + "HH", 0, 25) + DST + SRC
            + struct.pack(order + "IIII", messid, length, offset, total))


def ether(payload):
    frame = DST_MAC + SRC_MAC + struct.pack(">H", ETH_FLIP) + payload
    return frame + bytes(max(0, 60 - len(frame)))


def big_endian_request():
    amp = (bytes.fromhex("0102030405060708") + bytes.fromhex("aabbccddeeff")
           + struct.pack(">BBIHH", 3, 0x01 | 0x04, 77, 0, 5))
    header = (bytes.fromhex("aabbccddeeff") + bytes(6) + struct.pack("<I", 7)[:3]
              + bytes([0xFF]) + bytes(6) + struct.pack(">HiHH", 1006, 0, 0, 0))
    body = amp + header
    total = len(body) + 3000
    data = body + bytes(1458 - len(body))
    return ether(bytes([0, 0]) + flip_header(3, True, 9, len(data), 0, total) + data)


def second_fragment():
    data = bytes(range(256)) * 5 + bytes(1458 - 1280)
    return ether(bytes([0, 0]) + flip_header(3, False, 9, len(data), 1458, 4514) + data)


def credit():
    return ether(bytes([2, 8]))


def main():
    frames = [big_endian_request(), second_fragment(), credit()]
    with open(sys.argv[1], "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, f in enumerate(frames):
            out.write(struct.pack("<IIII", 1000 + i, 0, len(f), len(f)))
            out.write(f)


if __name__ == "__main__":
    main()
