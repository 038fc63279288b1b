#!/usr/bin/env bash
# Multi-host tests of amunixd: real daemons, real sockets, the std tools.
#
#   scripts/amunix-multihost.sh udp    Ethernet-in-UDP on loopback (no root)
#   scripts/amunix-multihost.sh pcap   network namespaces, veth and bridges,
#                                      raw Ethernet through libpcap (root)
#
# Topology (both modes): segment 1 holds hosts a, b and g; segment 2 holds
# g and c; g has a link on each and is the FLIP gateway between them.
# Tests: std_info/std_status of another host's servers; c reached from a
# across g; 10,000 transactions with drop+dup+reorder 20% each, counted at
# the server (zero duplicate executions, zero lost or wrong replies);
# kill -9 of the server's daemon under load (every client thread gets an
# error in bounded time) and transactions succeeding again after restart.
# In pcap mode a capture of a's veth holds no runt and no UNSAFE packet.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${1:-udp}"
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info std_status rpc_bench bullet-server; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
W=$(mktemp -d /tmp/amunix-mh.XXXXXX)
passed=0; failed=0
declare -A PID
NS_PREFIX="amx$$"

say() { echo "[$mode] $*"; }
ok() { passed=$((passed + 1)); say "PASS $*"; }
bad() { failed=$((failed + 1)); say "FAIL $*"; }

# How each host's links are spelled, per mode; faults are appended.
port_base=$(( 20000 + ($$ % 2000) * 10 ))
links_of() { # host [faults]
  local h=$1 f=${2:+,$2}
  if [[ $mode == udp ]]; then
    local seg1="mcast:239.255.$(( $$ % 250 )).1:$port_base,local=127.0.0.1,ttl=0"
    case $h in
      a|b) echo "--link $seg1$f" ;;
      g) echo "--link $seg1$f --link udp:$((port_base + 1)):127.0.0.1:$((port_base + 2))" ;;
      c) echo "--link udp:$((port_base + 2)):127.0.0.1:$((port_base + 1))$f" ;;
    esac
  else
    case $h in
      a|b|c) echo "--link pcap:eth0$f" ;;
      g) echo "--link pcap:eth0$f --link pcap:eth1" ;;
    esac
  fi
}

in_ns() { # host command...
  local h=$1; shift
  # exec: started with &, the daemon itself must be the process $! names.
  if [[ $mode == pcap ]]; then exec ip netns exec "$NS_PREFIX-$h" "$@"; else exec "$@"; fi
}

start() { # host [faults] [extra options]
  local h=$1 f=${2:-}; shift; shift || true
  mkdir -p "$W/$h"
  # shellcheck disable=SC2046
  local links; links=$(links_of "$h" "$f")
  rm -f "$W/$h/sys.cap"
  # shellcheck disable=SC2086
  (in_ns "$h" "$BIN/amunixd" $links --socket "$W/$h/amunixd.sock" --name "$h" \
    --log-level warning "$@" >>"$W/$h.log" 2>&1) &
  PID[$h]=$!
  for _ in $(seq 100); do [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0; sleep 0.05; done
  say "amunixd on $h did not start:"; cat "$W/$h.log"; return 1
}

stop() { # host
  local h=$1
  [[ -n "${PID[$h]:-}" ]] || return 0
  kill "${PID[$h]}" 2>/dev/null; wait "${PID[$h]}" 2>/dev/null; local rc=$?
  unset "PID[$h]"
  return $rc
}

cleanup() {
  for h in "${!PID[@]}"; do kill -9 "${PID[$h]}" 2>/dev/null; done
  [[ -n "${SERVER:-}" ]] && kill -9 "$SERVER" 2>/dev/null
  [[ -n "${CAPTURE:-}" ]] && kill "$CAPTURE" 2>/dev/null
  wait 2>/dev/null
  if [[ $mode == pcap ]]; then
    for h in a b g c br; do ip netns del "$NS_PREFIX-$h" 2>/dev/null; done
  fi
  rm -rf "$W"
}
trap cleanup EXIT

tool() { # host tool args...: run a tool against that host's daemon
  local h=$1 t=$2; shift 2
  AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/$t" "$@"
}

if [[ $mode == pcap ]]; then
  [[ $(id -u) == 0 ]] || { echo "pcap mode needs root"; exit 1; }
  # One namespace per host plus one holding the two bridges.
  ip netns add "$NS_PREFIX-br"
  ip -n "$NS_PREFIX-br" link add br1 type bridge
  ip -n "$NS_PREFIX-br" link add br2 type bridge
  ip -n "$NS_PREFIX-br" link set br1 up
  ip -n "$NS_PREFIX-br" link set br2 up
  n=0
  plug() { # host ifname bridge
    n=$((n + 1))
    ip link add "amx$$v$n" type veth peer name "amx$$p$n"
    ip link set "amx$$v$n" netns "$NS_PREFIX-$1"
    ip -n "$NS_PREFIX-$1" link set "amx$$v$n" name "$2"
    ip -n "$NS_PREFIX-$1" link set "$2" up
    ip link set "amx$$p$n" netns "$NS_PREFIX-br"
    ip -n "$NS_PREFIX-br" link set "amx$$p$n" master "$3"
    ip -n "$NS_PREFIX-br" link set "amx$$p$n" up
  }
  for h in a b g c; do ip netns add "$NS_PREFIX-$h"; ip -n "$NS_PREFIX-$h" link set lo up; done
  plug a eth0 br1; plug b eth0 br1; plug g eth0 br1; plug g eth1 br2; plug c eth0 br2
fi

# ---- 1. std tools across hosts -------------------------------------------
if [[ $mode == pcap ]] && command -v tcpdump >/dev/null; then
  # a's veth port on the bridge: every frame a sends or is sent, for the
  # wire checks after section 2.
  ip netns exec "$NS_PREFIX-br" tcpdump -i "amx$$p1" -U --immediate-mode -w "$W/a-port.pcap" \
    ether proto 0x8146 2>"$W/tcpdump.log" &
  CAPTURE=$!
  for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.log" && break; sleep 0.1; done
fi
for h in a b g c; do start "$h" || exit 1; done

out=$(tool a std_info "$W/b/sys.cap" 2>&1)
[[ $out == "system server" ]] && ok "std_info of b's sys from a" || bad "std_info of b's sys from a: $out"
out=$(tool a std_status "$W/b/sys.cap" 2>&1)
[[ $out == *"host b"*"uptime"*"frames in"* ]] && ok "std_status of b's sys from a" || bad "std_status b from a: $out"
out=$(tool b std_info "$W/a/host.cap" "$W/a/tod.cap" 2>&1)
[[ $out == *"%dw1234"*"TOD server"* ]] && ok "std_info of a's host directory and tod from b" || bad "std_info a from b: $out"
out=$(tool a std_status sys 2>&1)
[[ $out == "host a"* ]] && ok "std_status of the local sys by name" || bad "local std_status: $out"
out=$(tool a std_destroy "$W/b/sys.cap" 2>&1); rc=$?
[[ $rc == 1 && $out == *STD_COMBAD* ]] && ok "std_destroy refused with STD_COMBAD (sys has none), exit 1" || bad "std_destroy: rc=$rc $out"
r=$(tool a std_restrict "$W/b/sys.cap" 01 2>&1) && out=$(tool a std_destroy "$r" 2>&1); rc=$?
[[ $rc == 1 && $out == *STD_COMBAD* ]] && ok "restricted capability still reaches b" || bad "restricted: rc=$rc $out"

# ---- 2. across the gateway -----------------------------------------------
out=$(tool a std_status "$W/c/sys.cap" 2>&1)
[[ $out == "host c"* ]] && ok "std_status of c's sys from a, across gateway g" || bad "across gateway: $out"
out=$(tool c std_info "$W/b/random.cap" 2>&1)
[[ $out == "random number server" ]] && ok "std_info of b's random from c, across gateway g" || bad "across gateway back: $out"
out=$(tool g std_status sys 2>&1)
fw=$(sed -n 's/^forwarded unidata \([0-9]*\) .*/\1/p' <<<"$out")
[[ -n $fw && $fw -gt 0 ]] && ok "g forwarded $fw unidata messages" || bad "g forwarded nothing: $out"

if [[ -n ${CAPTURE:-} ]]; then
  # An Amoeba Ethernet: no frame below the 60-byte minimum, and nothing
  # marked UNSAFE, since pcap: links are trusted networks by default.
  sleep 0.3
  kill -INT "$CAPTURE"; wait "$CAPTURE" 2>/dev/null; CAPTURE=
  out=$(python3 scripts/lib/pcap-wire-check.py "$W/a-port.pcap" 2>&1)
  [[ $out == *" 0 shorter than 60, 0 unsafe" && $out != "0 frames"* ]] \
    && ok "on a's veth: $out" || bad "on a's veth: $out"
fi

# ---- 3. 10,000 transactions through drop+dup+reorder 20% -----------------
stop a; stop b
faults="drop=0.2,dup=0.2,reorder=0.2"
# Amoeba's defaults assume a good LAN; at 20% loss each way a transaction
# needs more tries than its 10 before the client gives up.
rpcopts=(--serve-timeout-ms 100 --enquire-interval-ms 200 --max-retrials 40)
start a "$faults,seed=11" "${rpcopts[@]}" || exit 1
start b "$faults,seed=12" "${rpcopts[@]}" || exit 1
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" serve --threads 16 "$W/bench.cap" >"$W/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do [[ -f "$W/bench.cap" ]] && break; sleep 0.05; done
t0=$(date +%s)
out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 300 "$BIN/rpc_bench" load --count 10000 --threads 64 --size 100 --timeout 120 "$W/bench.cap" 2>&1); rc=$?
say "$(tr '\n' ' ' <<<"$out")($(( $(date +%s) - t0 )) s)"
stats=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" stats "$W/bench.cap" 2>&1)
say "server: $stats"
[[ $rc == 0 && $out == *"ok 10000 failed 0"* ]] && ok "10000 transactions under faults: every reply right" || bad "faulty load: rc=$rc"
[[ $stats == "executions 10000 duplicates 0" ]] && ok "server executed each of 10000 exactly once" || bad "server counts: $stats"
inj=$(tool a std_status sys | grep '^link 0')
[[ $inj == *"dropped "[1-9]* ]] && ok "fault injector was active ($inj)" || bad "fault injector idle: $inj"
kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=

# ---- 4. kill -9 the server host's daemon under load ----------------------
stop a; stop b
start a "" --enquire-interval-ms 500 --crash-timeout-ms 3000 --metrics-file "$W/a/metrics.prom" || exit 1
start b || exit 1
rm -f "$W/bench.cap"
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" serve --threads 8 "$W/bench.cap" >"$W/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do [[ -f "$W/bench.cap" ]] && break; sleep 0.05; done
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --count 100000000 --threads 16 --stop-on-error \
  "$W/bench.cap" >"$W/load.log" 2>&1 &
LOAD=$!
sleep 2
tool a std_info "$W/b/sys.cap" >/dev/null 2>&1   # a learns the way to b's sys server
kill -9 "${PID[b]}"; wait "${PID[b]}" 2>/dev/null; unset "PID[b]"
t0=$(date +%s)
for _ in $(seq 600); do kill -0 "$LOAD" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$LOAD" 2>/dev/null; then
  bad "clients still hanging 60 s after kill -9"; kill -9 "$LOAD"
else
  wait "$LOAD"; rc=$?
  el=$(( $(date +%s) - t0 ))
  out=$(cat "$W/load.log")
  say "$(tr '\n' ' ' <<<"$out")"
  [[ $rc != 0 && $out == *"failure RPC_"* ]] && ok "every client thread got an RPC error ${el}s after kill -9" || bad "after kill -9: rc=$rc $out"
fi
wait "$SERVER" 2>/dev/null; SERVER=
start b || exit 1
rm -f "$W/bench.cap"
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" serve --threads 4 "$W/bench.cap" >"$W/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do [[ -f "$W/bench.cap" ]] && break; sleep 0.05; done
out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" load --count 500 --threads 4 "$W/bench.cap" 2>&1); rc=$?
[[ $rc == 0 ]] && ok "transactions succeed after the restart" || bad "after restart: $out"
t0=$(date +%s%N)
out=$(tool a std_status "$W/b/sys.cap" 2>&1)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# b kept its link addresses (STATE/mac), so a's route still reaches it: no
# 20 s wait for a NOTHERE that a frame to an unknown MAC never gets.
[[ $out == "host b"* && $ms -lt 3000 ]] && ok "std_status of the restarted b, a's first call to it since: ${ms} ms" \
  || bad "restarted b: ${ms} ms: $out"
kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=

# ---- 4b. programs with their own FLIP endpoints ---------------------------
# No daemon in the program's path: an endpoint on a's segment serves, and
# b's programs call it through b's daemon; an endpoint calls a server
# program behind b's daemon, and one behind c's, across the gateway g.
ep_link=$(links_of a | sed 's/^--link //')
rm -f "$W/ep.cap"
(in_ns a "$BIN/rpc_bench" serve --threads 2 --link "$ep_link" "$W/ep.cap" >"$W/ep-serve.log" 2>&1) &
SERVER=$!
for _ in $(seq 100); do [[ -f "$W/ep.cap" ]] && break; sleep 0.05; done
out=$(AMUNIX_SOCKET="$W/b/amunixd.sock" timeout 120 "$BIN/rpc_bench" load --count 2000 --threads 4 --size 3000 "$W/ep.cap" 2>&1); rc=$?
[[ $rc == 0 && $out == *"ok 2000 failed 0"* ]] && ok "b's program calls an endpoint on a: 2000 of 2000 right" || bad "program to endpoint: rc=$rc $out"
kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=
# A file server on its own endpoint, asked through b's daemon.
mkdir -p "$W/bullet"
(in_ns a "$BIN/bullet-server" "$W/bullet" --link "$ep_link" --threads 2 --log-level warning >"$W/bullet.log" 2>&1) &
SERVER=$!
for _ in $(seq 100); do [[ -s "$W/bullet/super.cap" ]] && break; sleep 0.05; done
out=$(tool b std_info "$W/bullet/super.cap" 2>&1)
[[ $out == *"bullet server"* ]] && ok "a Bullet server on its own endpoint answers b's std_info: $out" || bad "bullet on an endpoint: $out $(cat "$W/bullet.log")"
kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=
for h in b c; do
  rm -f "$W/bench.cap"
  AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/rpc_bench" serve --threads 2 "$W/bench.cap" >"$W/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do [[ -f "$W/bench.cap" ]] && break; sleep 0.05; done
  out=$( (in_ns a timeout 120 "$BIN/rpc_bench" load --link "$ep_link" --count 2000 --size 3000 "$W/bench.cap") 2>&1); rc=$?
  [[ $rc == 0 && $out == *"ok 2000 failed 0"* ]] && ok "an endpoint on a calls a program behind $h's daemon: 2000 of 2000 right" \
    || bad "endpoint to $h: rc=$rc $out"
  # The same calls, eight in flight from one thread (the pipeline put and
  # get use): every reply its own call's.
  out=$( (in_ns a timeout 120 "$BIN/rpc_bench" load --link "$ep_link" --count 2000 --size 3000 --pipeline 8 "$W/bench.cap") 2>&1); rc=$?
  [[ $rc == 0 && $out == *"ok 2000 failed 0"* ]] && ok "an endpoint on a keeps 8 calls in flight from one thread to $h: 2000 of 2000 right" \
    || bad "pipelined endpoint to $h: rc=$rc $out"
  kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; SERVER=
done

# ---- 5. SIGTERM drains and exits 0 ----------------------------------------
for h in a b g c; do
  stop "$h"; rc=$?
  [[ $rc == 0 ]] && ok "amunixd on $h exits 0 on SIGTERM" || bad "amunixd on $h exit $rc on SIGTERM"
done

# ---- 6. metrics through swift-metrics, written for Prometheus -----------
m=$(cat "$W/a/metrics.prom" 2>/dev/null)
if grep -Eq '^amunix_transactions_total\{result="ok"\} [1-9]' <<<"$m" && grep -Eq '^amunix_frames_sent_total [1-9]' <<<"$m"; then
  ok "a's counters written in Prometheus text format"
else
  bad "metrics file: $(head -c 400 <<<"$m")"
fi

echo "amunix-multihost $mode: $passed passed, $failed failed"
[[ $failed == 0 ]]
