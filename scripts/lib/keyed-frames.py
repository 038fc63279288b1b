#!/usr/bin/env python3
"""What a key holder sees in datagrams recorded on a keyed segment (by
sniff.py record): opens each with the segment key, independently of the
Swift code (Python's `cryptography` ChaCha20-Poly1305), and reports on the
FLIP packets one sender put on the wire.

    keyed-frames.py KEYFILE RECORDING MAC
        Prints "opened N of M; from MAC: P FLIP packets, U marked UNSAFE".
        Exits 3 (and says so) when the `cryptography` module is missing.

A keyed link is a trusted FLIP network, so a host or kernel node sending
on one must not mark its packets UNSAFE (the 0x20 flag).
"""
import hashlib
import hmac
import struct
import sys

try:
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
except ImportError:
    print("skipped: python3 has no cryptography module")
    sys.exit(3)

LABEL = b"amoeba segment seal 1"
HEADER = 13      # version, sender id, counter: the associated data
FLIP_ETHERTYPE = 0x8146
UNSAFE = 0x20


def recorded(path):
    data, i = open(path, "rb").read(), 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, i)
        yield data[i + 4:i + 4 + n]
        i += 4 + n


def main():
    key_file, recording, mac = sys.argv[1], sys.argv[2], sys.argv[3]
    segment_key = bytes.fromhex("".join(open(key_file).read().split()))
    aead = ChaCha20Poly1305(hmac.new(segment_key, LABEL, hashlib.sha256).digest())
    sender = bytes(int(b, 16) for b in mac.split(":"))
    total = opened = packets = unsafe = 0
    for d in recorded(recording):
        total += 1
        if len(d) <= HEADER + 16 or d[0] != 1:
            continue
        try:
            frame = aead.decrypt(d[1:HEADER], d[HEADER:], d[:HEADER])
        except Exception:
            continue
        opened += 1
        # Ethernet header, the fragment control pair (type 0: data), then
        # the FLIP header: version, type, flags.
        if len(frame) < 19 or frame[6:12] != sender:
            continue
        if struct.unpack_from(">H", frame, 12)[0] != FLIP_ETHERTYPE or frame[14] != 0:
            continue
        packets += 1
        if frame[18] & UNSAFE:
            unsafe += 1
    print("opened %d of %d; from %s: %d FLIP packets, %d marked UNSAFE" % (opened, total, mac, packets, unsafe))


if __name__ == "__main__":
    main()
