#!/usr/bin/env bash
# The kernel's NIC end to end (no root): a kernel node with virtio-net on a
# UDP link and on a multicast link reflects test frames sent from this
# host; garbage, a burst past the receive ring with every frame accounted
# for, latency p50/p99; then the console on a pseudo-terminal (Ctrl-A X
# quits QEMU, Ctrl-C reaches the node). Uses the image 40-kernel built
# (rebuilds if stale).
# About 10 s.
set -euo pipefail
command -v qemu-system-i386 >/dev/null || { echo "qemu-system-i386 missing (apt-get install qemu-system-x86)"; exit 1; }
timeout 300 scripts/kernel-net-test.sh
# The console as a person meets it: Ctrl-C reaches the node, Ctrl-A X quits.
timeout 300 python3 -u scripts/kernel-console-test.py
