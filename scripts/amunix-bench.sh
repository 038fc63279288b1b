#!/usr/bin/env bash
# Benchmarks amunixd against its floors and a peer, side by side in one run,
# between two network namespaces joined by a veth pair (root):
#   raw AF_PACKET frame ping-pong and streaming, UDP ping-pong, a gRPC Swift
#   unary call, and amunixd (pcap links) null transactions and 30000-byte
#   transactions. Prints a table and the ratios the issue sets as targets.
# Usage: scripts/amunix-bench.sh [COUNT]   (default 5000 round trips each)
#        BENCH_PEERS_BIN=DIR scripts/amunix-bench.sh   (reuse built peers)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5000}"
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, raw sockets)"; exit 1; }
echo "building (release)..."
swift build -c release --product amunixd 2>&1 | grep -E "error" || true
swift build -c release --product rpc_bench 2>&1 | grep -E "error" || true
BIN=$(swift build -c release --show-bin-path)
# The peers' package (gRPC) takes long to build; BENCH_PEERS_BIN may name
# a folder where floors and grpc_bench were built before.
if [[ -n ${BENCH_PEERS_BIN:-} ]]; then
  BBIN=$BENCH_PEERS_BIN
else
  (cd Benchmarks && swift build -c release 2>&1 | grep -E "error" || true)
  BBIN=$(cd Benchmarks && swift build -c release --show-bin-path)
fi
W=$(mktemp -d /tmp/amunix-bench.XXXXXX)
A="amxb$$a"; B="amxb$$b"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add "amxb$$x" type veth peer name "amxb$$y"
ip link set "amxb$$x" netns "$A"; ip link set "amxb$$y" netns "$B"
ip -n "$A" link set "amxb$$x" name v0; ip -n "$B" link set "amxb$$y" name v0
for n in "$A" "$B"; do ip -n "$n" link set lo up; ip -n "$n" link set v0 up; done
ip -n "$A" addr add 10.231.77.1/24 dev v0
ip -n "$B" addr add 10.231.77.2/24 dev v0
MAC_B=$(ip netns exec "$B" cat /sys/class/net/v0/address)
sleep 1
inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }
start_bg() { local ns=$1; shift; ip netns exec "$ns" "$@" >/dev/null 2>&1 & PIDS+=($!); sleep 0.5; }
stopbg() { kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

declare -A P50 P99 TP
read_lat() { # name line
  local l=$2; P50[$1]=$(awk '{printf "%.1f", $2}' <<<"$l"); P99[$1]=$(awk '{printf "%.1f", $3}' <<<"$l")
}

echo "measuring raw AF_PACKET ping-pong..."
start_bg "$B" "$BBIN/floors" packet-echo v0
read_lat packet "$(inA "$BBIN/floors" packet-ping v0 "$MAC_B" 64 "$N")"
stopbg
echo "measuring raw AF_PACKET streaming..."
start_bg "$B" "$BBIN/floors" packet-sink v0
l=$(inA "$BBIN/floors" packet-stream v0 "$MAC_B" 60000000)
TP[packet]=$(awk '{printf "%.1f", $2}' <<<"$l")
stopbg
echo "measuring UDP ping-pong..."
start_bg "$B" "$BBIN/floors" udp-echo 9000
read_lat udp "$(inA "$BBIN/floors" udp-ping 10.231.77.2 9000 64 "$N")"
stopbg
if [[ -x "$BBIN/grpc_bench" ]]; then
  echo "measuring gRPC Swift unary..."
  start_bg "$B" "$BBIN/grpc_bench" serve 10.231.77.2 9001
  sleep 2
  read_lat grpc "$(inA "$BBIN/grpc_bench" call 10.231.77.2 9001 0 "$N")"
  stopbg
else
  echo "grpc_bench did not build: gRPC row left empty"; P50[grpc]=n/a; P99[grpc]=n/a
fi
echo "measuring amunixd..."
mkdir -p "$W/a" "$W/b"
start_bg "$A" "$BIN/amunixd" --link pcap:v0 --socket "$W/a/amunixd.sock" --name a --log-level warning
DA=${PIDS[-1]}
start_bg "$B" "$BIN/amunixd" --link pcap:v0 --socket "$W/b/amunixd.sock" --name b --log-level warning
DB=${PIDS[-1]}
# CPU time (ns) a process's threads have used: load-independent cost.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" serve --threads 4 "$W/bench.cap" >/dev/null 2>&1 & PIDS+=($!)
for _ in $(seq 100); do [[ -f "$W/bench.cap" ]] && break; sleep 0.05; done
ca=$(cpu_ns "$DA"); cb=$(cpu_ns "$DB")
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 0 --count "$N" --warmup 200 --brief "$W/bench.cap")
CPU_A=$(( ($(cpu_ns "$DA") - ca) / (N + 200) / 1000 )); CPU_B=$(( ($(cpu_ns "$DB") - cb) / (N + 200) / 1000 ))
P50[amunix]=$(awk '{print $1}' <<<"$l"); P99[amunix]=$(awk '{print $2}' <<<"$l")
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 30000 --count 2000 --warmup 50 --oneway --brief "$W/bench.cap")
TP[amunix1]=$(awk '{print $3}' <<<"$l")
l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --size 30000 --count 4000 --threads 4 --warmup 50 --oneway --brief "$W/bench.cap")
TP[amunix4]=$(awk '{print $3}' <<<"$l")

echo "measuring the protocol machines alone..."
CORE0=$("$BIN/rpc_bench" core --size 0 --count 20000 --brief | awk '{print $1}')
CORE30=$("$BIN/rpc_bench" core --size 30000 --count 2000 --brief | awk '{print $1}')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "| measurement (veth between two namespaces) | p50 µs | p99 µs | MB/s |"
echo "|---|---|---|---|"
echo "| raw AF_PACKET 64-byte frame ping-pong | ${P50[packet]} | ${P99[packet]} | |"
echo "| UDP 64-byte ping-pong | ${P50[udp]} | ${P99[udp]} | |"
echo "| gRPC Swift unary, empty message | ${P50[grpc]} | ${P99[grpc]} | |"
echo "| amunixd null transaction | ${P50[amunix]} | ${P99[amunix]} | |"
echo "| raw AF_PACKET streaming, 1500-byte frames | | | ${TP[packet]} |"
echo "| amunixd 30000-byte transactions, 1 thread | | | ${TP[amunix1]} |"
echo "| amunixd 30000-byte transactions, 4 threads | | | ${TP[amunix4]} |"
echo
echo "CPU per null transaction: client host's amunixd ${CPU_A} µs, server host's amunixd ${CPU_B} µs"
echo "of which the FLIP and RPC machines (rpc_bench core, both ends, in memory): ${CORE0} µs; per 30000-byte transaction ${CORE30} µs"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
best=$(awk -v a="${TP[amunix1]}" -v b="${TP[amunix4]}" 'BEGIN { print (a > b ? a : b) }')
echo "null transaction p50 / AF_PACKET p50 = $(ratio "${P50[amunix]}" "${P50[packet]}") (target <= 1.3)"
echo "null transaction p50 / gRPC p50      = $(ratio "${P50[amunix]}" "${P50[grpc]}") (target <= 0.25)"
echo "30000-byte throughput / AF_PACKET    = $(ratio "$best" "${TP[packet]}") (target >= 0.7)"
