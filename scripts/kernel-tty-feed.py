#!/usr/bin/env python3
"""The other end of a kernel node's serial line, for the `tty` scenario.

Usage: kernel-tty-feed.py LOG TIMEOUT SOCKET QEMU-COMMAND...

QEMU's serial port is a Unix socket (`-chardev socket,path=SOCKET,
server=on,wait=on`); this connects to it, copies everything the guest
prints into LOG, and types into the guest only when the scenario says it
waits for input: the line "hello from the host" ending in a carriage
return after "tty: waiting for input", 5000 bytes of 'x' after "tty: flood
now". So the guest's reads really wait for input coming in by interrupt.
Exits with QEMU's status, or 124 when TIMEOUT seconds pass first (QEMU is
killed then).
"""
import os
import select
import socket
import subprocess
import sys
import time


def main():
    log_path, limit, sock_path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    command = sys.argv[4:]
    triggers = [(b"tty: waiting for input", b"hello from the host\r"),
                (b"tty: flood now", b"x" * 5000)]
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    deadline = time.monotonic() + limit
    qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn = None
    while conn is None:
        if qemu.poll() is not None or time.monotonic() > deadline:
            break
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock_path)
            conn = s
        except OSError:
            time.sleep(0.02)
    seen = b""
    with open(log_path, "wb") as log:
        while conn is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([conn], [], [], min(left, 0.5))
            if not ready:
                if qemu.poll() is not None:
                    break
                continue
            data = conn.recv(65536)
            if not data:
                break
            log.write(data)
            log.flush()
            seen += data
            while triggers and triggers[0][0] in seen:
                said, typed = triggers.pop(0)
                seen = seen[seen.index(said) + len(said):]
                conn.sendall(typed)
            seen = seen[-256:]
    try:
        rc = qemu.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        qemu.kill()
        qemu.wait()
        rc = 124
    if conn is not None:
        conn.close()
    try:
        os.unlink(sock_path)
    except FileNotFoundError:
        pass
    sys.exit(rc)


if __name__ == "__main__":
    main()
