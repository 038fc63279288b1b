#!/usr/bin/env bash
# Checks the kernel's NIC end to end, without root: boots a kernel node
# with virtio-net on a UDP link (and then on a multicast link) through
# kernel-run.sh, sends it frames of EtherType 0x88B5 from this host and
# checks each comes back reflected; garbage, a burst larger than the
# receive ring (every lost frame accounted for by a counter), and the
# ping-pong latency. The host side is kernel-net-test.py.
#   scripts/kernel-net-test.sh [--no-mcast] [--tap]   (--tap: also over a tap interface; root)
# Builds the image first when it is missing or stale, unless KERNEL_NO_BUILD=1.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${KERNEL_OUT:-.build-kernel}"
command -v qemu-system-i386 >/dev/null || { echo "qemu-system-i386 missing (apt-get install qemu-system-x86)"; exit 1; }
if [ "${KERNEL_NO_BUILD:-0}" != 1 ]; then
  source scripts/lib/kernel-stale.sh
  kernel_build_if_stale "$out" || exit 1
fi
exec python3 scripts/kernel-net-test.py "$@"
