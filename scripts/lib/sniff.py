#!/usr/bin/env python3
"""A local user without the key on a keyed Ethernet-in-UDP segment (issue
10, item 6): it joins the multicast group, records what passes, looks for
secrets in it, and sends it all again.

    sniff.py GROUP:PORT record SECONDS FILE
        Records every datagram heard for SECONDS into FILE; prints how many.
        FILE.ready appears once it listens.
    sniff.py - search FILE CAPFILE...
        Prints how many recorded datagrams hold the port (6 bytes) of any
        of the capabilities in CAPFILEs.
    sniff.py GROUP:PORT replay FILE
        Sends every recorded datagram to the group again; prints how many.
"""
import socket
import struct
import sys
import time


def port_of(cap_text):
    return bytes(int(b, 16) for b in cap_text.strip().split("/")[0].split(":"))


def load(path):
    data, out = open(path, "rb").read(), []
    i = 0
    while i + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, i)
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


def group_socket(dest):
    group, port = dest.split(":")[0], int(dest.split(":")[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
    return s, (group, port)


def main():
    dest, kind, a = sys.argv[1], sys.argv[2], sys.argv[3:]
    if kind == "record":
        s, (group, port) = group_socket(dest)
        s.bind((group, port))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(group) + socket.inet_aton("127.0.0.1"))
        open(a[1] + ".ready", "w").close()   # joined: the caller may start
        end, n = time.time() + float(a[0]), 0
        with open(a[1], "wb") as f:
            while True:
                left = end - time.time()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    d = s.recv(65536)
                except socket.timeout:
                    break
                f.write(struct.pack("<I", len(d)) + d)
                n += 1
        print(n)
    elif kind == "search":
        ports = [port_of(open(c).read()) for c in a[1:]]
        print(sum(1 for d in load(a[0]) if any(p in d for p in ports)))
    elif kind == "replay":
        s, target = group_socket(dest)
        n = 0
        for d in load(a[0]):
            s.sendto(d, target)
            n += 1
        print(n)
    else:
        sys.exit("unknown kind " + kind)


if __name__ == "__main__":
    main()
