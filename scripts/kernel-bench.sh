#!/usr/bin/env bash
# Benchmarks a kernel node on the network against its floor, side by side
# in one run (root): a Linux namespace with amunixd on pcap over a veth,
# and two QEMU kernel nodes on tap devices, all on one bridge.
#
#   raw frame ping-pong Linux -> guest (the kernel reflects EtherType 0x88b5)
#   null transaction p50/p99, Linux -> kernel bench server, through
#     amunixd and from the load program's own FLIP endpoint (no daemon)
#   null transaction p50/p99, kernel -> kernel (timed inside node1)
#   null transaction p50/p99, Linux -> Linux (amunixd to amunixd on the
#     same bridge): what the Linux end alone costs, for reading the ratio
#   30000-byte transaction throughput, Linux -> kernel
#
# Usage: scripts/kernel-bench.sh [COUNT]   (default 2000 round trips each)
#        BENCH_PEERS_BIN=DIR to use a `floors` built elsewhere
#        ROUNDS=N  rounds of floor and own endpoint, interleaved (default 3)
# QEMU runs TCG here: a guest instruction costs several host ones, so the
# figures are this machine's, not a real NIC's; the ratio is the point.
# Not pinned: QEMU's vCPU and I/O threads need a CPU each (pinned to one,
# every figure tripled), so host load moves the figures from run to run.
# The floor and the own endpoint's transactions therefore alternate
# ROUNDS times and the ratio printed is the median of the rounds' ratios:
# a round's two halves run under the same load.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, tap devices, raw sockets)"; exit 1; }
echo "building (release)..."
swift build -c release --product amunixd 2>&1 | grep -E "error" || true
swift build -c release --product rpc_bench 2>&1 | grep -E "error" || true
swift build --product cap 2>&1 | grep -E "error" || true
BIN=$(swift build -c release --show-bin-path)
# `floors` has no dependencies: compiled on its own, so the Benchmarks
# package's gRPC peers need not be resolved or built for this bench.
if [[ -n ${BENCH_PEERS_BIN:-} ]]; then
  BBIN=$BENCH_PEERS_BIN
else
  BBIN=.build-bench
  mkdir -p "$BBIN"
  [[ $BBIN/floors -nt Benchmarks/Sources/floors ]] || swiftc -O Benchmarks/Sources/floors/*.swift -o "$BBIN/floors"
fi
[[ -f .build-kernel/kernel.elf && -f .build-kernel/kernel-test.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1
W=$(mktemp -d /tmp/kernel-bench.XXXXXX)
A="kb$$a"; B="kb$$b"; BR="kb$$br"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  ip netns del "$BR" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
source scripts/lib/bridge-bed.sh
bb_bridge "$BR"
bb_host "$A" "$BR" "kb$$a"
bb_host "$B" "$BR" "kb$$b"
for i in 0 1; do bb_tap "$BR" "kb$$t$i"; done

ROUNDS=${ROUNDS:-3}
boot() { # index words...
  local i=$1; shift
  mkdir -p "$W/node$i"
  (KERNEL_NO_BUILD=1 AMUNIX_BIN="$(swift build --show-bin-path)" exec ip netns exec "$BR" scripts/kernel-run.sh \
    --link "tap:kb$$t$i" --state "$W/node$i" --mac "52:54:00:4b:01:0$i" "$@" </dev/null >"$W/node$i.console" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 600); do grep -q "console idle" "$W/node$i.console" 2>/dev/null && return 0; sleep 0.1; done
  echo "node$i did not come up"; tail "$W/node$i.console"; exit 1
}
cap_of() { sed -n "s/^  $2\t\(.*\)$/\1/p" "$W/$1.console" | tail -1 | tr -d '\r'; }

declare -A P50 P99 TP
echo "booting node0 (bench server)..."
boot 0 bench
# CPU time (ns) node0's QEMU threads have used: what a round trip costs
# the guest side, much less at the mercy of the host's load than latency.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
Q0=${PIDS[0]}

echo "measuring amunixd -> kernel..."
mkdir -p "$W/a"
ip netns exec "$A" "$BIN/amunixd" --link pcap:v0 --socket "$W/a/amunixd.sock" --name a --log-level warning >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -S "$W/a/amunixd.sock" ]] && break; sleep 0.05; done
cap_of node0 bench >"$W/bench.cap"
c0=$(cpu_ns "$Q0")
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 0 --count "$N" --warmup 200 --brief "$W/bench.cap")
CPU_Q=$(( ($(cpu_ns "$Q0") - c0) / (N + 200) / 1000 ))
P50[lk]=$(awk '{print $1}' <<<"$l"); P99[lk]=$(awk '{print $2}' <<<"$l")
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 30000 --count 500 --warmup 20 --oneway --brief "$W/bench.cap")
TP[lk1]=$(awk '{print $3}' <<<"$l")
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 30000 --count 1000 --threads 4 --warmup 20 --oneway --brief "$W/bench.cap")
TP[lk4]=$(awk '{print $3}' <<<"$l")

# The floor, a raw frame reflected by the guest, against the Linux end
# with no daemon: the load program's own FLIP endpoint on the same veth (a
# station of its own beside amunixd); ROUNDS times, one after the other.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "n/a" }'; }
FLOORS=""; FLOORS99=""; EKS=""; EKS99=""; RATIOS=""; CPU_FS=""
for r in $(seq "$ROUNDS"); do
  echo "round $r of $ROUNDS: raw frame ping-pong Linux -> guest, then an own endpoint -> kernel..."
  c0=$(cpu_ns "$Q0")
  l=$(ip netns exec "$A" "$BBIN/floors" packet-ping v0 52:54:00:4b:01:00 64 "$N")
  CPU_FS+=" $(( ($(cpu_ns "$Q0") - c0) / (N + 200) / 1000 ))"
  f=$(awk '{printf "%.1f", $2}' <<<"$l"); FLOORS+=" $f"; FLOORS99+=" $(awk '{printf "%.1f", $3}' <<<"$l")"
  l=$(ip netns exec "$A" "$BIN/rpc_bench" load --link pcap:v0 --size 0 --count "$N" --warmup 200 --brief "$W/bench.cap")
  e=$(awk '{print $1}' <<<"$l"); EKS+=" $e"; EKS99+=" $(awk '{print $2}' <<<"$l")"
  RATIOS+=" $(awk -v a="$e" -v b="$f" 'BEGIN { if (b > 0) printf "%.2f", a / b }')"
done
P50[floor]=$(median <<<"$FLOORS"); P99[floor]=$(median <<<"$FLOORS99")
P50[ek]=$(median <<<"$EKS"); P99[ek]=$(median <<<"$EKS99")
CPU_F=$(median <<<"$CPU_FS")

echo "measuring amunixd -> amunixd (the Linux end on its own)..."
mkdir -p "$W/b"
ip netns exec "$B" "$BIN/amunixd" --link pcap:v0 --socket "$W/b/amunixd.sock" --name b --log-level warning >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -S "$W/b/amunixd.sock" ]] && break; sleep 0.05; done
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" serve --threads 4 "$W/linux.cap" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s "$W/linux.cap" ]] && break; sleep 0.05; done
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 0 --count "$N" --warmup 200 --brief "$W/linux.cap")
P50[ll]=$(awk '{print $1}' <<<"$l"); P99[ll]=$(awk '{print $2}' <<<"$l")

echo "measuring kernel -> kernel (node1 calls node0)..."
boot 1 "call=$(cat "$W/bench.cap")" "calls=$N"
for _ in $(seq 1200); do grep -q "\[call\] done" "$W/node1.console" && break; sleep 0.1; done
l=$(grep "null transactions to" "$W/node1.console" || true)
P50[kk]=$(sed -n 's/.* p50 \([0-9]*\) us.*/\1/p' <<<"$l"); P99[kk]=$(sed -n 's/.* p99 \([0-9]*\) us.*/\1/p' <<<"$l")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "| measurement (tap + veth on one bridge, QEMU TCG) | p50 µs | p99 µs | MB/s |"
echo "|---|---|---|---|"
echo "| raw 64-byte frame ping-pong, Linux -> guest (reflected; median of $ROUNDS rounds) | ${P50[floor]} | ${P99[floor]} | |"
echo "| null transaction, Linux (amunixd) -> kernel | ${P50[lk]} | ${P99[lk]} | |"
echo "| null transaction, Linux (own endpoint, no daemon) -> kernel (median of $ROUNDS rounds) | ${P50[ek]} | ${P99[ek]} | |"
echo "| null transaction, kernel -> kernel (guest clock) | ${P50[kk]:-n/a} | ${P99[kk]:-n/a} | |"
echo "| null transaction, Linux (amunixd) -> Linux (amunixd), same bridge | ${P50[ll]} | ${P99[ll]} | |"
echo "| 30000-byte transactions Linux -> kernel, 1 thread | | | ${TP[lk1]} |"
echo "| 30000-byte transactions Linux -> kernel, 4 threads | | | ${TP[lk4]} |"
echo
echo "null transaction Linux -> kernel p50 / frame ping-pong p50 = $(ratio "${P50[lk]}" "${P50[floor]}") through amunixd, $(median <<<"$RATIOS") from an own endpoint (median of the rounds' ratios:$RATIOS; target <= 1.5)"
echo "(floor p50 by round:$FLOORS; own endpoint p50 by round:$EKS)"
echo "node0's QEMU CPU time per null transaction Linux -> kernel: $CPU_Q µs; per reflected frame: $CPU_F µs"
echo "null transaction Linux -> Linux p50 / frame ping-pong p50 = $(ratio "${P50[ll]}" "${P50[floor]}") (the Linux end's share)"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
