#!/usr/bin/env bash
# What the seal costs a kernel node (no root): null transactions from an
# amunixd host to a QEMU kernel node's bench server over a multicast
# segment, keyed and unkeyed in alternating runs, and the time the kernel
# itself spent sealing and opening (its sys KSTAT n `seal:` line, TSC).
#
# Usage: scripts/kernel-keyed-bench.sh [COUNT [RUNS]]   (default 2000, 3)
# Prints per run the median and p99 round trip, and for keyed runs the
# guest's sealing+opening time per transaction. QEMU runs TCG here: the
# figures are this machine's; the keyed/unkeyed difference is the point.
set -uo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}" RUNS="${2:-3}"
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_status rpc_bench cap; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
[[ -f .build-kernel/kernel-test.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1 || { echo "kernel build failed"; exit 1; }
W=$(mktemp -d /tmp/kernel-keyed-bench.XXXXXX)
HPID="" QPID=""
stop() {
  [[ -n $HPID ]] && { kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null; HPID=""; }
  [[ -n $QPID ]] && { pkill -9 -P "$QPID" 2>/dev/null; kill -9 "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; QPID=""; }
}
trap 'stop; rm -rf "$W"' EXIT
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/segment.key"; chmod 600 "$W/segment.key"

# One run: a fresh host and node on a fresh segment, keyed or not.
run() { # keyed|clear index
  local key="" seg="239.255.$(( $$ % 250 )).12:$(( 37000 + ($$ % 1000) * 8 + $2 ))"
  [[ $1 == keyed ]] && key=",key=$W/segment.key"
  rm -rf "$W/h"; mkdir -p "$W/h"
  "$BIN/amunixd" --link "mcast:$seg,local=127.0.0.1,ttl=0$key" --socket "$W/h/amunixd.sock" --name h \
    --log-level warning >>"$W/h.log" 2>&1 &
  HPID=$!
  for _ in $(seq 200); do [[ -S "$W/h/amunixd.sock" && -f "$W/h/sys.cap" ]] && break; sleep 0.05; done
  (KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" exec scripts/kernel-run.sh --link "mcast:$seg$key" bench </dev/null >"$W/node.console" 2>&1) &
  QPID=$!
  for _ in $(seq 600); do grep -q "console idle" "$W/node.console" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/^  bench\t\(.*\)$/\1/p' "$W/node.console" | tr -d '\r' >"$W/bench.cap"
  local sys; sys=$(sed -n 's/^  sys\t\(.*\)$/\1/p' "$W/node.console" | tr -d '\r')
  export AMUNIX_SOCKET="$W/h/amunixd.sock"
  "$BIN/rpc_bench" load --count 200 "$W/bench.cap" >/dev/null 2>&1   # warm: routes, buffers
  local before after out
  before=$("$BIN/std_status" "$sys" 2>&1 | grep '^seal:')
  out=$("$BIN/rpc_bench" load --count "$N" --brief "$W/bench.cap" 2>&1)
  after=$("$BIN/std_status" "$sys" 2>&1 | grep '^seal:')
  read -r p50 p99 _ ok failed _ <<<"$out"
  local line="$1: p50 ${p50} us p99 ${p99} us ($ok ok, $failed failed)"
  if [[ $1 == keyed ]]; then
    us() { sed -n "s/.*sealing \([0-9]*\) us, opening \([0-9]*\) us.*/\1 \2/p" <<<"$1"; }
    count() { sed -n "s/^seal: sealed \([0-9]*\) opened \([0-9]*\) .*/\1 \2/p" <<<"$1"; }
    read -r s0 o0 <<<"$(us "$before")"; read -r s1 o1 <<<"$(us "$after")"
    read -r ns0 no0 <<<"$(count "$before")"; read -r ns1 no1 <<<"$(count "$after")"
    line+="; in the guest per transaction: sealing $(( (s1 - s0) * 1000 / N )) ns ($(( ns1 - ns0 )) datagrams),"
    line+=" opening $(( (o1 - o0) * 1000 / N )) ns ($(( no1 - no0 )) datagrams)"
  fi
  echo "$line"
  stop
}

for i in $(seq "$RUNS"); do
  run clear $((2 * i))
  run keyed $((2 * i + 1))
done
