#!/usr/bin/env bash
# A kernel node on a keyed segment (no root): a QEMU kernel node and an
# amunixd host share a multicast segment whose every datagram is sealed
# with the segment key (kernel-run.sh --link mcast:...,key=FILE; the kernel
# side is Kernel/Network/LinkSeal.swift).
#
# Checks: kernel-run refuses a missing or malformed key file before the
# boot; the key reaches the kernel through fw_cfg, not QEMU's argv; Linux
# reaches the kernel's servers over the keyed segment (std_info, std_status,
# 30 KB transactions, so maximal sealed frames both ways); a sniffer on the
# group finds none of the kernel capabilities' ports in what it recorded,
# while a key holder opens every datagram (Python's own ChaCha20-Poly1305)
# and finds the node's packets not marked UNSAFE (a keyed link is trusted),
# and the recorded datagrams sent again are refused as replays; an amunixd
# without the key, or with another key, cannot reach the node, and the
# node counts what it refused; a keyed udp: link works too; a malformed key
# in fw_cfg keeps the node's link down. Prints "N passed, M failed" and
# exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info std_status rpc_bench cap; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
[[ -f .build-kernel/kernel.elf && -f .build-kernel/kernel-test.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1 || { echo "kernel build failed"; exit 1; }
W=$(mktemp -d /tmp/kernel-keyed.XXXXXX)
passed=0; failed=0
declare -A PID QPID

say() { echo "[keyed] $*"; }
ok() { passed=$((passed + 1)); say "PASS $*"; }
bad() { failed=$((failed + 1)); say "FAIL $*"; }

port=$(( 35000 + ($$ % 2000) * 3 ))
seg="239.255.$(( $$ % 250 )).11:$port"
host_link() { echo "mcast:$seg,local=127.0.0.1,ttl=0${1:+,key=$1}"; }

start_host() { # host [key file]
  local h=$1
  mkdir -p "$W/$h"
  ("$BIN/amunixd" --link "$(host_link "${2:-}")" --socket "$W/$h/amunixd.sock" --name "$h" \
    --log-level warning >>"$W/$h.log" 2>&1) &
  PID[$h]=$!
  for _ in $(seq 200); do [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0; sleep 0.05; done
  say "amunixd on $h did not start:"; cat "$W/$h.log"; return 1
}

boot_node() { # name link [kernel-run options and words...]
  local n=$1 link=$2; shift 2
  : >"$W/$n.console"
  (KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" exec scripts/kernel-run.sh --link "$link" "$@" </dev/null >"$W/$n.console" 2>&1) &
  QPID[$n]=$!
}

node_up() { # name: waits for the boot to finish; true if the node came up on the network
  for _ in $(seq 600); do grep -q "console idle" "$W/$1.console" 2>/dev/null && break; sleep 0.1; done
  grep -q "node up: FLIP" "$W/$1.console"
}

kill_node() { [[ -n "${QPID[$1]:-}" ]] && { pkill -9 -P "${QPID[$1]}" 2>/dev/null; kill -9 "${QPID[$1]}" 2>/dev/null; wait "${QPID[$1]}" 2>/dev/null; unset "QPID[$1]"; }; }

node_cap() { sed -n "s/^  $2\t\(.*\)$/\1/p" "$W/$1.console" | tail -1 | tr -d '\r'; }

cleanup() {
  for h in "${!PID[@]}"; do kill -9 "${PID[$h]}" 2>/dev/null; done
  for n in "${!QPID[@]}"; do pkill -9 -P "${QPID[$n]}" 2>/dev/null; kill -9 "${QPID[$n]}" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n ${KEEP_LOGS:-} ]] && echo "logs in $W" || rm -rf "$W"
}
trap cleanup EXIT

tool() { local h=$1 t=$2; shift 2; AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/$t" "$@"; }
# One number from a std_status text: the word(s) before it given.
field() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" <<<"$2" | head -1; }

# ---- 1. kernel-run refuses a key it cannot use, before the boot -----------
out=$(KERNEL_NO_BUILD=1 timeout 20 scripts/kernel-run.sh --link "mcast:$seg,key=$W/absent.key" 2>&1); rc=$?
[[ $rc != 0 && $rc != 124 && $out == *"missing or unreadable"* && $out != *"[kernel]"* ]] \
  && ok "kernel-run with a missing key file: exit $rc before the boot: $out" || bad "missing key: rc=$rc $out"
echo "not a key" >"$W/bad.key"
out=$(KERNEL_NO_BUILD=1 timeout 20 scripts/kernel-run.sh --link "mcast:$seg,key=$W/bad.key" 2>&1); rc=$?
[[ $rc != 0 && $rc != 124 && $out == *"not 64 hex digits"* && $out != *"[kernel]"* ]] \
  && ok "kernel-run with a malformed key file: exit $rc before the boot: $out" || bad "malformed key: rc=$rc $out"

# ---- 2. a kernel node and a Linux host on one keyed segment ---------------
# amunixd makes the key (the first daemon to find it missing does); the
# node is given the same file.
start_host a "$W/segment.key" || exit 1
boot_node node0 "mcast:$seg,key=$W/segment.key" --state "$W/node0" --mac 52:54:00:4b:01:00 bench
if node_up node0 && grep -q "segment key from fw_cfg opt/amoeba/segkey" "$W/node0.console"; then
  ok "node0 came up sealed: $(grep -o 'segment key from fw_cfg.*' "$W/node0.console" | tr -d '\r')"
else
  bad "node0 did not come up on the keyed segment:"; tail -20 "$W/node0.console"; exit 1
fi
key=$(tr -d ' \n' <"$W/segment.key")
qemu_args=$(tr '\0' ' ' <"/proc/${QPID[node0]}/cmdline" 2>/dev/null)
[[ $qemu_args == *qemu-system* && $qemu_args == *opt/amoeba/segkey* && $qemu_args != *"${key:0:16}"* ]] \
  && ok "the segment key is not in QEMU's argv, only its path" || bad "segment key in QEMU's argv: $qemu_args"

for s in sys tod bench; do node_cap node0 "$s" >"$W/$s.cap"; done
# host.cap spells the port as 12 hex digits; the sniffer reads colon pairs.
sed 's|^\(..\)\(..\)\(..\)\(..\)\(..\)\(..\)/|\1:\2:\3:\4:\5:\6/|' "$W/node0/host.cap" >"$W/host.cap"
SNIFF="python3 scripts/lib/sniff.py"
$SNIFF "$seg" record 6 "$W/keyed.rec" >"$W/keyed.n" &
sniffer=$!
for _ in $(seq 100); do [[ -f "$W/keyed.rec.ready" ]] && break; sleep 0.05; done
out=$(tool a std_info --timeout 10 "$(cat "$W/host.cap")" 2>&1)
[[ $out == "%"* ]] && ok "std_info of node0's kernel directory over the keyed segment: $out" || bad "std_info of node0's host capability: $out"
for s in sys tod; do
  out=$(tool a std_info --timeout 10 "$(cat "$W/$s.cap")" 2>&1); rc=$?
  [[ $rc == 0 && -n $out && $out != *RPC_* ]] && ok "std_info of node0's $s over the keyed segment: $out" || bad "std_info of node0's $s: rc=$rc $out"
done
out=$(AMUNIX_SOCKET="$W/a/amunixd.sock" timeout 120 "$BIN/rpc_bench" load --count 20 --threads 2 --size 30000 --timeout 30 "$W/bench.cap" 2>&1); rc=$?
[[ $rc == 0 && $out == *"ok 20 failed 0"* ]] && ok "20 echoes of 30000 bytes (maximal frames, sealed both ways): $(tr '\n' ' ' <<<"$out")" \
  || bad "30 KB echoes over the keyed segment: rc=$rc $out"
wait "$sniffer"
status=$(tool a std_status --timeout 10 "$(cat "$W/sys.cap")" 2>&1)
sealline=$(grep '^seal:' <<<"$status")
say "node0: $sealline"
say "node0: $(grep -E '^received' <<<"$status")"
sealed=$(field "sealed" "$sealline") opened=$(field "opened" "$sealline")
[[ -n $sealed && -n $opened && $sealed -gt 40 && $opened -gt 40 && $(field "rx dropped" "$status") == 0 ]] \
  && ok "std_status of node0's sys over the keyed segment: $sealed frames sealed, $opened opened, none dropped by the NIC" \
  || bad "std_status of node0's sys: $status"
recorded=$(cat "$W/keyed.n")
leaked=$($SNIFF - search "$W/keyed.rec" "$W/sys.cap" "$W/tod.cap" "$W/bench.cap" "$W/host.cap")
[[ $recorded =~ ^[0-9]+$ && $leaked =~ ^[0-9]+$ ]] && (( recorded > 40 && leaked == 0 )) \
  && ok "a sniffer on the group recorded $recorded datagrams: none holds the port of node0's sys, tod, bench or kernel directory" \
  || bad "sniffer: $recorded datagrams recorded, $leaked hold a kernel capability's port"
# Opened with the key, independently (scripts/lib/keyed-frames.py): the
# node's FLIP packets are not marked UNSAFE, since a keyed link is trusted.
out=$(python3 scripts/lib/keyed-frames.py "$W/segment.key" "$W/keyed.rec" 52:54:00:4b:01:00); rc=$?
if [[ $rc == 3 ]]; then
  say "SKIP the UNSAFE check: $out"
else
  packets=$(sed -n 's/.*: \([0-9]*\) FLIP packets.*/\1/p' <<<"$out") unsafe=$(sed -n 's/.*, \([0-9]*\) marked UNSAFE.*/\1/p' <<<"$out")
  [[ $rc == 0 && -n $packets && $packets -gt 0 && $unsafe == 0 && $out == "opened $recorded of $recorded;"* ]] \
    && ok "opened with the key outside Swift, every datagram opens; node0's packets are trusted, none UNSAFE: $out" \
    || bad "opening the recording with the key: $out"
fi
$SNIFF "$seg" replay "$W/keyed.rec" >/dev/null
sleep 1
status=$(tool a std_status --timeout 10 "$(cat "$W/sys.cap")" 2>&1)
sealline2=$(grep '^seal:' <<<"$status")
replayed=$(field "replayed" "$sealline2")
[[ -n $replayed && $replayed -gt 0 ]] && ok "the recorded datagrams sent again: node0 refused $replayed as replays ($sealline2)" \
  || bad "replay: $sealline2"

# ---- 3. hosts without the key ---------------------------------------------
start_host x || exit 1
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$W/other.key"; chmod 600 "$W/other.key"
start_host y "$W/other.key" || exit 1
for h in x y; do
  out=$(tool "$h" std_info --timeout 5 "$(cat "$W/sys.cap")" 2>&1); rc=$?
  what=$([[ $h == x ]] && echo "an unkeyed amunixd" || echo "an amunixd with another key")
  [[ $rc != 0 && $out == *RPC_* ]] && ok "$what cannot reach node0: $out" || bad "$what reached node0: rc=$rc $out"
done
status=$(tool a std_status --timeout 10 "$(cat "$W/sys.cap")" 2>&1)
sealline3=$(grep '^seal:' <<<"$status")
badtag=$(field "bad tag" "$sealline3") malformed=$(field "malformed" "$sealline3")
[[ -n $badtag && $badtag -gt 0 && -n $malformed && $malformed -gt 0 ]] \
  && ok "node0 counted what it refused: $badtag bad tags (the other key), $malformed malformed (clear frames)" || bad "refusals: $sealline3"
out=$(tool a std_info --timeout 10 "$(cat "$W/sys.cap")" 2>&1)
[[ $out != *RPC_* && -n $out ]] && ok "node0 still answers the key holder: $out" || bad "node0 after the strangers: $out"

# ---- 4. a keyed point-to-point udp: link (QEMU -netdev dgram) -------------
up=$((port + 1)) kp=$((port + 2))
mkdir -p "$W/u"
("$BIN/amunixd" --link "udp:$up:127.0.0.1:$kp,key=$W/segment.key" --socket "$W/u/amunixd.sock" --name u \
  --log-level warning >>"$W/u.log" 2>&1) &
PID[u]=$!
for _ in $(seq 200); do [[ -S "$W/u/amunixd.sock" && -f "$W/u/sys.cap" ]] && break; sleep 0.05; done
boot_node node2 "udp:$kp:127.0.0.1:$up,key=$W/segment.key" --mac 52:54:00:4b:01:02
if node_up node2; then
  out=$(tool u std_info --timeout 10 "$(node_cap node2 sys)" 2>&1); rc=$?
  status=$(tool u std_status --timeout 10 "$(node_cap node2 sys)" 2>&1 | grep '^seal:')
  [[ $rc == 0 && $out != *RPC_* && $status == "seal: sealed "[1-9]* ]] \
    && ok "over a keyed udp: link too: std_info of node2's sys: $out; $status" || bad "keyed udp link: rc=$rc $out; $status"
else
  bad "node2 did not come up on a keyed udp link: $(grep -E '\[net\]' "$W/node2.console" | tr '\n' ' ')"
fi
kill_node node2

# ---- 5. a malformed key in fw_cfg keeps the link down ---------------------
# Handed over past kernel-run's check, as a damaged or foreign file would be.
printf 'zz%062d\n' 0 >"$W/garbled.key"
QEMU_FLAGS="-fw_cfg name=opt/amoeba/segkey,file=$W/garbled.key" boot_node node1 "mcast:$seg" --mac 52:54:00:4b:01:01
if ! node_up node1 && grep -q "segment key in fw_cfg opt/amoeba/segkey is malformed" "$W/node1.console"; then
  ok "a malformed key in fw_cfg: $(grep -o 'segment key in fw_cfg.*' "$W/node1.console" | tr -d '\r')"
else
  bad "node1 with a malformed key: $(grep -E '\[net\]' "$W/node1.console" | tr '\n' ' ')"
fi
kill_node node1

echo "kernel-keyed: $passed passed, $failed failed"
[[ $failed == 0 ]]
