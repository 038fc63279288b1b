#!/usr/bin/env bash
# Boots the kernel in QEMU (TCG) with its console on this terminal.
#   scripts/kernel-run.sh [kernel command line words...]
# e.g. `scripts/kernel-run.sh scenario=timers`. Builds the image first
# unless KERNEL_NO_BUILD=1. Extra QEMU flags go in QEMU_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${KERNEL_OUT:-.build-kernel}"
[ "${KERNEL_NO_BUILD:-0}" = 1 ] || scripts/kernel-build.sh >&2
exec qemu-system-i386 -accel tcg -cpu max -m 64M -no-reboot -display none \
  -serial stdio -monitor none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
  ${QEMU_FLAGS:-} -kernel "$out/kernel.elf" -append "$*"
