#!/usr/bin/env bash
# Where the instructions of the user-mode null transaction go: boots the
# `measure` scenario with every guest instruction logged (`-singlestep -d
# exec,nochain`), keeps only those between the two time-stamp reads that
# bracket the measured loop in the `hello` program (argument 4), and prints
# the count per round trip for each function, kernel and user library
# alike, largest first. Slow (a few minutes: the whole boot is logged
# through a pipe) and needs python3; for finding the next thing to cut.
#   scripts/kernel-profile.sh [build dir]     (default .build-kernel, built first)
# With PROFILE=nodecore it profiles the `nodecore` scenario's measured loop
# instead: the node body's null transaction, both ends, inside the kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build-kernel}"
[ $# -gt 0 ] || scripts/kernel-build.sh >/dev/null
kernel="$out/kernel-test.elf"; user="$out/user-hello.elf"
scenario=measure rounds=1000
if [ "${PROFILE:-}" = nodecore ]; then
  scenario=nodecore rounds=500
  marks=($(objdump -d --no-show-raw-insn "$kernel" | awk '/NodeCoreScenario.*runyyFZ.*>:$/,/^$/' | grep rdtsc | awk '{gsub(":","",$1); print $1}'))
else
  marks=($(objdump -d --no-show-raw-insn "$user" | awk '/programMain.*>:$/,/^$/' | grep rdtsc | awk '{gsub(":","",$1); print $1}'))
fi
start=${marks[0]}; stop=${marks[1]}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkfifo "$work/log"
python3 - "$kernel" "$user" "$work/log" "$start" "$stop" "$rounds" <<'PY' &
import sys, re, subprocess, bisect, collections
def symbols(elf):
    out = subprocess.run(['nm', '-n', elf], capture_output=True, text=True).stdout
    return [(int(p[0], 16), p[2]) for p in (l.split(' ', 2) for l in out.splitlines())
            if len(p) == 3 and p[1] in 'tTwW']
table = sorted(symbols(sys.argv[1]) + symbols(sys.argv[2]))
addresses = [a for a, _ in table]
start, stop, rounds = int(sys.argv[4], 16), int(sys.argv[5], 16), float(sys.argv[6])
pattern = re.compile(r'\[[0-9a-f]+/([0-9a-f]+)/')
counts = collections.Counter(); inside = False; done = False; total = 0
for line in open(sys.argv[3]):
    if done: continue
    m = pattern.search(line)
    if not m: continue
    pc = int(m.group(1), 16)
    if not inside:
        inside = pc == start
        continue
    if pc == stop: done = True; continue
    i = bisect.bisect_right(addresses, pc) - 1
    counts[table[i][1] if i >= 0 else '?'] += 1; total += 1
print('instructions per round trip: %.0f' % (total / rounds))
for name, c in counts.most_common(40): print('%8.1f  %s' % (c / rounds, name[:120]))
PY
py=$!
timeout 900 qemu-system-i386 -accel tcg -cpu max -m 64M -no-reboot -display none \
  -serial "file:$work/serial" -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
  -icount shift=0,sleep=off -rtc clock=vm -kernel "$kernel" -append "scenario=$scenario" \
  -singlestep -d exec,nochain -D "$work/log" </dev/null >/dev/null 2>&1 || true
wait $py
grep -E "user process null transaction|nodecore:" "$work/serial" || true
