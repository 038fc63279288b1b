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
  image="$out/kernel.elf"
  if [ ! -f "$image" ] || [ -n "$(find Kernel Sources/AmoebaCore scripts/kernel-build.sh -newer "$image" -type f \( -name '*.swift' -o -name '*.S' -o -name '*.h' -o -name '*.ld' -o -name '*.sh' \) -print -quit)" ]; then
    mkdir -p "$out"
    scripts/kernel-build.sh >"$out/build.log" 2>&1 || { grep -E "error:" "$out/build.log" | head -20; exit 1; }
  fi
fi
exec python3 scripts/kernel-net-test.py "$@"
