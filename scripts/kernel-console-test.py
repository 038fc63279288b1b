#!/usr/bin/env python3
"""The kernel console as a person meets it: scripts/kernel-run.sh on a
terminal (a pseudo-terminal here), the node boots to "console idle", and
Ctrl-A X quits QEMU within seconds; a second boot quits on Ctrl-C. Uses
the kernel image already built (KERNEL_NO_BUILD=1).

    scripts/kernel-console-test.py      prints "N passed, M failed"
"""
import os
import pty
import select
import signal
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def boot():
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.environ["KERNEL_NO_BUILD"] = "1"
        os.execvp("scripts/kernel-run.sh", ["scripts/kernel-run.sh"])
    return pid, fd


def read_until(fd, needle, seconds):
    seen = b""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if needle in seen:
                return True, seen
    return False, seen


def exited(pid, seconds):
    end = time.time() + seconds
    while time.time() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return False


def main():
    passed = failed = 0
    for name, keys in (("Ctrl-A X", b"\x01x"), ("Ctrl-C", b"\x03")):
        pid, fd = boot()
        up, seen = read_until(fd, b"console idle", 60)
        if not up:
            print(f"FAIL the node did not boot on a terminal: {seen[-300:]!r}")
            failed += 1
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            continue
        os.write(fd, keys)
        if exited(pid, 10):
            print(f"PASS {name} on the console quits QEMU")
            passed += 1
        else:
            print(f"FAIL {name} did not quit QEMU within 10 s")
            failed += 1
        os.close(fd)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
