#!/usr/bin/env bash
# ax end to end (issue 11): a Linux host (amunixd, with the SOAP directory
# and Bullet file servers) and a QEMU kernel node on one UDP multicast
# segment (no root). amoeba-init stores the kernel build's Amoeba binaries
# in /bin; then, from Linux:
#   ax -m node0 hello a b       prints its arguments and an -E string, exits 0
#   ax -m node0 exit 3          exit status 3 comes back as 3
#   ax -m node0 faulty 1        a null pointer write: ax prints the exception, exits 1
#   PS_EXEC with truncated, oversized, bad-thread and random descriptors:
#                               STD_ARGBAD, and the node answers after
#   a program whose file server is unreachable: a clear error, node still up
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info dir ax amoeba-init soap-server bullet-server; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
[[ -f .build-kernel/kernel.elf && -f .build-kernel/bin/hello ]] || scripts/kernel-build.sh >/dev/null 2>&1 \
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

mkdir -p "$W/a" "$W/node0"
"$BIN/amunixd" --link "mcast:$group:$port,local=127.0.0.1,ttl=0" --socket "$W/a/amunixd.sock" --name a \
  --log-level warning >>"$W/a.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 200); do [[ -S "$W/a/amunixd.sock" && -f "$W/a/sys.cap" ]] && break; sleep 0.05; done
(KERNEL_NO_BUILD=1 exec scripts/kernel-run.sh --link "mcast:$group:$port" --state "$W/node0" --mac 52:54:00:4c:00:00 \
  </dev/null >"$W/node0.console" 2>&1) &
PIDS="$PIDS $!"
for _ in $(seq 600); do grep -q "console idle" "$W/node0.console" 2>/dev/null && break; sleep 0.1; done
grep -q "console idle" "$W/node0.console" || { echo "node0 did not come up"; tail "$W/node0.console"; exit 1; }

"$BIN/amoeba-init" --soap-store "$W/store-soap" --bullet-store "$W/store-bullet" --servers-on a \
  --root-file "$W/root.cap" --host "a=$W/a" --publish "$W/a" --host "node0=$W/node0" \
  --bin .build-kernel/bin >"$W/init.log" 2>&1 || { bad "amoeba-init: $(cat "$W/init.log")"; exit 1; }
for k in soap bullet; do
  AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/$k-server" "$W/store-$k" --threads 4 --log-level warning >>"$W/$k.log" 2>&1 &
  PIDS="$PIDS $!"
done
sleep 1
tool() { local t=$1; shift; AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN/$t" "$@"; }

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

out=$(tool ax -m node0 exit 3 2>&1); rc=$?
[[ $rc == 3 && $out == *"exiting with status 3"* ]] && ok "ax exit 3 returns 3" || bad "ax exit 3: rc=$rc $out"

out=$(tool ax -m node0 faulty 1 2>&1); rc=$?
if [[ $rc == 1 && $out == *"EXC_MEM"* && $out == *"fault address 0x00000000"* ]]; then
  ok "a faulting program: ax reports it: $(echo "$out" | grep EXC)"
else
  bad "ax faulty 1: rc=$rc $out"
fi

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

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
