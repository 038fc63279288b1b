#!/usr/bin/env python3
"""The kernel console as a person meets it: scripts/kernel-run.sh on a
terminal (a pseudo-terminal here), the node boots to "console idle";
Ctrl-C goes to the node and leaves it running; Ctrl-A X quits QEMU within
seconds. Uses the kernel image already built (KERNEL_NO_BUILD=1).

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

    def check(ok, text):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + text)
        if ok:
            passed += 1
        else:
            failed += 1

    pid, fd = boot()
    up, seen = read_until(fd, b"console idle", 120)
    check(up, "the node boots with its console on a terminal" + ("" if up else f": {seen[-300:]!r}"))
    if up:
        os.write(fd, b"\x03")
        time.sleep(2)
        done, _ = os.waitpid(pid, os.WNOHANG)
        check(done == 0, "Ctrl-C goes to the node, QEMU keeps running")
        if done == 0:
            os.write(fd, b"\x01x")
            check(exited(pid, 15), "Ctrl-A X quits QEMU")
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
