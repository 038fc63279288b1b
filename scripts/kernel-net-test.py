#!/usr/bin/env python3
"""The host side of scripts/kernel-net-test.sh: boots a kernel node with a
virtio-net NIC on a UDP link (QEMU -netdev dgram, one Ethernet frame per
datagram, no root), and checks the kernel's test reflector (EtherType
0x88B5 comes back with the MACs swapped) from here:

  1. 1000 frames of assorted sizes 60..1518, one at a time: every one comes
     back, reflected exactly; then ping-pong latency p50/p99 (the floor the
     benchmarks compare against);
  2. garbage (random bytes and lengths, short and truncated frames, one too
     long for the NIC) and then valid frames again: all reflected;
  3. a burst far larger than the receive ring: frames may be lost, but none
     silently: every frame sent is accounted for by the guest's counters
     (received, tx full) and the host's socket drop counters, the guest
     reports its receive ring ran full, and it keeps reflecting afterwards;
  4. trust: a node on a udp link is on an untrusted network by default (its
     NOTHERE for a packet to nobody carries FLIP's UNSAFE flag), on a trusted
     one with kernel-run's --trusted yes (no UNSAFE), and on an untrusted one
     when the word trusted= is malformed (the console says so);
  5. the same reflector over a multicast link (QEMU -netdev socket,mcast=);
  6. with --tap (root, not run by CI): over a tap interface, frames sent and
     received with a raw AF_PACKET socket, the way amunixd's pcap links go;
     a tap is a trusted network unless told otherwise.

The guest's counters come from its console (`net=stats` prints them when
traffic pauses). Exits non-zero on any failure, printing why.
"""
import os
import random
import re
import select
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.environ.get("KERNEL_OUT", os.path.join(ROOT, ".build-kernel"))
GUEST_MAC = bytes.fromhex("525400123456")
HOST_MAC = bytes.fromhex("02aabbccdd01")
ETHERTYPE = b"\x88\xb5"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("  FAIL:", what)
    return ok


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def frame(size, rng, dst=GUEST_MAC, src=HOST_MAC):
    return dst + src + ETHERTYPE + bytes(rng.getrandbits(8) for _ in range(size - 14))


def reflected(f):
    return f[6:12] + f[0:6] + f[12:]


class Node:
    """One kernel node in QEMU, started through kernel-run.sh."""

    def __init__(self, link, name, extra=()):
        self.log_path = os.path.join(OUT, "logs", "net-%s.log" % name)
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log = open(self.log_path, "w")
        env = dict(os.environ, KERNEL_NO_BUILD="1")
        self.proc = subprocess.Popen(
            [os.path.join(ROOT, "scripts", "kernel-run.sh"), "--link", link,
             "--mac", ":".join("%02x" % b for b in GUEST_MAC)] + list(extra) + ["net=stats"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)

    def console(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout):
        end = time.time() + timeout
        while time.time() < end:
            m = re.search(pattern, self.console())
            if m:
                return m
            if self.proc.poll() is not None:
                return None
            time.sleep(0.05)
        return None

    def statistics(self, after=0):
        """The last counters line printed after the console's first `after` characters."""
        lines = re.findall(r"\[net\] statistics: received (\d+), rx dropped (\d+), rx ring full (\d+); "
                           r"transmitted (\d+), tx full (\d+), tx too long (\d+); interrupts (\d+), notifications (\d+)",
                           self.console()[after:])
        if not lines:
            return None
        keys = ["received", "rxDropped", "rxRingFull", "transmitted", "txFull", "txTooLong", "interrupts", "notifications"]
        return dict(zip(keys, map(int, lines[-1])))

    def mark(self):
        return len(self.console())

    def settled_statistics(self, mark, timeout=5.0):
        """The guest's counters once traffic has paused: the last line the
        console printed after position `mark` (taken before the traffic),
        when the console has been still for a while (the guest prints one
        such line 200 ms after each burst of traffic)."""
        end = time.time() + timeout
        length, still_since = -1, time.time()
        while time.time() < end:
            text = self.console()
            if len(text) != length:
                length, still_since = len(text), time.time()
            s = self.statistics(mark)
            if s and time.time() - still_since > 0.4:
                return s
            time.sleep(0.05)
        return self.statistics(mark)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def udp_drops(port):
    """The kernel's drop counter of the UDP socket bound to 127.0.0.1:port (0 if none)."""
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                return int(fields[-1])
    return 0


class Peer:
    """This host's end of the link."""

    def __init__(self, sock, send_to, own_mac=HOST_MAC):
        self.sock = sock
        self.send_to = send_to
        self.own_mac = own_mac
        self.stray = []   # frames that arrived while ping waited for another

    def send(self, f):
        if self.send_to is None:
            self.sock.send(f)
        else:
            self.sock.sendto(f, self.send_to)

    def receive(self, timeout):
        """The next frame not sent by this host (a multicast socket hears its own)."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            data = self.sock.recv(65536)
            if data[6:12] != self.own_mac:
                return data

    def drain(self, quiet=0.3):
        got = []
        while True:
            d = self.receive(quiet)
            if d is None:
                return got
            got.append(d)

    def ping(self, f, timeout=2.0):
        """Sends f and waits for its reflection; the round trip in seconds, or None."""
        t0 = time.perf_counter()
        self.send(f)
        while True:
            d = self.receive(timeout)
            if d is None:
                return None
            if d == reflected(f):
                return time.perf_counter() - t0
            self.stray.append(d)


def wait_until_reflecting(peer, rng, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        if peer.ping(frame(60, rng), timeout=0.5) is not None:
            peer.drain(0.2)
            return True
    return False


def sequential(peer, rng, sizes, what):
    lost = 0
    for n in sizes:
        if peer.ping(frame(n, rng)) is None:
            lost += 1
    check(lost == 0, "%s: %d of %d frames not reflected" % (what, lost, len(sizes)))
    return lost


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100.0 * (len(values) - 1))))]


def udp_tests():
    rng = random.Random(8146)
    host_port, guest_port = free_udp_port(), free_udp_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    sock.bind(("127.0.0.1", host_port))
    peer = Peer(sock, ("127.0.0.1", guest_port))
    node = Node("udp:%d:127.0.0.1:%d" % (guest_port, host_port), "udp")
    try:
        m = node.wait_for(r"\[net\] virtio-net ([0-9a-f:]{17}) irq (\d+)", 60)
        if not check(m is not None, "no [net] line on the console"):
            return
        print("  console: %s" % m.group(0))
        check(m.group(1) == "52:54:00:12:34:56", "MAC on the console is %s" % m.group(1))
        if not check(wait_until_reflecting(peer, rng), "the node never reflected a frame"):
            return

        # 1. Every size class, one at a time, all reflected exactly.
        mark = node.mark()
        sizes = [60, 61, 64, 128, 512, 1000, 1513, 1514, 1518] + [rng.randint(60, 1514) for _ in range(991)]
        t0 = time.time()
        lost = sequential(peer, rng, sizes, "sizes 60..1518")
        print("  1000 frames of sizes 60..1518 reflected one at a time, %d lost (%.2fs)" % (lost, time.time() - t0))

        rtts = []
        for _ in range(2000):
            r = peer.ping(frame(60, rng))
            if r is not None:
                rtts.append(r * 1e6)
        check(len(rtts) == 2000, "latency run: %d of 2000 reflected" % len(rtts))
        if rtts:
            print("  ping-pong latency, 60-byte frames, host UDP -> QEMU TCG guest -> host: "
                  "p50 %.0f us, p99 %.0f us, min %.0f us (%d round trips)"
                  % (percentile(rtts, 50), percentile(rtts, 99), min(rtts), len(rtts)))
        big = [peer.ping(frame(1514, rng)) for _ in range(500)]
        big = [r * 1e6 for r in big if r is not None]
        if big:
            print("  ping-pong latency, 1514-byte frames: p50 %.0f us, p99 %.0f us" % (percentile(big, 50), percentile(big, 99)))

        # 2. Garbage and malformed frames, then valid ones again.
        base = node.settled_statistics(mark) or {}
        garbage = [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1518))) for _ in range(300)]
        garbage += [b"\x01\x02\x03\x04\x05",                    # shorter than an Ethernet header
                    GUEST_MAC + HOST_MAC + b"\x88",             # 13 bytes: header cut short
                    GUEST_MAC + HOST_MAC + ETHERTYPE,           # a header and nothing else
                    frame(1600, rng),                           # too long for the NIC's buffers
                    b"\xff" * 6 + HOST_MAC + ETHERTYPE + bytes(50),          # broadcast: not reflected
                    GUEST_MAC + b"\x03" + HOST_MAC[1:] + ETHERTYPE + bytes(50),  # group sender: not reflected
                    GUEST_MAC + GUEST_MAC + ETHERTYPE + bytes(50),           # from itself: not reflected
                    GUEST_MAC + HOST_MAC + b"\x81\x46" + bytes(50)]          # FLIP: not the reflector's
        mark = node.mark()
        qemu_drops0 = udp_drops(guest_port)
        peer.stray = []
        for i, g in enumerate(garbage):
            peer.send(g)
            if i % 16 == 15:   # paced by a round trip: this part is about content, not load
                check(peer.ping(frame(60, rng)) is not None, "garbage: a valid frame between them was lost")
        back = peer.stray + peer.drain(0.5)
        header_only = GUEST_MAC + HOST_MAC + ETHERTYPE
        expected_back = {reflected(header_only + bytes(46))}   # padded to 60 by the guest
        unexpected = [b for b in back if b not in expected_back]
        check(not unexpected, "garbage: %d unexpected frames came back" % len(unexpected))
        check(any(b in expected_back for b in back), "garbage: the header-only 0x88B5 frame did not come back padded")
        lost = sequential(peer, rng, [rng.randint(60, 1514) for _ in range(100)], "after garbage")
        after = node.settled_statistics(mark) or {}
        runts = sum(1 for g in garbage if len(g) < 14)
        dropped = after.get("rxDropped", 0) - base.get("rxDropped", 0)
        received = after.get("received", 0) - base.get("received", 0)
        print("  %d garbage frames (random, 5 and 13 bytes, header only, 1600 bytes, not for it); "
              "then 100 valid frames: %d lost; guest received %d, rx dropped %d (the %d runts)"
              % (len(garbage), lost, received, dropped, runts))
        check(udp_drops(guest_port) == qemu_drops0, "garbage: QEMU's socket dropped frames")
        check(dropped == runts, "garbage: guest rx dropped %d, but %d runts were sent" % (dropped, runts))
        # Every frame but the runts and the one too long for the NIC (QEMU drops it) reaches the thread.
        expected = len(garbage) - runts - 1 + len(garbage) // 16 + 100
        check(received == expected, "garbage: guest received %d, expected %d" % (received, expected))

        # 3. A burst far larger than the receive ring (128 buffers).
        count = 3000
        before = after
        mark = node.mark()
        qemu_drops0, host_drops0 = udp_drops(guest_port), udp_drops(host_port)
        burst = [frame(rng.choice([60, 600, 1514]), rng) for _ in range(count)]
        t0 = time.time()
        for f in burst:
            peer.send(f)
        sent_time = time.time() - t0
        back = peer.drain(1.0)
        stats = node.settled_statistics(mark) or {}
        qemu_drops = udp_drops(guest_port) - qemu_drops0
        host_drops = udp_drops(host_port) - host_drops0
        received = stats.get("received", 0) - before.get("received", 0)
        transmitted = stats.get("transmitted", 0) - before.get("transmitted", 0)
        tx_full = stats.get("txFull", 0) - before.get("txFull", 0)
        ring_full = stats.get("rxRingFull", 0) - before.get("rxRingFull", 0)
        wanted = set(reflected(f) for f in burst)
        good = sum(1 for b in back if b in wanted)
        print("  burst of %d frames sent in %.0f ms: %d reflected back; guest received %d, transmitted %d, "
              "tx full %d, rx ring ran full %d times; QEMU's socket dropped %d, ours %d"
              % (count, sent_time * 1000, good, received, transmitted, tx_full, ring_full, qemu_drops, host_drops))
        check(len(back) == good, "burst: %d frames came back that were not reflections" % (len(back) - good))
        check(received + qemu_drops == count,
              "burst: %d received by the guest + %d dropped at QEMU's socket != %d sent" % (received, qemu_drops, count))
        check(transmitted + tx_full == received,
              "burst: guest transmitted %d + tx full %d != received %d" % (transmitted, tx_full, received))
        check(good + host_drops == transmitted,
              "burst: %d came back + %d dropped at our socket != %d transmitted" % (good, host_drops, transmitted))
        check(ring_full > 0, "burst: the guest never reported its receive ring full")
        lost = sequential(peer, rng, [rng.randint(60, 1514) for _ in range(200)], "after the burst")
        print("  after the burst: 200 frames, %d lost" % lost)
        check(node.alive(), "the node stopped")
        check("exception" not in node.console(), "the console shows an exception")
    finally:
        node.stop()
        sock.close()


def mcast_tests():
    rng = random.Random(5)
    group, port = "239.255.%d.9" % (os.getpid() % 250), free_udp_port()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((group, port))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(group) + socket.inet_aton("127.0.0.1"))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    peer = Peer(sock, (group, port))
    node = Node("mcast:%s:%d,local=127.0.0.1" % (group, port), "mcast")
    try:
        if not check(node.wait_for(r"\[net\] virtio-net", 60) is not None, "mcast: no [net] line"):
            return
        if not check(wait_until_reflecting(peer, rng), "mcast: the node never reflected a frame"):
            return
        lost = sequential(peer, rng, [rng.randint(60, 1514) for _ in range(200)], "mcast")
        rtts = [peer.ping(frame(60, rng)) for _ in range(500)]
        rtts = [r * 1e6 for r in rtts if r is not None]
        print("  multicast link %s:%d: 200 frames of sizes 60..1514, %d lost; latency p50 %.0f us, p99 %.0f us"
              % (group, port, lost, percentile(rtts, 50) if rtts else -1, percentile(rtts, 99) if rtts else -1))
    finally:
        node.stop()
        sock.close()


FLIP_ETHERTYPE = b"\x81\x46"
FLIP_NOTHERE, FLIP_UNSAFE = 5, 0x20


def unidata_for_nobody():
    """A one-byte FLIP UNIDATA, broadcast, for an address nobody has: the node
    turns it around as NOTHERE (fragment control DATA, then the 40-byte FLIP
    header in little-endian order: version 1, type 3, flags 0, act_hop 0,
    max_hop 6, dst, src, messid, length 1, offset 0, total 1)."""
    flip = struct.pack("<BBBBHH8s8sIIII", 1, 3, 0, 0, 0, 6, bytes.fromhex("00112233445566aa"),
                       bytes.fromhex("0a0b0c0d0e0f1000"), 9, 1, 0, 1)
    f = b"\xff" * 6 + HOST_MAC + FLIP_ETHERTYPE + b"\x00\x00" + flip + b"\x2a"
    return f + bytes(max(0, 60 - len(f)))


def trust_tests():
    """The node's network is trusted when kernel-run says so (the word
    trusted=): its NOTHERE carries no UNSAFE flag then, and carries it on a
    udp: link by default and when the word is malformed (which the console
    reports)."""
    cases = [("default", [], "untrusted network", True),
             ("yes", ["--trusted", "yes"], "trusted network", False),
             ("malformed", ["trusted=maybe"], "untrusted network", True)]
    nodes = []
    try:
        for name, extra, _, _ in cases:
            host_port, guest_port = free_udp_port(), free_udp_port()
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", host_port))
            node = Node("udp:%d:127.0.0.1:%d" % (guest_port, host_port), "trust-" + name, extra)
            nodes.append((node, sock, Peer(sock, ("127.0.0.1", guest_port))))
        for (name, _, console, unsafe), (node, _, peer) in zip(cases, nodes):
            m = node.wait_for(r"\[net\] virtio-net [0-9a-f:]{17} irq \d+, (\w+ network)", 60)
            if not check(m is not None, "trust %s: no [net] line" % name):
                continue
            check(m.group(1) == console, "trust %s: console says %r, not %r" % (name, m.group(1), console))
            if name == "malformed":
                check(node.wait_for(r"\[net\] trusted=maybe is neither yes nor no: the network is untrusted", 5)
                      is not None, "trust malformed: no console line about trusted=maybe")
            answer = None
            for _ in range(100):
                peer.send(unidata_for_nobody())
                end = time.time() + 0.2
                while answer is None and time.time() < end:
                    d = peer.receive(0.05)
                    if d and d[12:14] == FLIP_ETHERTYPE and len(d) >= 56 and d[17] == FLIP_NOTHERE:
                        answer = d
                if answer:
                    break
            if not check(answer is not None, "trust %s: no NOTHERE came back" % name):
                continue
            flags = answer[18]
            check(bool(flags & FLIP_UNSAFE) == unsafe, "trust %s: NOTHERE flags 0x%02x, UNSAFE expected %s"
                  % (name, flags, unsafe))
            print("  %s: console '%s', NOTHERE flags 0x%02x (%s)"
                  % (name, m.group(1), flags, "UNSAFE" if flags & FLIP_UNSAFE else "no UNSAFE"))
    finally:
        for node, sock, _ in nodes:
            node.stop()
            sock.close()


def tap_tests():
    rng = random.Random(7)
    name = "vxtap%d" % (os.getpid() % 10000)
    if subprocess.call(["ip", "tuntap", "add", "dev", name, "mode", "tap"]) != 0:
        check(False, "tap: cannot create %s (root needed)" % name)
        return
    node = None
    sock = None
    try:
        subprocess.check_call(["ip", "link", "set", name, "up"])
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88B5))
        sock.bind((name, 0))
        peer = Peer(sock, None)
        node = Node("tap:%s" % name, "tap")
        if not check(node.wait_for(r"\[net\] virtio-net", 60) is not None, "tap: no [net] line"):
            return
        check(node.wait_for(r"\[net\] virtio-net .*, trusted network", 5) is not None,
              "tap: the node is not on a trusted network")
        if not check(wait_until_reflecting(peer, rng), "tap: the node never reflected a frame"):
            return
        lost = sequential(peer, rng, [rng.randint(60, 1514) for _ in range(500)], "tap")
        rtts = [peer.ping(frame(60, rng)) for _ in range(2000)]
        rtts = [r * 1e6 for r in rtts if r is not None]
        print("  tap %s (AF_PACKET): 500 frames of sizes 60..1514, %d lost; latency p50 %.0f us, p99 %.0f us"
              % (name, lost, percentile(rtts, 50) if rtts else -1, percentile(rtts, 99) if rtts else -1))
    finally:
        if node:
            node.stop()
        if sock:
            sock.close()
        subprocess.call(["ip", "link", "del", name])


def main():
    t0 = time.time()
    print("kernel net test: udp link")
    udp_tests()
    print("kernel net test: trusted and untrusted links")
    trust_tests()
    if "--no-mcast" not in sys.argv:
        print("kernel net test: multicast link")
        mcast_tests()
    if "--tap" in sys.argv:
        print("kernel net test: tap link")
        tap_tests()
    print("kernel net test: %s (%.1fs)" % ("PASS" if not failures else "FAILED: %d problems" % len(failures), time.time() - t0))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
