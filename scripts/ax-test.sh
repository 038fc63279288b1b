#!/usr/bin/env bash
# ax end to end (issue 11): a Linux host (amunixd, with the SOAP directory
# and Bullet file servers) and a QEMU kernel node on one UDP multicast
# segment (no root). amoeba-init stores the kernel build's Amoeba binaries
# in /bin; then, from Linux:
#   ax -m node0 hello a b       prints its arguments and an -E string, exits 0
#   ax --stack-on-node           the same with its stack built on the node (PS_SEG_CREATE/WRITE)
#   ax -m node0 exit 3          exit status 3 comes back as 3
#   ax -m node0 faulty 1        a null pointer write: ax prints the exception, exits 1
#   printf 'x\ny\n' | ax cat   standard input through FSQ_READ, both lines back
#   ax primes (long)            listed in `dir -l /hosts/node0/ps` with its comment;
#                               SIGINT to ax stuns it (ax exits 130); std_destroy
#                               of its ps row ends another run (ax exits 137)
#   migrate --probe-segments    a stunned primes's checkpoint: every segment read by its
#                               capability, bad reads STD_ARGBAD/STD_CAPBAD, none after
#                               the owner's answer
#   migrate /hosts/node0/ps/N node1   primes moved mid-run to node1 (node1's ps lists it,
#                               node0's no longer does) and back to node0: ax prints
#                               what an unmoved run prints and exits 0; ticker (a thread
#                               asleep, one in getreq) moved: both calls made again;
#                               an exec the new host refuses: it goes on where it was
#   12 ax runs at once          each prints its own arguments (execs beyond the
#                               node's 8 workers are retried by ax)
#   20 ax runs at once, no -m   spread over node0 and node1 (findhost: round
#                               robin from a random start), each right
#   ax ls /, ax ls /bin /hosts  a kernel-node program listing the name space;
#                               a missing path: the error, exit 1
#   ax -C NAME=PATH             a capability from the name space reaches the program
#   PS_EXEC with truncated, oversized, bad-thread and random descriptors:
#                               STD_ARGBAD, and the node answers after
#   a program whose file server is unreachable: a clear error, node still up
#   the node killed under a running program: ax says so and exits 2
#   then ax without -m runs on node1, passing over the dead node0
# Prints "N passed, M failed" and exits non-zero on any failure.
# With --hold it only sets the system up, prints the AMUNIX_SOCKET to use
# (try `ax -m node0 hello`), and keeps it up until interrupted.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info dir ax migrate amoeba-init soap-server bullet-server; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
[[ -f .build-kernel/kernel.elf && -f .build-kernel/kernel-test.elf && -f .build-kernel/bin/hello ]] || scripts/kernel-build.sh >/dev/null 2>&1 \
  || { echo "kernel build failed"; exit 1; }
W=$(mktemp -d /tmp/ax-test.XXXXXX)
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "[ax] PASS $*"; }
bad() { failed=$((failed + 1)); echo "[ax] FAIL $*"; }
port=$(( 33000 + ($$ % 2000) * 3 ))
group="239.255.$(( $$ % 250 )).11"
PIDS=""
cleanup() {
  [[ -n "$PIDS" ]] && { for p in $PIDS; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done; }
  wait 2>/dev/null
  [[ -n ${KEEP_LOGS:-} ]] && echo "logs in $W" || rm -rf "$W"
}
trap cleanup EXIT

# shellcheck source=lib/testbed.sh
source scripts/lib/testbed.sh
tb_amunixd a || exit 1
tb_node_start node0 "$W/node0.console" --mac 52:54:00:4c:00:00
nodepid=$NODEPID
tb_node_start node1 "$W/node1.console" --mac 52:54:00:4c:00:01
for n in node0 node1; do tb_node_wait "$W/$n.console" || exit 1; done

"$BIN/amoeba-init" --soap-store "$W/store-soap" --bullet-store "$W/store-bullet" --servers-on a \
  --root-file "$W/root.cap" --host "a=$W/a" --publish "$W/a" --host "node0=$W/node0" --host "node1=$W/node1" \
  --bin .build-kernel/bin >"$W/init.log" 2>&1 || { bad "amoeba-init: $(cat "$W/init.log")"; exit 1; }
for k in soap bullet; do
  AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/$k-server" "$W/store-$k" --threads 4 --log-level warning >>"$W/$k.log" 2>&1 &
  PIDS="$PIDS $!"
done
sleep 1
# Tools run in a session of their own, without the terminal the test may
# have been started from: ax gives its program TTY only when it has one.
tool() { local t=$1; shift; AMUNIX_SOCKET="$W/a/amunixd.sock" setsid -w "$BIN/$t" "$@"; }
if [[ ${1:-} == --hold ]]; then
  echo "up: export AMUNIX_SOCKET=$W/a/amunixd.sock PATH=$BIN:\$PATH; node0's console: $W/node0.console"
  while sleep 3600; do :; done
fi

out=$(tool dir /hosts/node0 2>&1)
[[ $out == *proc* ]] && ok "the kernel directory lists proc" || bad "no proc in /hosts/node0: $out"
out=$(tool std_info /hosts/node0/proc 2>&1)
[[ $out == *"process/segment server"* ]] && ok "std_info proc: $out" || bad "std_info proc: $out"

start=$(date +%s.%N)
out=$(tool ax -m node0 -E GREETING=hi-there hello a b 2>&1); rc=$?
took=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
if [[ $rc == 0 && $out == *"hello from hello: a b"* && $out == *"GREETING=hi-there"* ]]; then
  ok "ax -m node0 hello a b (${took}s):"; echo "$out" | sed 's/^/    /'
else
  bad "ax hello: rc=$rc $out"
fi

# The stack built on the node itself (PS_SEG_CREATE + PS_SEG_WRITE over the
# network) instead of in a file on the file server.
out=$(tool ax -m node0 --stack-on-node hello on the node 2>&1); rc=$?
[[ $rc == 0 && $out == *"hello from hello: on the node"* ]] && ok "ax --stack-on-node: the stack in a segment on node0: $(head -1 <<<"$out")" \
  || bad "ax --stack-on-node: rc=$rc $out"

out=$(tool ax -m node0 exit 3 2>&1); rc=$?
[[ $rc == 3 && $out == *"exiting with status 3"* ]] && ok "ax exit 3 returns 3" || bad "ax exit 3: rc=$rc $out"

out=$(tool ax -m node0 faulty 1 2>&1); rc=$?
if [[ $rc == 1 && $out == *"EXC_MEM"* && $out == *"fault address 0x00000000"* ]]; then
  ok "a faulting program: ax reports it: $(echo "$out" | grep EXC)"
else
  bad "ax faulty 1: rc=$rc $out"
fi

out=$(printf 'x\ny\n' | tool ax -m node0 cat 2>&1); rc=$?
[[ $rc == 0 && $out == $'x\ny' ]] && ok "printf 'x\\ny\\n' | ax -m node0 cat prints both lines" || bad "ax cat: rc=$rc $out"

# Twelve at once on one node: each gets its own output and status.
runs=""
for i in $(seq 12); do
  (AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 hello "run$i" >"$W/par$i.out" 2>&1; echo $? >"$W/par$i.rc") &
  runs="$runs $!"
done
for p in $runs; do wait "$p"; done
good=0
for i in $(seq 12); do
  [[ $(cat "$W/par$i.rc") == 0 && $(head -1 "$W/par$i.out") == "hello from hello: run$i" ]] && good=$((good + 1)) \
    || echo "    run$i: rc $(cat "$W/par$i.rc"): $(cat "$W/par$i.out")"
done
[[ $good == 12 ]] && ok "12 ax runs at once on node0, each with its own output" || bad "parallel runs: $good of 12 right"

# Twenty at once with no -m: ax picks among the hosts with a proc server
# (a, the Linux host, has none), round robin from a random start.
runs=""
for i in $(seq 20); do
  (AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -E SHOW=AX_HOST hello "spread$i" >"$W/spread$i.out" 2>&1; echo $? >"$W/spread$i.rc") &
  runs="$runs $!"
done
for p in $runs; do wait "$p"; done
good=0; on0=0; on1=0
for i in $(seq 20); do
  if [[ $(cat "$W/spread$i.rc") == 0 && $(head -1 "$W/spread$i.out") == "hello from hello: spread$i" ]]; then
    good=$((good + 1))
    grep -qx "AX_HOST=node0" "$W/spread$i.out" && on0=$((on0 + 1))
    grep -qx "AX_HOST=node1" "$W/spread$i.out" && on1=$((on1 + 1))
  else
    echo "    spread$i: rc $(cat "$W/spread$i.rc"): $(cat "$W/spread$i.out")"
  fi
done
[[ $good == 20 && $on0 -gt 0 && $on1 -gt 0 && $((on0 + on1)) == 20 ]] \
  && ok "20 ax runs at once without -m, each with its own output: $on0 on node0, $on1 on node1" \
  || bad "spread runs: $good of 20 right, $on0 on node0, $on1 on node1"

# ls on a kernel node walks the name space with SOAP's LOOKUP and LIST.
out=$(tool ax -m node0 ls / 2>&1); rc=$?
[[ $rc == 0 && $(grep -cxE 'bin|hosts|home' <<<"$out") == 3 ]] \
  && ok "ax -m node0 ls /: $(echo $out)" || bad "ax ls /: rc=$rc $out"
out=$(tool ax -m node1 ls /bin /hosts 2>&1); rc=$?
[[ $rc == 0 && $(grep -cxE '/bin:|ls|hello|/hosts:|node0|node1' <<<"$out") == 6 ]] \
  && ok "ax -m node1 ls /bin /hosts: both listed" || bad "ax ls /bin /hosts: rc=$rc $out"
out=$(tool ax -m node0 ls /no-such-row 2>&1); rc=$?
[[ $rc == 1 && $out == *"ls: /no-such-row: STD_NOTFOUND"* ]] && ok "ax ls of a missing path: $out (exit 1)" \
  || bad "ax ls /no-such-row: rc=$rc $out"

out=$(tool ax -m node0 -C HOME=/home hello 2>&1); rc=$?
[[ $rc == 0 && $out == *"capabilities: ROOT WORK STDIN STDOUT STDERR HOME"* ]] && ok "ax -C HOME=/home hello: $(echo "$out" | grep capabilities)" \
  || bad "ax -C: rc=$rc $out"

# ax's own environment goes to the program (-E 0 leaves it out); with a
# terminal (a pty from script(1)) the program also gets TTY: a line written
# to it shows on the terminal, and TIOS_GETWSIZE answers its size.
out=$(AX_TEST_WORD=from-unix tool ax -m node0 -E SHOW=AX_TEST_WORD hello 2>&1); rc=$?
[[ $rc == 0 && $out == *"AX_TEST_WORD=from-unix"* && $(grep -c '^capabilities: ROOT WORK STDIN STDOUT STDERR$' <<<"$out") == 1 ]] \
  && ok "ax passes its own environment: $(grep AX_TEST_WORD <<<"$out"); no terminal, no TTY" || bad "ax environment: rc=$rc $out"
out=$(AX_TEST_WORD=from-unix tool ax -m node0 -E 0 -E SHOW=AX_TEST_WORD hello 2>&1); rc=$?
[[ $rc == 0 && $out == *"AX_TEST_WORD=(not set)"* ]] && ok "ax -E 0 leaves it out: $(grep AX_TEST_WORD <<<"$out")" || bad "ax -E 0: rc=$rc $out"
out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" script -qec "stty rows 30 cols 100; $BIN/ax -m node0 hello; echo ax-exit=\$?" /dev/null 2>&1 </dev/null | tr -d '\r')
if [[ $out == *"capabilities: ROOT WORK STDIN STDOUT STDERR TTY"* && $out == *"hello on the terminal"* \
      && $out == *"tty: STD_OK, 30 rows, 100 columns"* && $out == *"ax-exit=0"* ]]; then
  ok "on a terminal the program gets TTY: $(grep -E '^(hello on|tty:)' <<<"$out" | tr '\n' ' ')"
else
  bad "ax on a terminal: $out"
fi

# A long run: listed in ps, then stunned by Ctrl-C (SIGINT to ax).
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 primes 100000000 >"$W/primes.out" 2>&1 &   # ax itself, so $! is its pid
axpid=$!
for _ in $(seq 100); do [[ -s "$W/primes.out" ]] && break; sleep 0.1; done
listing=$(tool dir -l /hosts/node0/ps 2>&1)
[[ $listing == *"Run: "*"primes 100000000"* ]] && ok "dir -l /hosts/node0/ps shows the running primes: $(echo "$listing" | grep primes)" \
  || bad "ps listing: $listing"
kill -INT "$axpid"; for _ in $(seq 100); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $rc == 130 && $(head -3 "$W/primes.out" | tr '\n' ' ') == "2 3 5 " ]] && ok "SIGINT to ax stuns the program: ax exits 130 after $(wc -l <"$W/primes.out") lines" \
  || bad "SIGINT: rc=$rc $(tail -3 "$W/primes.out")"
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 primes 100000000 >"$W/primes2.out" 2>&1 &
axpid=$!
for _ in $(seq 100); do [[ -s "$W/primes2.out" ]] && break; sleep 0.1; done
row=$(tool dir /hosts/node0/ps 2>/dev/null | head -1)
out=$(tool std_destroy "/hosts/node0/ps/$row" 2>&1)
for _ in $(seq 100); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $rc == 137 ]] && ok "std_destroy of /hosts/node0/ps/$row ends it: ax exits 137" || bad "std_destroy: rc=$rc $out"
sleep 0.5
out=$(tool dir /hosts/node0/ps 2>&1)
[[ -z $out ]] && ok "the ps directory is empty again" || bad "ps after the runs: $out"

# A stunned process's checkpoint: its segments are readable through the
# capabilities it carries, bad reads are refused, and the capabilities go
# once the owner has answered (migrate --probe-segments passes the
# checkpoint on to ax, which exits 128: stunned with code 0).
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 primes 100000000 >"$W/probe.out" 2>&1 &
axpid=$!
for _ in $(seq 100); do [[ -s "$W/probe.out" ]] && break; sleep 0.1; done
row=$(tool dir /hosts/node0/ps 2>/dev/null | head -1)
out=$(tool migrate --probe-segments "/hosts/node0/ps/$row" node1 2>&1); mrc=$?
for _ in $(seq 100); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $mrc == 0 && $rc == 128 && $out == *"stack holds the arguments: true"* && $out == *"past the end STD_ARGBAD, negative offset STD_ARGBAD, 30001 bytes STD_ARGBAD, forged check field STD_CAPBAD; after the answer: STD_CAPBAD"* ]] \
  && [[ $out =~ ([0-9]+)\ segments.*\ ([0-9]+)\ sizes\ right && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]] \
  && ok "a stunned process's segments read through its checkpoint: $out; ax exits 128" || bad "segment probe: rc=$mrc ax=$rc $out"
# What primes's segments hold: a move must free at least about that much
# on the old host (the image's size depends on how it was built).
segment_bytes=0
[[ $out =~ ([0-9]+)\ bytes\ read ]] && segment_bytes=${BASH_REMATCH[1]}
out=$(tool std_info /hosts/node0/proc 2>&1)
[[ $out == *"process/segment server"* ]] && ok "node0 still serves after the probe" || bad "node0 after the probe: $out"

# Migration: primes stunned on node0 mid-run, its checkpoint exec'd on
# node1, where it goes on writing to the same ax; then moved back again.
N=100000
start=$(date +%s.%N)
tool ax -m node1 primes $N >"$W/unmoved.out" 2>&1
unmoved=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
: >"$W/moved.out"
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 primes $N >"$W/moved.out" 2>&1 &
axpid=$!
for _ in $(seq 100); do [[ $(wc -l <"$W/moved.out") -gt 200 ]] && break; sleep 0.1; done
row=$(tool dir /hosts/node0/ps 2>/dev/null | head -1)
before=$(wc -l <"$W/moved.out")
start=$(date +%s.%N)
out=$(tool migrate "/hosts/node0/ps/$row" node1 2>&1); mrc=$?
took=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
ps1=$(tool dir -l /hosts/node1/ps 2>&1); ps0=$(tool dir /hosts/node0/ps 2>&1)
[[ $mrc == 0 && $out =~ ,\ ([0-9]+)\ KiB\ freed\ on\ the\ old\ host && segment_bytes -gt 0 \
   && $(( BASH_REMATCH[1] * 1024 )) -ge $(( segment_bytes * 9 / 10 )) ]] \
  && ok "migrate /hosts/node0/ps/$row node1 after $before lines (${took}s): $out" || bad "migrate: rc=$mrc $out"
[[ $ps1 == *"Run: "*"primes $N"* && -z $ps0 ]] && ok "after the move node1's ps lists it ($(echo "$ps1" | grep primes | tr -s ' ')), node0's is empty" \
  || bad "ps after the move: node1: $ps1 node0: $ps0"
for _ in $(seq 300); do [[ $(wc -l <"$W/moved.out") -gt $((before + 1000)) ]] && break; sleep 0.1; done
row=$(tool dir /hosts/node1/ps 2>/dev/null | head -1)
before=$(wc -l <"$W/moved.out")
out=$(tool migrate "/hosts/node1/ps/$row" node0 2>&1); mrc=$?
[[ $mrc == 0 ]] && ok "and back: migrate /hosts/node1/ps/$row node0 after $before lines: $out" || bad "migrate back: rc=$mrc $out"
for _ in $(seq 1200); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $rc == 0 ]] && cmp -s "$W/moved.out" "$W/unmoved.out" && [[ $(tail -1 "$W/moved.out") == "9592 primes up to $N" ]] \
  && ok "the twice-moved primes printed what an unmoved run prints ($(wc -l <"$W/moved.out") lines; unmoved ${unmoved}s) and ax exits 0" \
  || bad "moved primes: rc=$rc, $(wc -l <"$W/moved.out") lines, $(diff "$W/moved.out" "$W/unmoved.out" | head -3 | tr '\n' ' ')"
# Two threads nearly always blocked (ticker: a sleep, a getreq nobody
# answers): the stun rolls both calls back, and they are made again on node1.
: >"$W/ticker.out"
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 ticker 150 >"$W/ticker.out" 2>&1 &
axpid=$!
for _ in $(seq 100); do [[ $(wc -l <"$W/ticker.out") -gt 20 ]] && break; sleep 0.1; done
row=$(tool dir /hosts/node0/ps 2>/dev/null | head -1)
out=$(tool migrate "/hosts/node0/ps/$row" node1 2>&1); mrc=$?
for _ in $(seq 600); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $mrc == 0 && $out == *"2 threads"* && $rc == 0 && $(cat "$W/ticker.out") == "$(seq 1 150; echo "ticked 150 times")" ]] \
  && ok "ticker's sleeping and getreq-waiting threads moved to node1 and went on: $out; 1 to 150 in order" \
  || bad "ticker moved: rc=$mrc ax=$rc $out; $(tail -2 "$W/ticker.out" | tr '\n' ' ')"
# The new host refuses the exec (a test hook sends it another
# architecture's descriptor): the process goes on where it was.
: >"$W/ticker2.out"
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 ticker 300 >"$W/ticker2.out" 2>&1 &
axpid=$!
for _ in $(seq 100); do [[ $(wc -l <"$W/ticker2.out") -gt 20 ]] && break; sleep 0.1; done
row=$(tool dir /hosts/node0/ps 2>/dev/null | head -1)
out=$(tool migrate --exec-refused "/hosts/node0/ps/$row" node1 2>&1); mrc=$?
ps0=$(tool dir -l /hosts/node0/ps 2>&1)
for _ in $(seq 600); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $mrc == 1 && $out == *"STD_ARGBAD"*"goes on where it was, as /hosts/node0/ps/"* && $ps0 == *"Run: "*"ticker 300"* && $rc == 0 \
   && $(cat "$W/ticker2.out") == "$(seq 1 300; echo "ticked 300 times")" ]] \
  && ok "exec refused by node1: $out (exit 1); ticker went on on node0, 1 to 300 in order" \
  || bad "refused migration: rc=$mrc ax=$rc $out; ps0: $ps0; $(tail -2 "$W/ticker2.out" | tr '\n' ' ')"
out=$(tool migrate /hosts/node0/ps/99 node1 2>&1); rc=$?
[[ $rc != 0 && $out == *"no such process"* ]] && ok "migrate of a missing process: $out" || bad "migrate of a missing process: rc=$rc $out"

# Malformed descriptors straight to the proc server (python builds them).
proc=$(tool dir -k /hosts/node0 2>/dev/null | awk '$1 == "proc" { print $2 }')
ARGBAD=0
for kind in truncated oversized nothread random huge-counts; do
  body=$(python3 - "$kind" <<'PY'
import random, struct, sys
kind = sys.argv[1]
seg = lambda addr, ln, t: b"\0" * 16 + struct.pack("<iIII", 0, addr, ln, t)
pd = b"i80386\0\0" + b"\0" * 32 + struct.pack("<HH", 1, 1) + seg(0x40000000, 4096, 0x321)
thread = struct.pack("<IIIII", 0, 20, 1, 0x40000000, 0x40000ff0)
if kind == "truncated": b = (pd + thread)[:-3]
elif kind == "oversized": b = b"i80386\0\0" + b"\0" * 32 + struct.pack("<HH", 1, 1) + seg(0x40000000, 1 << 30, 0x321) + thread
elif kind == "nothread": b = pd[:-4 - 32] + struct.pack("<HH", 1, 0) + seg(0x40000000, 4096, 0x321)
elif kind == "huge-counts": b = b"i80386\0\0" + b"\0" * 32 + struct.pack("<HH", 0xffff, 0xffff) + b"\0" * 64
else:
    random.seed(11); b = bytes(random.randrange(256) for _ in range(300))
print(b.hex())
PY
)
  out=$(tool ax --raw-exec "$proc" "$body" 2>&1); rc=$?
  [[ $out == *STD_ARGBAD* ]] && ARGBAD=$((ARGBAD + 1)) || echo "    $kind: $out"
done
[[ $ARGBAD == 5 ]] && ok "PS_EXEC with truncated, oversized, threadless, huge-count and random descriptors: STD_ARGBAD" \
  || bad "malformed descriptors: $ARGBAD of 5 refused STD_ARGBAD"
out=$(tool std_info /hosts/node0/proc 2>&1)
[[ $out == *"process/segment server"* ]] && ok "node0 still serves after them" || bad "node0 after bad descriptors: $out"

# A file server that is not there: the binary's segments carry a
# capability on a port nobody serves.
out=$(tool ax -m node0 --unreachable-source hello 2>&1); rc=$?
[[ $rc != 0 && $out == *RPC_NOTFOUND* ]] && ok "unreachable file server: $out" || bad "unreachable file server: rc=$rc $out"
out=$(tool ax -m node0 hello again 2>&1); rc=$?
[[ $rc == 0 && $out == *"hello from hello: again"* ]] && ok "node0 runs programs after all that" || bad "ax after failures: rc=$rc $out"

# Last: the node dies under a running program; ax notices and gives up.
AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/ax" -m node0 primes 100000000 >"$W/primes3.out" 2>&1 &
axpid=$!
for _ in $(seq 100); do [[ -s "$W/primes3.out" ]] && break; sleep 0.1; done
pkill -9 -P "$nodepid" 2>/dev/null; kill -9 "$nodepid" 2>/dev/null
for _ in $(seq 600); do kill -0 "$axpid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$axpid" 2>/dev/null; wait "$axpid"; rc=$?
[[ $rc == 2 ]] && ok "node killed under a running program: ax gives up: $(tail -1 "$W/primes3.out")" \
  || bad "ax after its node died: rc=$rc $(tail -1 "$W/primes3.out")"

# With node0 dead, ax without -m skips it (its proc does not answer the probe).
start=$(date +%s.%N)
out=$(tool ax -E SHOW=AX_HOST hello survivor 2>&1); rc=$?
took=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
[[ $rc == 0 && $out == *"AX_HOST=node1"* ]] && ok "ax without -m passes over the dead node0 to node1 (${took}s)" \
  || bad "ax with node0 dead: rc=$rc $out"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
