#!/usr/bin/env bash
# Adversarial tests of amunixd (issue 10): two daemons a and b on a
# multicast Ethernet-in-UDP segment on loopback, which any local user can
# join; a stranger (scripts/lib/forge.py) sends forged frames onto it.
# After each attack, b's calls to a's servers must succeed (within
# seconds), and a's memory must stay bounded. Then a point-to-point udp
# link, which takes frames from its configured peer only:
#
#   0. a stranger's frames to a udp link's port never reach its daemon;
#      on a keyed multicast segment (key=FILE) a daemon without the key
#      can neither reach a host nor put a frame into one; a sniffer on the
#      group (scripts/lib/sniff.py) finds no capability's port in what it
#      records, and the recorded datagrams sent again run nothing (and, as
#      a control, on the unkeyed segment it does find the port)
#   1. 4,400 REQUESTs by broadcast, one kid each, tid 0xFFFFFFF0 (ledger)
#   2. 4,400 such REQUESTs unicast from forged addresses, each claiming a
#      30 s round trip (ledger; a full state table; the sys server relistens)
#   3. one REQUEST with b's kid from another address (b's next call works)
#   4. 1,030 first halves of two-frame messages from random MACs (the
#      flow-control table)
#   5. a LOCATE from b's address and a HEREIS for it every 200 ms for 6 s
#      while b calls a (routes); then the same for 35 s while b is silent
#      (longer than the 30 s answer window), and b's next call must work
#   6. 6,000 LOCATEs from new sources on a full routing table (cost)
#   7. b restarts (a new kid): its first call works
#   8. 100 local programs each send 900 KB of a 1 MB frame and stall: a
#      disconnects them after 10 s and gives the memory back
#   9. a at its file-descriptor limit with programs queued to connect:
#      it rests its listener instead of spinning, and takes programs again
#      once descriptors are free
# Prints "N passed, M failed" and the CPU and memory each attack cost a.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info std_status; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
W=$(mktemp -d /tmp/amunix-adv.XXXXXX)
passed=0; failed=0
declare -A PID
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
pa=$(( 34000 + ($$ % 1500) * 4 )); pb=$((pa + 1))
segment="239.255.$(( $$ % 250 )).9:$((pa + 2))"
FORGE="python3 scripts/lib/forge.py $segment"

start() { # host link
  local h=$1
  mkdir -p "$W/$h"
  rm -f "$W/$h/sys.cap"
  "$BIN/amunixd" --link "$2" --socket "$W/$h/amunixd.sock" --name "$h" \
    --log-level warning >>"$W/$h.log" 2>&1 &
  PID[$h]=$!
  for _ in $(seq 100); do [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0; sleep 0.05; done
  echo "amunixd on $h did not start:"; cat "$W/$h.log"; return 1
}
stop() { kill "${PID[$1]}" 2>/dev/null; wait "${PID[$1]}" 2>/dev/null; unset "PID[$1]"; }
cleanup() { for h in "${!PID[@]}"; do kill "${PID[$h]}" 2>/dev/null; wait "${PID[$h]}" 2>/dev/null; done; rm -rf "$W"; }
trap cleanup EXIT
tool() { local h=$1 t=$2; shift 2; AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/$t" "$@"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/${PID[a]}/status"; }
cpu_ms() { awk '{print ($14 + $15) * 10}' "/proc/${PID[a]}/stat"; }   # at 100 ticks a second
# serves NAME SECONDS: b's std_info of a's sys succeeds within SECONDS.
serves() {
  local i
  for i in $(seq "$2"); do
    tool b std_info --timeout 2 "$W/a/sys.cap" >/dev/null 2>&1 && { ok "$1 (answering after $((i - 1)) s)"; return 0; }
    sleep 1
  done
  bad "$1: a's sys server did not answer b within $2 s"
}
# measured LABEL COMMAND...: runs the attack, prints what it cost a.
measured() {
  local label=$1; shift
  local c0 m0 n; c0=$(cpu_ms); m0=$(rss_kb)
  n=$("$@")
  sleep 1
  echo "  $label: $n frames; a spent $(( $(cpu_ms) - c0 )) ms of CPU; RSS $m0 -> $(rss_kb) kB"
}

# frames_in HOST [ASKER]: the FLIP frames HOST's daemon has taken in, from
# its sys server's std_status (asked through ASKER's daemon, else HOST's).
frames_in() {
  tool "${2:-$1}" std_status --timeout 5 "$W/$1/sys.cap" | sed -n 's/^frames in \([0-9]*\) .*/\1/p'
}
# stranger_flood TARGET HOST SAID_OK SAID_BAD [ASKER]: 2,000 forged LOCATEs
# to TARGET (a UDP port or a segment); fewer than 100 may reach HOST.
stranger_flood() {
  local before after
  before=$(frames_in "$2" "${5:-}")
  python3 scripts/lib/forge.py "$1" locate-flood 2000 >/dev/null
  sleep 0.5
  after=$(frames_in "$2" "${5:-}")
  (( after - before < 100 )) && ok "0. $3: $((after - before)) frames reached the daemon" \
    || bad "0. $4: frames in $before -> $after"
}

# ---- a point-to-point link refuses strangers ------------------------------
start c "udp:$pa:127.0.0.1:$pb" || exit 1
start d "udp:$pb:127.0.0.1:$pa" || exit 1
if tool d std_info --timeout 5 "$W/c/sys.cap" >/dev/null 2>&1; then
  stranger_flood "$pa" c "2,000 frames from a stranger to a udp link's port" "a udp link took a stranger's frames"
else
  bad "0. c and d do not reach each other"
fi
stop c; stop d

# ---- a keyed segment ------------------------------------------------------
keyseg="239.255.$(( $$ % 250 )).10:$((pa + 3))"
start e "mcast:$keyseg,local=127.0.0.1,ttl=0,key=$W/segment.key" || exit 1
start f "mcast:$keyseg,local=127.0.0.1,ttl=0,key=$W/segment.key" || exit 1
start x "mcast:$keyseg,local=127.0.0.1,ttl=0" || exit 1
[[ $(stat -c %a "$W/segment.key") == 600 ]] && ok "0. the segment key is 0600" || bad "0. segment key mode $(stat -c %a "$W/segment.key")"
if tool f std_info --timeout 5 "$W/e/sys.cap" >/dev/null 2>&1; then
  ok "0. hosts holding the key reach each other"
else
  bad "0. keyed hosts e and f do not reach each other"
fi
tool x std_info --timeout 3 "$W/e/sys.cap" >/dev/null 2>&1 \
  && bad "0. a daemon without the key reached a keyed host" || ok "0. a daemon without the key reaches no keyed host"
stranger_flood "$keyseg" e "2,000 forged frames on a keyed segment" "a keyed daemon took forged frames" f
# served_replayed HOST ASKER: "requests served" and "replayed" from one
# std_status of HOST (asked via ASKER).
served_replayed() {
  tool "$2" std_status --timeout 5 "$W/$1/sys.cap" \
    | sed -n -e 's/.* requests served \([0-9]*\).*/\1/p' -e 's/.* replayed \([0-9]*\) .*/\1/p' | tr '\n' ' '
}
SNIFF="python3 scripts/lib/sniff.py"
$SNIFF "$keyseg" record 3 "$W/keyed.rec" >"$W/keyed.n" &
sniffer=$!
for _ in $(seq 100); do [[ -f "$W/keyed.rec.ready" ]] && break; sleep 0.05; done
tool f std_info --timeout 5 "$W/e/sys.cap" >/dev/null 2>&1 || bad "0. f's call to e while sniffed failed"
wait "$sniffer"
recorded=$(cat "$W/keyed.n")
leaked=$($SNIFF - search "$W/keyed.rec" "$W/e/sys.cap" "$W/f/sys.cap")
(( recorded > 0 && leaked == 0 )) \
  && ok "0. a sniffer on the keyed segment recorded $recorded datagrams of a call: no capability's port in any" \
  || bad "0. sniffer on the keyed segment: $recorded datagrams recorded, $leaked hold a capability's port"
# What asking for the status itself adds to "requests served", then the
# same with the recorded datagrams sent again in between.
read -r base _ <<<"$(served_replayed e f)"
read -r served0 replayed0 <<<"$(served_replayed e f)"
$SNIFF "$keyseg" replay "$W/keyed.rec" >/dev/null
sleep 0.5
read -r served1 replayed1 <<<"$(served_replayed e f)"
echo "  e: requests served $base -> $served0 (a status query) -> $served1 (the replay and a status query);" \
  "datagrams refused as replays $replayed0 -> $replayed1"
(( replayed1 > replayed0 && served1 - served0 == served0 - base )) \
  && ok "0. the recorded call sent again: e refused $((replayed1 - replayed0)) replays and served nothing more" \
  || bad "0. replayed datagrams: requests served $base -> $served0 -> $served1, refused as replays $replayed0 -> $replayed1"
stop e; stop f; stop x

# ---- a shared segment ---------------------------------------------------
seg_link="mcast:$segment,local=127.0.0.1,ttl=0"
start a "$seg_link" || exit 1
start b "$seg_link" || exit 1
serves "b reaches a before any attack" 10
# The control for the keyed sniffer above: on this unkeyed segment the
# same sniffer does find the capability's port.
$SNIFF "$segment" record 3 "$W/open.rec" >"$W/open.n" &
sniffer=$!
for _ in $(seq 100); do [[ -f "$W/open.rec.ready" ]] && break; sleep 0.05; done
tool b std_info --timeout 5 "$W/a/sys.cap" >/dev/null 2>&1
wait "$sniffer"
found=$($SNIFF - search "$W/open.rec" "$W/a/sys.cap")
(( found > 0 )) && ok "0. control: on the unkeyed segment the sniffer finds a's port in $found of $(cat "$W/open.n") datagrams" \
  || bad "0. control: the sniffer found no port on the unkeyed segment (the keyed check proves nothing)"
status_a=$(tool b std_status "$W/a/sys.cap")
status_b=$(tool b std_status "$W/b/sys.cap")
a_server=$(sed -n 's/^flip address [0-9a-f]* (client) \([0-9a-f]*\) (server)$/\1/p' <<<"$status_a")
b_client=$(sed -n 's/^flip address \([0-9a-f]*\) (client).*/\1/p' <<<"$status_b")
b_kid=$(sed -n 's/^kernel id \([0-9a-f]*\)$/\1/p' <<<"$status_b")
[[ -n $a_server && -n $b_client && -n $b_kid ]] || { bad "cannot read addresses from std_status"; exit 1; }
rss_start=$(rss_kb)
syscap=$(cat "$W/a/sys.cap")

measured "broadcast REQUESTs" $FORGE bcast-requests "$syscap" 4400
serves "1. 4,400 broadcast REQUESTs, tid 0xFFFFFFF0, every kid: a still serves b" 5

measured "unicast REQUESTs" $FORGE ucast-requests "$syscap" "$a_server" 4400
serves "2. 4,400 forged unicast REQUESTs claiming 30 s round trips: a's sys server answers again" 15

$FORGE victim-kid "$syscap" "$a_server" "$b_kid" >/dev/null
sleep 0.2
serves "3. a REQUEST with b's kid from another address: b's next call works" 3

measured "owing fragments" $FORGE owing-fragments "$a_server" 1030
serves "4. 1,030 strangers owed credit: a still sends to b" 5
out=$(tool b std_status --timeout 5 "$W/a/sys.cap" 2>&1) && [[ $out == "host a"* ]] \
  && ok "4. and a's multi-line status reaches b" || bad "4. std_status after the credit flood: $out"

$FORGE spoof-routes "$b_client" 6 >/dev/null &
spoofer=$!
fails=0; calls=0
while kill -0 "$spoofer" 2>/dev/null; do
  calls=$((calls + 1))
  tool b std_info --timeout 3 "$W/a/sys.cap" >/dev/null 2>&1 || fails=$((fails + 1))
  sleep 0.3
done
wait "$spoofer"
((fails == 0 && calls > 5)) && ok "5. spoofed LOCATE and HEREIS for b every 200 ms: $calls calls, none failed" \
  || bad "5. spoofed routes: $fails of $calls calls failed"
$FORGE spoof-routes "$b_client" 35 >/dev/null
t0=$(date +%s%N)
if tool b std_info --timeout 3 "$W/a/sys.cap" >/dev/null 2>&1; then
  ok "5. b silent for 35 s while a stranger claims its address: b's next call works ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
  bad "5. b silent for 35 s while a stranger claims its address: b's next call failed"
fi

measured "LOCATE flood" $FORGE locate-flood 6000
serves "6. 6,000 LOCATEs from new sources: a still serves b" 5

stop b
start b "$seg_link" || exit 1
serves "7. b restarted with a new kid: its first call works" 5

# 8. Stalled half-frames on the local socket.
m0=$(rss_kb)
python3 - "$W/a/amunixd.sock" "$W/stall.out" <<'PY' &
import socket, struct, sys, time
held = []
for _ in range(100):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.sendall(struct.pack("<I", 1_000_000) + bytes(900_000))
    held.append(s)
time.sleep(14)
closed = 0
for s in held:
    s.settimeout(0.5)
    try:
        closed += s.recv(1) == b""
    except OSError:
        closed += 1
open(sys.argv[2], "w").write(f"{closed}\n")
PY
staller=$!
sleep 3
m1=$(rss_kb)
serves "8. 100 programs stalled half-way through 1 MB frames: a still serves b" 5
wait "$staller"
m2=$(rss_kb)
echo "  a's RSS: $m0 kB before, $m1 kB with the stalled halves, $m2 kB after they were dropped"
[[ $(cat "$W/stall.out") == 100 ]] && (( m2 - m0 < 65536 )) \
  && ok "8. a disconnected all 100 stalled programs after 10 s and gave the memory back" \
  || bad "8. stalled programs: $(cat "$W/stall.out") of 100 disconnected, RSS $m0 -> $m1 -> $m2 kB"

# 9. Out of file descriptors: programs keep knocking on a full daemon.
soft=$(prlimit --pid "${PID[a]}" --nofile --output SOFT --noheadings | tr -d ' ')
if prlimit --pid "${PID[a]}" --nofile=40: 2>/dev/null; then
  python3 - "$W/a/amunixd.sock" <<'PY' &
import socket, sys, time
held = []
for _ in range(80):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except OSError:
        pass
    held.append(s)
time.sleep(4)
PY
  knocker=$!
  sleep 1
  c0=$(cpu_ms); sleep 2; spent=$(( $(cpu_ms) - c0 ))
  wait "$knocker"
  prlimit --pid "${PID[a]}" --nofile="$soft":
  sleep 1
  grep -q "out of file descriptors" "$W/a.log" || bad "9. a never reached its descriptor limit (the test did not test)"
  (( spent < 600 )) && ok "9. at its descriptor limit a spent $spent ms of CPU in 2 s (no spinning)" \
    || bad "9. at its descriptor limit a spent $spent ms of CPU in 2 s"
  out=$(tool a std_info --timeout 5 "$W/a/sys.cap" 2>&1)
  [[ $out == "system server" ]] && ok "9. with descriptors free again a takes programs: $out" || bad "9. after the limit: $out"
else
  echo "  9. skipped: prlimit cannot change a's limits here"
fi

rss_end=$(rss_kb)
echo "  a's RSS: $rss_start kB at the start, $rss_end kB after every attack"
(( rss_end - rss_start < 65536 )) && ok "a's memory grew by less than 64 MB ($(( (rss_end - rss_start) / 1024 )) MB)" \
  || bad "a's memory grew from $rss_start to $rss_end kB"
kill -0 "${PID[a]}" 2>/dev/null && ok "a is still running" || bad "a died"

echo "adversarial: $passed passed, $failed failed"
((failed == 0))
