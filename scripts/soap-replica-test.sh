#!/usr/bin/env bash
# The replicated directory service on real daemons (issue 15, no root).
#
# Hosts a, b, c each run amunixd and soap-server --replicated on a copy of
# one store (amoeba-init --soap-replicas); host d runs two clients
# (soap_load) appending rows, SOAP_WRITES in all per round (default 1,000).
# Round 1 kills with -9 the replica the clients reach, mid-stream, and
# restarts it; round 2
# kills the sequencer's host (its soap-server and its amunixd) and restarts
# both. Checks: the clients end with every write acknowledged and none
# failed (a retry allowed); no write waited longer than a reset takes; the
# restarted replicas catch up; at the end the three stores are equal and
# every acknowledged row is in each. Prints ok/FAIL per check; exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd soap-server soap_load amoeba-init; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
WRITES=${SOAP_WRITES:-1000}
# The longest a write may wait, retries included: the reset (liveness
# checks every 100 ms, ten missed) plus the clients' own RPC timeouts.
MAX_WAIT_MS=${SOAP_MAX_WAIT_MS:-8000}
# Tries again a write may need: when the replica a client reaches dies,
# the request it held fails (RPC_FAILURE) and the retry goes to another
# (the RPC client locates again when the dead replica's host answers "no
# thread" for the port).
MAX_RETRIES=${SOAP_MAX_RETRIES:-1}
W=$(mktemp -d /tmp/soap-repl.XXXXXX)
passed=0; failed=0
declare -A PID SOAP TAKEN
say() { echo "[soap-replicas] $*"; }
ok() { passed=$((passed + 1)); say "ok $*"; }
bad() { failed=$((failed + 1)); say "FAIL $*"; }

port_base=$(( 26000 + ($$ % 2000) * 10 ))
segment="mcast:239.255.$(( ($$ + 11) % 250 )).3:$port_base,local=127.0.0.1,ttl=0"
# Short group and RPC timers, so that a dead host is noticed in about a
# second instead of Amoeba's minutes.
DOPTS=(--group-reply-ms 100 --group-alive-ms 100 --crash-timeout-ms 1500 --enquire-interval-ms 300)

daemon() { # host
  local h=$1
  mkdir -p "$W/$h"
  rm -f "$W/$h/sys.cap"
  ("$BIN/amunixd" --link "$segment" --socket "$W/$h/amunixd.sock" --name "$h" --log-level warning "${DOPTS[@]}" \
    >>"$W/$h.log" 2>&1) &
  PID[$h]=$!
  for _ in $(seq 100); do [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0; sleep 0.05; done
  say "amunixd on $h did not start:"; cat "$W/$h.log"; return 1
}

replica() { # host: start soap-server --replicated; returns once it serves
  local h=$1 before n
  before=$(grep -c "serving" "$W/soap-$h.log" 2>/dev/null || true)
  (AMUNIX_SOCKET="$W/$h/amunixd.sock" exec "$BIN/soap-server" "$W/store-$h" --replicated --resilience 1 \
    --threads 4 --log-level info >>"$W/soap-$h.log" 2>&1) &
  SOAP[$h]=$!
  for _ in $(seq 300); do
    n=$(grep -c "serving" "$W/soap-$h.log" 2>/dev/null || true)
    (( ${n:-0} > ${before:-0} )) && return 0
    kill -0 "${SOAP[$h]}" 2>/dev/null || break
    sleep 0.05
  done
  say "replica on $h did not start serving:"; tail -5 "$W/soap-$h.log"; return 1
}

cleanup() {
  for p in "${SOAP[@]}" "${PID[@]}" "${CLIENTS[@]:-}"; do [[ -n "$p" ]] && kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n "${SOAP_KEEP:-}" ]] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
CLIENTS=()

# The host whose replica orders the writes now (its log's last word on it).
sequencer_host() {
  local h
  for h in a b c; do
    [[ -n ${SOAP[$h]:-} ]] || continue
    # Only what the replica said since its last start counts.
    awk '/joined the replicas|created the replicas/ { s = "" } /sequencer (here|elsewhere)/ { s = $0 } END { print s }' \
      "$W/soap-$h.log" | grep -q "sequencer here" && { echo "$h"; return; }
  done
}

t_start=$SECONDS
for h in a b c d; do daemon "$h" || exit 1; done
"$BIN/amoeba-init" --soap-store "$W/store-a" --bullet-store "$W/store-bullet" \
  --soap-replicas "$W/store-b,$W/store-c" --root-file "$W/root.cap" >"$W/init.log" 2>&1 \
  || { say "amoeba-init failed:"; cat "$W/init.log"; exit 1; }
for h in a b c; do replica "$h" || exit 1; done
ok "three replicas serving ($(( SECONDS - t_start ))s)"

# round TITLE PREFIX KILL: two clients write; KILL (a function) runs once
# a quarter of the writes are acknowledged.
round() {
  local title=$1 prefix=$2 kill_fn=$3 t0=$SECONDS
  local each=$(( WRITES / 2 )) h
  for h in a b c; do TAKEN[$h]=$(grep -c "writes taken here" "$W/soap-$h.log"); done
  CLIENTS=()
  for x in x y; do
    (AMUNIX_SOCKET="$W/d/amunixd.sock" exec "$BIN/soap_load" --directory "$W/root.cap" --prefix "$prefix$x" \
      --count "$each" --timeout-ms 2000 >"$W/$prefix$x.out" 2>"$W/$prefix$x.err") &
    CLIENTS+=($!)
  done
  for _ in $(seq 600); do
    (( $(grep -c '^ack' "$W/${prefix}x.out") >= each / 4 )) && break
    sleep 0.05
  done
  $kill_fn
  local rc=0 p
  for p in "${CLIENTS[@]}"; do
    local tw=$SECONDS
    while kill -0 "$p" 2>/dev/null && (( SECONDS - tw < 120 )); do sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { say "client $p hung: killed"; kill -9 "$p"; }
    wait "$p" || rc=$?
  done
  local acks=$(( $(cat "$W/${prefix}x.out" "$W/${prefix}y.out" | grep -c '^ack') ))
  [[ $rc == 0 && $acks == $(( 2 * each )) ]] \
    && ok "$title: all $acks writes acknowledged, none failed ($(( SECONDS - t0 ))s)" \
    || { bad "$title: $acks of $(( 2 * each )) acknowledged (client rc $rc)"; head -3 "$W/${prefix}x.err" "$W/${prefix}y.err"; }
  local retries longest
  retries=$(cat "$W/${prefix}x.out" "$W/${prefix}y.out" | awk '$1 == "figures" { r += $6 } END { print r + 0 }')
  longest=$(cat "$W/${prefix}x.out" "$W/${prefix}y.out" | awk '$1 == "figures" { if ($16 > m) m = $16 } END { print int(m) }')
  (( longest <= MAX_WAIT_MS )) \
    && ok "$title: the service never stopped answering for longer than a reset (longest write ${longest} ms, $retries retries)" \
    || bad "$title: a write waited ${longest} ms (limit $MAX_WAIT_MS)"
  local most
  most=$(cat "$W/${prefix}x.out" "$W/${prefix}y.out" | awk '$1 == "figures" { if ($21 > m) m = $21 } END { print m + 0 }')
  (( most <= MAX_RETRIES )) && ok "$title: no write needed more than $most retries" \
    || bad "$title: a write needed $most retries (limit $MAX_RETRIES)"
  grep -h '^figures' "$W/${prefix}x.out" "$W/${prefix}y.out" | sed 's/^/    /'
}

kill_replica() { # the replica taking most of the clients' writes; restarted at once
  local seq victim h n most=-1
  seq=$(sequencer_host)
  for h in a b c; do
    n=$(( $(grep -c "writes taken here" "$W/soap-$h.log") - ${TAKEN[$h]:-0} ))
    (( n > most )) && { most=$n; victim=$h; }
  done
  say "kill -9 the replica on $victim, which the clients reach (sequencer on ${seq:-?})"
  kill -9 "${SOAP[$victim]}"; wait "${SOAP[$victim]}" 2>/dev/null
  sleep 0.5
  local caught; caught=$(grep -c "caught up" "$W/soap-$victim.log")
  replica "$victim" && (( $(grep -c "caught up" "$W/soap-$victim.log") > caught )) \
    && ok "the replica on $victim restarted and caught up" || bad "the replica on $victim did not come back"
}

kill_sequencer_host() { # its soap-server and its amunixd; both restarted
  local victim caught
  victim=$(sequencer_host)
  [[ -n $victim ]] || { bad "no replica says it is the sequencer"; return; }
  say "kill -9 the sequencer's host $victim (amunixd and soap-server)"
  kill -9 "${SOAP[$victim]}" "${PID[$victim]}"; wait "${SOAP[$victim]}" "${PID[$victim]}" 2>/dev/null
  sleep 1
  caught=$(grep -c "caught up" "$W/soap-$victim.log")
  daemon "$victim" && replica "$victim" && (( $(grep -c "caught up" "$W/soap-$victim.log") > caught )) \
    && ok "host $victim restarted; its replica caught up" || bad "host $victim did not come back"
}

round "replica killed" r1 kill_replica
round "sequencer's host killed" r2 kill_sequencer_host
new_seq=$(sequencer_host)
[[ -n $new_seq ]] && ok "a new sequencer orders the writes (on $new_seq)" || bad "no sequencer after the host kill"

# The stores: stop the replicas cleanly, then dump each.
sleep 0.5
for h in a b c; do kill "${SOAP[$h]}" 2>/dev/null; wait "${SOAP[$h]}" 2>/dev/null; unset "SOAP[$h]"; done
for h in a b c; do "$BIN/soap-server" "$W/store-$h" --dump >"$W/dump-$h" 2>"$W/dump-$h.err" || bad "cannot dump store-$h"; done
if cmp -s "$W/dump-a" "$W/dump-b" && cmp -s "$W/dump-a" "$W/dump-c"; then
  ok "the three replicas' stores are equal ($(grep -c '^directory' "$W/dump-a") directories, $(grep -c '^row' "$W/dump-a") rows)"
else
  bad "the replicas' stores differ"; diff "$W/dump-a" "$W/dump-b" | head -5; diff "$W/dump-a" "$W/dump-c" | head -5
fi
cat "$W"/r*.out | awk '$1 == "ack" { print $2 }' | sort >"$W/acked"
for h in a b c; do
  missing=$(comm -23 "$W/acked" <(awk '$1 == "row" { print $3 }' "$W/dump-$h" | sort) | wc -l)
  (( missing == 0 )) && ok "every acknowledged write ($(wc -l <"$W/acked")) is in store-$h" \
    || bad "store-$h lacks $missing acknowledged writes"
done
echo "$passed passed, $failed failed ($(( SECONDS - t_start ))s)"
(( failed == 0 ))
