#!/usr/bin/env bash
# Prints the kernel's figures, measured in the guest under QEMU's
# `-icount shift=0` (one time-stamp count per guest instruction):
# local null transaction round trip, thread switch, boot to ready, and
# PS_EXEC of a program from segments on the proc server.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${KERNEL_OUT:-.build-kernel}"
[ "${KERNEL_NO_BUILD:-0}" = 1 ] || scripts/kernel-build.sh >/dev/null
log=$(timeout 60 qemu-system-i386 -accel tcg -cpu max -m 64M -no-reboot -display none \
  -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
  -icount shift=0,sleep=off -rtc clock=vm -kernel "$out/kernel-test.elf" -append "scenario=measure" </dev/null || true)
trans=$(grep -oE 'measure: local null transaction round trip [0-9]+' <<<"$log" | grep -oE '[0-9]+$')
user=$(grep -oE 'user process null transaction round trip [0-9]+' <<<"$log" | grep -oE '[0-9]+$' || true)
toserver=$(grep -oE 'to user server \(getreq \+ putrep\) null transaction round trip [0-9]+' <<<"$log" | grep -oE '[0-9]+$' || true)
combined=$(grep -oE 'to user server \(reply-and-receive\) null transaction round trip [0-9]+' <<<"$log" | grep -oE '[0-9]+$' || true)
trap=$(grep -oE 'null system call \(yield, nobody else ready\) [0-9]+' <<<"$log" | grep -oE '[0-9]+$' || true)
switch=$(grep -oE 'yield\) [0-9]+' <<<"$log" | grep -oE '[0-9]+$')
ready=$(grep -oE 'ready in [0-9]+ us \([0-9]+' <<<"$log" | grep -oE '[0-9]+$')
[ -n "$trans" ] && [ -n "$switch" ] && [ -n "$ready" ] || { echo "measure scenario failed:"; echo "$log"; exit 1; }
echo "local null transaction round trip: $trans guest instructions (target < 1000)"
echo "the same from a user process:       ${user:-?} guest instructions (trap, checks, copies, user library; target < 1000)"
echo "user process to a user server:      ${toserver:-?} guest instructions (getreq + putrep), ${combined:-?} (reply-and-receive)"
echo "null system call from a user process: ${trap:-?} guest instructions (int 0x80 in and out)"
echo "thread switch:                     $switch guest instructions"
echo "boot to ready:                     $ready guest instructions ($((ready / 1000)) us at 1 ns per instruction)"
# PS_EXEC of hello from segments on the node's own proc server (scenario procsegs).
execlog=$(timeout 60 qemu-system-i386 -accel tcg -cpu max -m 64M -no-reboot -display none \
  -serial stdio -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
  -icount shift=0,sleep=off -rtc clock=vm -kernel "$out/kernel-test.elf" -append "scenario=procsegs" </dev/null || true)
exec=$(grep -oE 'exec cost [0-9]+ guest instructions \(decode, [0-9]+ BS_READs of [0-9]+ bytes' <<<"$execlog" || true)
echo "PS_EXEC of hello from proc-server segments: ${exec:-?} ...)"
# Wall-clock boot of the real-time (TCG, no icount) machine, host side.
start=$(date +%s%N)
timeout 30 qemu-system-i386 -accel tcg -cpu max -m 64M -no-reboot -display none -serial stdio -monitor none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x01 -kernel "$out/kernel-test.elf" -append "scenario=boot" </dev/null >/dev/null || true
echo "QEMU launch to guest exit (scenario=boot, TCG): $(( ($(date +%s%N) - start) / 1000000 )) ms wall clock"
