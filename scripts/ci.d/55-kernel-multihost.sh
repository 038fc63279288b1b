#!/usr/bin/env bash
# Kernel nodes and Linux hosts as one system: QEMU kernel nodes beside
# amunixd daemons, first on a UDP multicast segment (no root), then on a
# keyed one (every frame sealed, kernel-keyed.sh; no root), then on a
# bridge with tap devices and pcap links (root; skipped, and said so,
# where not root or where namespaces are unavailable). Needs the host
# build (step 50) and the kernel image (step 40).
set -euo pipefail
swift build 2>&1 | grep -E 'error' || true
[[ -f .build-kernel/kernel.elf && -f .build-kernel/kernel-test.elf ]] || scripts/kernel-build.sh >/dev/null
scripts/kernel-multihost.sh mcast
# A kernel node on a keyed (sealed) multicast segment with amunixd (~25 s).
scripts/kernel-keyed.sh
if [[ $(id -u) == 0 ]] && ip netns add kmh-probe-$$ 2>/dev/null; then
  ip netns del kmh-probe-$$
  scripts/kernel-multihost.sh tap
else
  echo "tap mode skipped: needs root and network namespaces"
fi
