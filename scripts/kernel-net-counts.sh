#!/usr/bin/env bash
# What a frame and a null transaction cost a kernel node beyond its
# instructions, counted by the guest: NIC interrupts, virtio notifications
# (kicks), frames in and out, thread switches, timer interrupts, PIT
# re-arms and replies sent straight from the server thread. Boots node0
# (`bench net=stats`) on a tap device, runs COUNT raw frame ping-pongs and
# COUNT null transactions from a Linux namespace (the load program's own
# FLIP endpoint, as kernel-bench's rounds), and divides the difference of
# the counters the node prints once traffic pauses. Counts, not times:
# steady under any host load. (root; about 30 s)
#
#   scripts/kernel-net-counts.sh [COUNT]     (default 2000)
#   STRACE=1 scripts/kernel-net-counts.sh    also QEMU's system calls per
#                                            frame and per transaction (strace -c -f)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, tap devices, raw sockets)"; exit 1; }
source scripts/lib/kernel-node-bed.sh
knb_setup kc kernel-net-counts
mkdir -p "$W/node0"
(KERNEL_NO_BUILD=1 exec ip netns exec "$BR" scripts/kernel-run.sh \
  --link "tap:$TAP" --state "$W/node0" --mac 52:54:00:4b:03:00 bench net=stats </dev/null >"$W/node0.console" 2>&1) &
PIDS+=($!)
for _ in $(seq 600); do grep -q "console idle" "$W/node0.console" 2>/dev/null && break; sleep 0.1; done
grep -q "console idle" "$W/node0.console" || { echo "node0 did not come up"; tail "$W/node0.console"; exit 1; }
sed -n "s/^  bench\t\(.*\)$/\1/p" "$W/node0.console" | tail -1 | tr -d '\r' >"$W/bench.cap"
# The counters line printed once traffic has paused, after the console's
# first $1 lines (its numbers, space-separated, in the order printed).
settled() {
  for _ in $(seq 100); do
    l=$(tail -n +"$(( $1 + 1 ))" "$W/node0.console" | grep "\[net\] statistics:" | tail -1 || true)
    [[ -n $l ]] && { sleep 0.4; tail -n +"$(( $1 + 1 ))" "$W/node0.console" | grep "\[net\] statistics:" | tail -1 | tr -c '0-9\n' ' '; return; }
    sleep 0.1
  done
  echo "no statistics from node0" >&2; exit 1
}
lines() { wc -l <"$W/node0.console"; }
ip netns exec "$A" "$BIN/rpc_bench" load --link pcap:v0 --size 0 --count 200 --warmup 0 --brief "$W/bench.cap" >/dev/null
# The console's length once the warm-up's counters are printed, not
# before: counted first, the next phase took the warm-up's line for its own.
s0=$(settled 0); m=$(lines)
# QEMU's system calls over one phase (STRACE=1): strace attached to every
# thread of node0's QEMU (the process started above: the subshell, ip
# netns exec and kernel-run each exec the next) until the phase's command
# ends.
QEMU=${PIDS[0]}
traced() { # out command...
  local out=$1; shift
  if [[ ${STRACE:-0} == 1 && -n $QEMU ]]; then
    strace -c -f -p "$QEMU" -o "$out" & local st=$!; sleep 0.5
    "$@"; kill -INT "$st"; wait "$st" 2>/dev/null || true
  else
    "$@"
  fi
}
traced "$W/strace.frame" ip netns exec "$A" "$BBIN/floors" packet-ping v0 52:54:00:4b:03:00 64 "$N" >/dev/null
s1=$(settled "$m"); m=$(lines)
# floors' packet-ping sends N + 200 (its warm-up); rpc_bench's --warmup 0 sends N.
traced "$W/strace.trans" ip netns exec "$A" "$BIN/rpc_bench" load --link pcap:v0 --size 0 --count "$N" --warmup 0 --brief "$W/bench.cap" >"$W/load.txt"
s2=$(settled "$m")
python3 - "$N" "$s0" "$s1" "$s2" <<'PY'
import sys
n = int(sys.argv[1])
s0, s1, s2 = ([int(x) for x in a.split()] for a in sys.argv[2:5])
names = ["frames received", "rx dropped", "rx ring full", "frames transmitted", "tx full", "tx too long",
         "NIC interrupts", "virtio notifications (kicks)", "thread switches", "timer interrupts", "PIT re-arms",
         "replies sent from the server thread", "network thread wake timers set"]
print("%-36s %16s %16s" % ("per", "reflected frame", "null transaction"))
for i, name in enumerate(names[:min(len(s0), len(s1), len(s2))]):
    f = (s1[i] - s0[i]) / (n + 200)
    t = (s2[i] - s1[i]) / n
    print("%-36s %16.2f %16.2f" % (name, f, t))
PY
if [[ ${STRACE:-0} == 1 ]]; then
  calls() { awk '$NF == "total" { print $4 }' "$1" 2>/dev/null; }
  f=$(calls "$W/strace.frame"); t=$(calls "$W/strace.trans")
  awk -v f="${f:-0}" -v t="${t:-0}" -v n="$N" 'BEGIN { printf "%-36s %16.2f %16.2f\n", "QEMU system calls", f / (n + 200), t / n }'
  kinds() { awk -v n="$2" 'NR > 2 && $NF != "total" && $1 ~ /^[0-9.]+$/ { printf "%s %.2f  ", $NF, $4 / n }' "$1" 2>/dev/null; }
  echo "QEMU's calls by kind, per frame: $(kinds "$W/strace.frame" $((N + 200)))"
  echo "                 per transaction: $(kinds "$W/strace.trans" "$N")"
  echo "(strace slows QEMU: latencies of this run are not comparable)"
fi
echo "load: $(cat "$W/load.txt"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
