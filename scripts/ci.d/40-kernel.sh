#!/usr/bin/env bash
# Builds the VX kernel image and boots every kernel scenario in QEMU (TCG,
# instruction-counted time), checking console lines and exit status.
# The kernel's pure logic (Kernel/Core) is unit-tested by 10-swift-test.
set -euo pipefail
command -v qemu-system-i386 >/dev/null || { echo "qemu-system-i386 missing (apt-get install qemu-system-x86)"; exit 1; }
scripts/kernel-test.sh
