#!/usr/bin/env bash
# Kernel nodes and Linux hosts as one system: real QEMU kernel nodes and
# real amunixd daemons on one Ethernet segment, driven by the std tools.
#
#   scripts/kernel-multihost.sh mcast   QEMU -netdev socket,mcast= and
#                                       amunixd mcast: links on loopback (no root)
#   scripts/kernel-multihost.sh tap     a bridge in a network namespace: QEMU on
#                                       tap devices, amunixd on pcap: over veth (root)
#
# Checks: std_info and std_status of every kernel server from Linux; `dir
# -l` of the kernel directory and path lookups through it; kernel to kernel
# and kernel to Linux calls; 10,000 transactions from Linux to a kernel
# server through drop+dup+reorder 20% each, with zero duplicate executions
# counted in the kernel; malformed frames at the kernel's NIC; the QEMU
# process killed under load (clients fail in bounded time) and the node
# restarted and found again under the same host capability; a tap is a
# trusted network (nothing node0 sends on it carries UNSAFE), mcast is not;
# floods of a kernel port (2 x 2,000 and 20,000 requests from 96 threads)
# all served, and a second host served during one.
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
mode="${1:-mcast}"
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info std_status dir rpc_bench cap amoeba-init soap-server bullet-server; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
[[ -f .build-kernel/kernel.elf && -f .build-kernel/kernel-test.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1 || { echo "kernel build failed"; exit 1; }
W=$(mktemp -d /tmp/kernel-mh.XXXXXX)
passed=0; failed=0
declare -A PID QPID
NS="kmh$$"

say() { echo "[$mode] $*"; }
ok() { passed=$((passed + 1)); say "PASS $*"; }
bad() { failed=$((failed + 1)); say "FAIL $*"; }

seg_port=$(( 31000 + ($$ % 2000) * 3 ))
seg_group="239.255.$(( $$ % 250 )).9"

# The link a host or node is given, per mode; faults are appended for hosts.
host_link() { # host [faults]
  local f=${2:+,$2}
  if [[ $mode == mcast ]]; then echo "mcast:$seg_group:$seg_port,local=127.0.0.1,ttl=0$f"; else echo "pcap:eth0$f"; fi
}
node_link() { # node index
  if [[ $mode == mcast ]]; then echo "mcast:$seg_group:$seg_port"; else echo "tap:kmt$$n$1"; fi
}

in_ns() { # host command...
  local h=$1; shift
  if [[ $mode == tap ]]; then exec ip netns exec "$NS-$h" "$@"; else exec "$@"; fi
}

start_host() { # host [faults] [amunixd options]
  local h=$1 f=${2:-}; shift; shift || true
  mkdir -p "$W/$h"; rm -f "$W/$h/sys.cap"
  (in_ns "$h" "$BIN/amunixd" --link "$(host_link "$h" "$f")" --socket "$W/$h/amunixd.sock" --name "$h" \
    --log-level warning "$@" >>"$W/$h.log" 2>&1) &
  PID[$h]=$!
  for _ in $(seq 200); do [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0; sleep 0.05; done
  say "amunixd on $h did not start:"; cat "$W/$h.log"; return 1
}

stop_host() { [[ -n "${PID[$1]:-}" ]] && { kill "${PID[$1]}" 2>/dev/null; wait "${PID[$1]}" 2>/dev/null; unset "PID[$1]"; }; }

# A kernel node: its state folder keeps the host secret across reboots.
start_node() { # index [kernel words...]
  local i=$1; shift
  local n="node$i"
  mkdir -p "$W/$n"
  : >"$W/$n.console"
  local launch=(scripts/kernel-run.sh --link "$(node_link "$i")" --state "$W/$n" --mac "52:54:00:4b:00:0$i")
  if [[ $mode == tap ]]; then
    (KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" exec ip netns exec "$NS-br" "${launch[@]}" "$@" </dev/null >"$W/$n.console" 2>&1) &
  else
    (KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" exec "${launch[@]}" "$@" </dev/null >"$W/$n.console" 2>&1) &
  fi
  QPID[$n]=$!
  for _ in $(seq 600); do grep -q "node up" "$W/$n.console" 2>/dev/null && grep -q "console idle" "$W/$n.console" && return 0; sleep 0.1; done
  say "kernel $n did not come up:"; tail -20 "$W/$n.console"; return 1
}

kill_node() { [[ -n "${QPID[$1]:-}" ]] && { pkill -9 -P "${QPID[$1]}" 2>/dev/null; kill -9 "${QPID[$1]}" 2>/dev/null; wait "${QPID[$1]}" 2>/dev/null; unset "QPID[$1]"; }; }

# A capability the node printed on its console at boot (its kernel directory).
node_cap() { sed -n "s/^  $2\t\(.*\)$/\1/p" "$W/$1.console" | tail -1 | tr -d '\r'; }

cleanup() {
  for h in "${!PID[@]}"; do kill -9 "${PID[$h]}" 2>/dev/null; done
  [[ -n "${CAPTURE:-}" ]] && kill "$CAPTURE" 2>/dev/null
  for n in "${!QPID[@]}"; do pkill -9 -P "${QPID[$n]}" 2>/dev/null; kill -9 "${QPID[$n]}" 2>/dev/null; done
  [[ -n "${SERVERS:-}" ]] && kill -9 $SERVERS 2>/dev/null
  wait 2>/dev/null
  if [[ $mode == tap ]]; then for h in a b br; do ip netns del "$NS-$h" 2>/dev/null; done; fi
  [[ -n ${KEEP_LOGS:-} ]] && echo "logs in $W" || rm -rf "$W"
}
trap cleanup EXIT

tool() { local h=$1 t=$2; shift 2; AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/$t" "$@"; }

if [[ $mode == tap ]]; then
  [[ $(id -u) == 0 ]] || { echo "tap mode needs root"; exit 1; }
  ip netns add "$NS-br"
  ip -n "$NS-br" link add br0 type bridge
  ip -n "$NS-br" link set br0 up
  for h in a b; do
    ip netns add "$NS-$h"; ip -n "$NS-$h" link set lo up
    ip link add "kmt$$$h" type veth peer name "kmt$$p$h"
    ip link set "kmt$$$h" netns "$NS-$h"
    ip -n "$NS-$h" link set "kmt$$$h" name eth0
    ip -n "$NS-$h" link set eth0 up
    ip link set "kmt$$p$h" netns "$NS-br"
    ip -n "$NS-br" link set "kmt$$p$h" master br0 up
  done
  for i in 0 1; do
    ip -n "$NS-br" tuntap add "kmt$$n$i" mode tap
    ip -n "$NS-br" link set "kmt$$n$i" master br0 up
  done
elif [[ $mode != mcast ]]; then
  echo "usage: $0 mcast|tap"; exit 64
fi

# ---- 1. Linux reaches the kernel's servers --------------------------------
if [[ $mode == tap ]] && command -v tcpdump >/dev/null; then
  # What node0 sends on its tap, for the trust check below: kernel-run
  # calls a tap a trusted network, so no FLIP packet may carry UNSAFE.
  ip netns exec "$NS-br" tcpdump -i "kmt$$n0" -U --immediate-mode -w "$W/node0-tap.pcap" \
    ether proto 0x8146 and ether src 52:54:00:4b:00:00 2>"$W/tcpdump.log" &
  CAPTURE=$!
  for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.log" && break; sleep 0.1; done
fi
start_host a || exit 1
start_host b || exit 1
start_node 0 bench || exit 1
start_node 1 || exit 1
hostcap=$(cat "$W/node0/host.cap" 2>/dev/null)
out=$(tool a std_info "$hostcap" 2>&1)
[[ $out == "%"* ]] && ok "std_info of node0's kernel directory from Linux: $out" || bad "std_info of node0's host capability: $out"
# The host secret reaches the kernel through fw_cfg, not the QEMU argv.
secret=$(tr -d ' \n' <"$W/node0/hostsecret")
qemu_args=$(tr '\0' ' ' <"/proc/${QPID[node0]}/cmdline" 2>/dev/null)
ps_args=$(ps -ww -o args= -p "${QPID[node0]}" 2>/dev/null)
[[ $qemu_args == *qemu-system* && $qemu_args != *"${secret%%:*}"* && $qemu_args != *"${secret##*:}"* && $ps_args != *"${secret##*:}"* ]] \
  && grep -q "host secret from fw_cfg" "$W/node0.console" \
  && ok "the host secret is not in QEMU's argv (ps, /proc/PID/cmdline); the kernel read it from fw_cfg" \
  || bad "host secret visible or not read: $qemu_args"
[[ $(stat -c %a "$W/node0") == 700 && $(stat -c %a "$W/node0/host.cap") == 600 && $(stat -c %a "$W/node0/hostsecret") == 600 ]] \
  && ok "state folder 0700, host.cap and hostsecret 0600" \
  || bad "state permissions: $(stat -c '%a %n' "$W/node0" "$W/node0/host.cap" "$W/node0/hostsecret")"
for s in sys tod random tty:00 bench bench-threads; do
  c=$(node_cap node0 "$s")
  out=$(tool a std_info "$c" 2>&1); rc=$?
  [[ $rc == 0 && -n $out ]] && ok "std_info of node0's $s: $out" || bad "std_info of node0's $s ($c): rc=$rc $out"
done
out=$(tool b std_status "$(node_cap node0 sys)" 2>&1); rc=$?
[[ $rc == 0 && -n $out && $out != *RPC_* && $out != *STD_* ]] && ok "std_status of node0's sys from b" || bad "std_status of node0's sys: $out"
if [[ -n ${CAPTURE:-} ]]; then
  sleep 0.3
  kill -INT "$CAPTURE"; wait "$CAPTURE" 2>/dev/null; CAPTURE=
  out=$(python3 scripts/lib/pcap-wire-check.py "$W/node0-tap.pcap" 2>&1)
  grep -q "irq [0-9]*, trusted network" "$W/node0.console" && [[ $out == *" 0 shorter than 60, 0 unsafe" && $out != "0 frames"* ]] \
    && ok "node0 is on a trusted network (tap); what it sent: $out" \
    || bad "node0's trust on a tap: $(grep -o 'irq.*network' "$W/node0.console"); sent: $out"
elif [[ $mode == mcast ]]; then
  grep -q "irq [0-9]*, untrusted network" "$W/node0.console" && ok "node0 is on an untrusted network (mcast)" \
    || bad "node0's trust on mcast: $(grep '\[net\] virtio-net' "$W/node0.console")"
fi

# The node servers and `bench` are answered by the network thread itself
# (Network.answerAtOnce): their requests from the network reach no server
# thread. 500 null transactions to bench move the count by at least 500,
# and no server thread replies for them.
counts() { sed -n 's/^requests answered at once by the network thread \([0-9]*\).*/\1/p' <<<"$1"
           sed -n 's/^replies sent directly by server threads \([0-9]*\).*/\1/p' <<<"$1"; }
echo "$(node_cap node0 bench)" >"$W/atonce.cap"
read -r a0 d0 <<<"$(counts "$(tool a std_status "$(node_cap node0 sys)" 2>&1)" | tr '\n' ' ')"
out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 120 "$BIN/rpc_bench" load --count 500 --size 0 --warmup 0 --brief "$W/atonce.cap" 2>&1)
read -r a1 d1 <<<"$(counts "$(tool a std_status "$(node_cap node0 sys)" 2>&1)" | tr '\n' ' ')"
[[ -n $a0 && -n $a1 && $((a1 - a0)) -ge 500 && $d1 == "$d0" ]] \
  && ok "500 transactions to bench answered at once by node0's network thread ($a0 -> $a1; server threads' replies $d0 -> $d1)" \
  || bad "bench's requests from the network: answered at once '$a0' -> '$a1', server threads' replies '$d0' -> '$d1' ($out)"

# Floods of requests to one kernel port: the kernel holds at most its 8
# slots' worth of them (the rest wait in the RPC layer or are turned away
# and retried), keeps answering, and its heap returns to its level: the
# second flood leaves as many blocks in use as the first did (the first
# grows buffers and the RPC layer's record of the client for good; the
# bench server's set of executed requests grows, in place, with each).
# The port is `bench-threads`: its requests go to its server threads, as a
# server's that may block do, and the slots are held while they work.
heap_of() { sed -n 's/^heap: [0-9]* bytes in \([0-9]*\) blocks.*/\1/p' <<<"$1" | head -1; }
echo "$(node_cap node0 bench-threads)" >"$W/flood.cap"
flood() {
  out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 300 "$BIN/rpc_bench" load --count 2000 --threads 96 --size 1000 --timeout 60 "$W/flood.cap" 2>&1); rc=$?
  say "flood: $(tr '\n' ' ' <<<"$out")"
  [[ $rc == 0 && $out == *"ok 2000 failed 0"* ]]
}
before=$(tool a std_status "$(node_cap node0 sys)" 2>&1)
flood; f1=$?
first=$(tool a std_status "$(node_cap node0 sys)" 2>&1)
flood; f2=$?
after=$(tool a std_status "$(node_cap node0 sys)" 2>&1)
held=$(sed -n 's/.*most held per port \([0-9]*\).*/\1/p' <<<"$after")
h0=$(heap_of "$before") h1=$(heap_of "$first") h2=$(heap_of "$after")
say "kernel after the floods: $(grep -E '^requests held' <<<"$after"); heap blocks in use $h0 -> $h1 -> $h2; $(grep '^heap:' <<<"$after")"
out2=$(tool a std_info "$(node_cap node0 sys)" 2>&1)
[[ $f1 == 0 && $f2 == 0 && -n $out2 && $out2 != *RPC_* ]] \
  && ok "node0 served two floods of 2000 requests from 96 threads and answers after them" || bad "floods: $f1 $f2, then $out2"
[[ -n $held && $held -le 8 ]] && ok "the kernel held at most 8 network requests per port during the floods ($held)" \
  || bad "the kernel held $held network requests for one port (slots re-opened on arrival?)"
# A kernel server thread hands its reply to the node itself while the
# network thread sleeps (Network.reply), rather than waking it to do so.
direct=$(sed -n 's/^replies sent directly by server threads \([0-9]*\).*/\1/p' <<<"$after")
[[ -n $direct && $direct -gt 0 ]] && ok "kernel server threads sent $direct replies themselves (the network thread asleep)" \
  || bad "no reply was sent by a kernel server thread itself: '$direct'"
# The network thread's wake timer stays armed across transactions
# (Network.wake(by:)): each direct reply gives the node a retransmission
# deadline that the client's acknowledgement takes away a round later, and
# the timer used to be set and cancelled for every one of them.
timers_set() { sed -n 's/^replies sent directly by server threads [0-9]* wake timers set \([0-9]*\).*/\1/p' <<<"$(tool a std_status "$(node_cap node0 sys)" 2>&1)"; }
t0=$(timers_set)
AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 120 "$BIN/rpc_bench" load --count 1000 --size 0 --warmup 0 --brief "$W/flood.cap" >/dev/null 2>&1
t1=$(timers_set)
[[ -n $t0 && -n $t1 && $((t1 - t0)) -lt 250 ]] && ok "1000 null transactions set the network thread's wake timer $((t1 - t0)) times (not once each)" \
  || bad "the network thread's wake timer was set '$t0' -> '$t1' times over 1000 null transactions"
[[ -n $h1 && -n $h2 && $h2 -le $((h1 + 4)) ]] && ok "the kernel heap came back to its level after the second flood ($h0 -> $h1 -> $h2 blocks)" \
  || bad "kernel heap after the floods: $h0 -> $h1 -> $h2"

# A long flood: 20,000 requests keep every one of node0's bench slots busy
# and the RPC layer's queue full for several seconds. Meanwhile b, which
# has never called the port, locates it and is served (a busy node still
# answers the locate; a request finding no free slot is NAKed and
# retried). Every one of a's requests must succeed: a call refused again
# and again backs off further each time instead of ending RPC_NOTFOUND
# (with a flat 50 ms back-off, 4 of 20,000 did).
AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 300 "$BIN/rpc_bench" load --count 20000 --threads 96 --size 1000 \
  --timeout 60 "$W/flood.cap" >"$W/long-flood.log" 2>&1 &
longflood=$!
sleep 1
second=""; second_ok=0
for k in 1 2 3; do
  t0=$(date +%s%N)
  out=$(tool b std_info "$(node_cap node0 bench-threads)" 2>&1) && [[ $out == "bench server"* ]] && second_ok=$((second_ok + 1))
  second="$second[$k: $out, $(( ($(date +%s%N) - t0) / 1000000 )) ms] "
  kill -0 "$longflood" 2>/dev/null || break
done
running=$(kill -0 "$longflood" 2>/dev/null && echo yes || echo no)
wait "$longflood"; lf=$?
say "long flood: $(tr '\n' ' ' <"$W/long-flood.log")"
[[ $second_ok -ge 1 && $second_ok == $(grep -o '\[[0-9]:' <<<"$second" | wc -l) && $running == yes && $lf == 0 ]] \
  && ok "b reached node0's bench port while a flooded it: $second" \
  || bad "second client of the flooded port: $second (flood still running after: $running, rc $lf)"

# The name space: soap and bullet on a, the kernel nodes entered by host.cap.
"$BIN/amoeba-init" --soap-store "$W/store-soap" --bullet-store "$W/store-bullet" --servers-on a \
  --root-file "$W/root.cap" --host "a=$W/a" --publish "$W/a" --host "b=$W/b" --publish "$W/b" \
  --host "node0=$W/node0" --host "node1=$W/node1" >"$W/init.log" 2>&1 || { bad "amoeba-init: $(cat "$W/init.log")"; }
SERVERS=""
for k in soap bullet; do
  AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/$k-server" "$W/store-$k" --threads 4 --log-level warning >>"$W/$k.log" 2>&1 &
  SERVERS="$SERVERS $!"
done
sleep 1
out=$(tool b dir -l /hosts/node0 2>&1); rc=$?
if [[ $rc == 0 && $out == *sys* && $out == *tod* && $out == *random* && $out == *tty:00* ]]; then
  ok "dir -l /hosts/node0 lists the kernel directory"; echo "$out" | sed 's/^/    /'
else
  bad "dir -l /hosts/node0: rc=$rc $out"
fi
out=$(tool b std_info /hosts/node1/tod 2>&1)
[[ -n $out && $out != *RPC_* && $out != *STD_* ]] && ok "path lookup through node1's kernel directory: /hosts/node1/tod: $out" || bad "/hosts/node1/tod: $out"

# ---- 2. kernel to kernel, kernel to Linux ---------------------------------
kill_node node1
start_node 1 "call=$(node_cap node0 tod),$(cat "$W/a/tod.cap")" run=server:7,signals:4 || exit 1
for _ in $(seq 200); do grep -q "\[call\] done" "$W/node1.console" && break; sleep 0.1; done
calls=$(grep "^\[call\]" "$W/node1.console")
echo "$calls" | sed 's/^/    /'
[[ $(grep -c "tod .*: [0-9]* s since 1970" <<<"$calls") == 2 ]] && ok "node1 read the time from node0's tod and from Linux host a's tod" \
  || bad "kernel-to-kernel / kernel-to-Linux calls"

# A user process's server answers the network as a kernel server does.
userserver="$("$BIN/cap" putport 075345525645)/0(ff)/000000000000"
out=$(tool a std_info "$userserver" 2>&1)
[[ $out == "user server 7" ]] && ok "a user process on node1 serves Linux: $out" || bad "user server on node1: $out"

# A signal cuts short a user thread's trans gone out to the network, and a
# process that ends closes its ports' network slots: a request for the
# port it listened on is then not taken in by a node nobody serves it on.
for _ in $(seq 100); do grep -q "(signals) exited" "$W/node1.console" && break; sleep 0.1; done
grep -q "signals: remote trans cut short by a signal: RPC_ABORTED" "$W/node1.console" && grep -q "(signals) exited with status 0" "$W/node1.console" \
  && ok "a signal ended a user thread's remote trans with RPC_ABORTED" \
  || bad "signal and remote trans: $(grep -E 'signals' "$W/node1.console" | tr '\n' ' ')"
released="$("$BIN/cap" putport 52454c454153)/0(ff)/000000000000"
out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 60 "$BIN/std_info" "$released" 2>&1); rc=$?
[[ $out == *RPC_NOTFOUND* ]] && ok "the ended process's port is no longer served on node1: $out" \
  || bad "request to an ended process's port: rc=$rc $out"

# ---- 3. malformed frames at the kernel's NIC ------------------------------
if [[ $mode == mcast ]]; then
  python3 scripts/lib/frame-noise.py "$seg_group" "$seg_port" Fuzz/Corpus 2000 >"$W/noise.log" 2>&1
else
  ip netns exec "$NS-b" python3 scripts/lib/frame-noise.py --iface eth0 Fuzz/Corpus 2000 >"$W/noise.log" 2>&1
fi
say "$(tail -1 "$W/noise.log")"
out=$(tool a std_info "$(node_cap node0 sys)" 2>&1)
[[ $out != *RPC_* && -n $out ]] && kill -0 "${QPID[node0]}" 2>/dev/null && ! grep -q "kernel exception\|panic" "$W/node0.console" \
  && ok "node0 survived malformed frames and still answers: $out" || bad "after malformed frames: $out"

# ---- 4. 10,000 transactions through drop+dup+reorder 20% ------------------
# Host b takes the faults (a keeps serving the name space).
stop_host b
faults="drop=0.2,dup=0.2,reorder=0.2"
rpcopts=(--serve-timeout-ms 100 --enquire-interval-ms 200 --max-retrials 40)
start_host b "$faults,seed=21" "${rpcopts[@]}" || exit 1
bench=$(node_cap node0 bench)
echo "$bench" >"$W/bench.cap"
executed_before=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" stats "$W/bench.cap" 2>&1 | sed -n 's/^executions \([0-9]*\) .*/\1/p')
t0=$(date +%s)
out=$(AMUNIX_SOCKET="$W/b/amunixd.sock" timeout 400 "$BIN/rpc_bench" load --count 10000 --threads 32 --size 100 --timeout 120 "$W/bench.cap" 2>&1); rc=$?
say "$(tr '\n' ' ' <<<"$out")($(( $(date +%s) - t0 )) s)"
stats=$(AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/rpc_bench" stats "$W/bench.cap" 2>&1)
say "kernel bench server: $stats"
[[ $rc == 0 && $out == *"ok 10000 failed 0"* ]] && ok "10000 transactions Linux to kernel under faults: every reply right" || bad "faulty load: rc=$rc"
executed=$(sed -n 's/^executions \([0-9]*\) .*/\1/p' <<<"$stats")
[[ -n $executed_before && -n $executed && $((executed - executed_before)) == 10000 && $stats == *" duplicates 0" ]] \
  && ok "the kernel executed each of 10000 exactly once" || bad "kernel counts: $stats (before: $executed_before)"
inj=$(tool b std_status sys | grep '^link 0')
[[ $inj == *"dropped "[1-9]* ]] && ok "fault injector was active ($inj)" || bad "fault injector idle: $inj"

# ---- 5. the QEMU process killed under load; the node found again ----------
stop_host b
start_host b "" --enquire-interval-ms 500 --crash-timeout-ms 3000 || exit 1
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" load --count 100000000 --threads 8 --stop-on-error \
  "$W/bench.cap" >"$W/load.log" 2>&1 &
LOAD=$!
sleep 3
kill_node node0
t0=$(date +%s)
for _ in $(seq 600); do kill -0 "$LOAD" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$LOAD" 2>/dev/null; then
  bad "clients still hanging 60 s after the QEMU process was killed"; kill -9 "$LOAD"
else
  wait "$LOAD"; rc=$?
  out=$(cat "$W/load.log")
  say "$(tr '\n' ' ' <<<"$out")"
  [[ $rc != 0 && $out == *"failure RPC_"* ]] && ok "every client thread got an RPC error $(( $(date +%s) - t0 ))s after the kill" \
    || bad "after killing QEMU: rc=$rc $out"
fi
# Restarted with a user process whose directory is node1's kernel
# directory: its lookup, std_info and GETTIME cross the network from user
# mode, and it prints through node1's tty:00, on node1's console.
start_node 0 "run=hello:$(cat "$W/node1/host.cap")" || exit 1
for _ in $(seq 100); do grep -q "user: GETTIME" "$W/node1.console" && break; sleep 0.1; done
grep -q "user: GETTIME status STD_OK" "$W/node1.console" && grep -q "(hello) exited with status 0" "$W/node0.console" \
  && ok "a user process on node0 used node1's directory, tod and tty" || bad "user process across nodes: $(grep -E 'run|hello' "$W/node0.console")"
[[ $(cat "$W/node0/host.cap") == "$hostcap" ]] && ok "the restarted node0 has the same host capability" || bad "host.cap changed"
out=$(tool a std_info "$hostcap" 2>&1)
[[ $out == "%"* ]] && ok "the restarted node0 found again by locate under its host capability" || bad "restarted node0: $out"
out=$(tool b std_info /hosts/node0/sys 2>&1)
[[ -n $out && $out != *RPC_* && $out != *STD_* ]] && ok "/hosts/node0/sys resolves through the restarted node: $out" || bad "/hosts/node0/sys after restart: $out"

echo "kernel-multihost $mode: $passed passed, $failed failed"
[[ $failed == 0 ]]
