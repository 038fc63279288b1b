#!/usr/bin/env bash
# Measures, side by side in one run (issue 15; a bench, not a CI step):
#   - group communication: grp_send latency and messages per second with 3
#     and 5 members, every member sending, small messages (method PB) and
#     10,000-byte ones (method BB), resilience 0 and 1;
#   - directory appends: one client's append latency and rate against the
#     single soap-server, then against 3 and 5 replicas (soap-server
#     --replicated, resilience 1), and two clients against each.
# All daemons on one Ethernet-in-UDP multicast segment on loopback, as the
# tests run them; the figures are those of this machine, whatever else
# runs on it. BENCH_MESSAGES and BENCH_WRITES set the counts.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd grp_test soap-server soap_load amoeba-init; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
MESSAGES=${BENCH_MESSAGES:-500}
WRITES=${BENCH_WRITES:-500}
W=$(mktemp -d /tmp/soap-bench.XXXXXX)
declare -A PID
port_base=$(( 28000 + ($$ % 2000) * 10 ))
segment="mcast:239.255.$(( ($$ + 13) % 250 )).4:$port_base,local=127.0.0.1,ttl=0"
HOSTS=(a b c d e f)

daemon() {
  local h=$1
  mkdir -p "$W/$h"; rm -f "$W/$h/sys.cap"
  ("$BIN/amunixd" --link "$segment" --socket "$W/$h/amunixd.sock" --name "$h" --log-level warning \
    --group-reply-ms 200 >>"$W/$h.log" 2>&1) &
  PID[$h]=$!
  for _ in $(seq 100); do [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0; sleep 0.05; done
  echo "amunixd on $h did not start"; exit 1
}
SERVERS=()
cleanup() {
  for p in "${SERVERS[@]}" "${PID[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$W"
}
trap cleanup EXIT
for h in "${HOSTS[@]}"; do daemon "$h"; done

# group MEMBERS PAD RESILIENCE: every member sends MESSAGES; prints the
# members' figures summed: sends per second, worst p50 and p99.
group() {
  local n=$1 pad=$2 r=$3 i pids=()
  local port; port=$(printf '%012x' $(( (RANDOM << 30) ^ (RANDOM << 15) ^ RANDOM ^ $$ )))
  for (( i = 0; i < n; i++ )); do
    local role=join; (( i == 0 )) && role=create
    (AMUNIX_SOCKET="$W/${HOSTS[$i]}/amunixd.sock" exec "$BIN/grp_test" "$role" --port "$port" --name "m$i" \
      --members "$n" --count "$MESSAGES" --pad "$pad" --resilience "$r" --figures >/dev/null 2>"$W/g$i.err") &
    pids+=($!)
    (( i == 0 )) && sleep 0.3
  done
  for p in "${pids[@]}"; do wait "$p" || echo "    (a member failed: $(head -1 "$W/g$i.err"))"; done
  cat "$W"/g*.err | awk -v n="$n" -v pad="$pad" -v r="$r" -v m="$MESSAGES" '$1 == "figures" {
      rate += $NF + 0; if ($8 > p50) p50 = $8; if ($11 > p99) p99 = $11; bytes = $6 }
    END { printf "group  %d members  r=%d  %6d-byte messages (%s)  grp_send p50 %7.2f ms  p99 %7.2f ms  %6.0f msgs/s in all (%d each)\n",
          n, r, bytes, (bytes + 32 >= 10000 ? "BB" : "PB"), p50, p99, rate, m }'
  rm -f "$W"/g*.err
}

echo "==> group communication: every member sends $MESSAGES messages at once"
for n in 3 5; do
  for pad in 0 10000; do
    for r in 0 1; do group "$n" "$pad" "$r"; done
  done
done

# directory SETUP CLIENTS: appends WRITES rows from each of CLIENTS clients
# on host f against the directory service just started.
appends() {
  local label=$1 clients=$2 k pids=()
  for (( k = 0; k < clients; k++ )); do
    (AMUNIX_SOCKET="$W/f/amunixd.sock" exec "$BIN/soap_load" --directory "$W/root.cap" --prefix "$label-c$clients-$k" \
      --count "$WRITES" --quiet >"$W/l$k.out" 2>/dev/null) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  cat "$W"/l*.out | awk -v label="$label" -v c="$clients" '$1 == "figures" {
      rate += $19 + 0; if ($10 > p50) p50 = $10; if ($13 > p99) p99 = $13 }
    END { printf "append %-12s %d client(s)  p50 %7.2f ms  p99 %7.2f ms  %6.0f appends/s in all\n", label, c, p50, p99, rate }'
  rm -f "$W"/l*.out
}

fresh_stores() { # N: a name space and N-1 copies of its directory store
  rm -rf "$W"/store-* "$W/root.cap"
  local copies="" i
  for (( i = 1; i < $1; i++ )); do copies+="${copies:+,}$W/store-$i"; done
  "$BIN/amoeba-init" --soap-store "$W/store-0" --bullet-store "$W/store-bullet" --root-file "$W/root.cap" \
    ${copies:+--soap-replicas "$copies"} >/dev/null || exit 1
}

stop_servers() {
  for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  SERVERS=()
}

echo "==> directory appends: $WRITES per client, clients on another host"
fresh_stores 1
(AMUNIX_SOCKET="$W/a/amunixd.sock" exec "$BIN/soap-server" "$W/store-0" --log-level warning) & SERVERS+=($!)
sleep 0.5
appends single 1
appends single 2
stop_servers
for n in 3 5; do
  fresh_stores "$n"
  for (( i = 0; i < n; i++ )); do
    log="$W/soap-$i.log"
    (AMUNIX_SOCKET="$W/${HOSTS[$i]}/amunixd.sock" exec "$BIN/soap-server" "$W/store-$i" --replicated --resilience 1 \
      --log-level info >"$log" 2>&1) & SERVERS+=($!)
    for _ in $(seq 200); do grep -qs serving "$log" && break; sleep 0.05; done
  done
  appends "$n-replicas" 1
  appends "$n-replicas" 2
  stop_servers
done
