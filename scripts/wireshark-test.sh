#!/usr/bin/env bash
# Seeing the wire: the FLIP dissector (scripts/wireshark/flip.lua) and
# flipdump against real traffic. Two amunixd hosts on an Ethernet-in-UDP
# multicast segment on loopback; tcpdump captures, and flipdump listens as
# a silent member of the segment, while one host asks the other's sys
# server for std_info. tshark then reads the capture with the dissector
# and must find the port locate, the REQUEST with STD_INFO, the REPLY with
# STD_OK and the server's text, each by its display-filter name; flipdump
# and tshark must print the same fields for every frame, of the capture
# and of hand-built frames (big-endian, a later fragment, a CREDIT); no
# frame on the wire is shorter than the Ethernet minimum.
# Needs tcpdump and tshark (CI installs them) and root or CAP_NET_RAW for
# the capture on lo.
#
#   scripts/wireshark-test.sh       prints "N passed, M failed"
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info flipdump; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
for t in tcpdump tshark; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install $t"; exit 1; }
done
W=$(mktemp -d /tmp/amoeba-wireshark.XXXXXX)
# shellcheck source=lib/amoeba-hosts.sh
source scripts/lib/amoeba-hosts.sh
dump_pid=
trap '[[ -n $dump_pid ]] && kill "$dump_pid" 2>/dev/null; amx_kill_all; [[ -n ${KEEPW:-} ]] || rm -rf "$W"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

udp_port=${amx_seg##*:}; udp_port=${udp_port%%,*}
tcpdump -i lo -U --immediate-mode -w "$W/flip.pcap" "udp port $udp_port" 2>"$W/tcpdump.log" &
dump_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.log" && break; sleep 0.1; done

# flipdump listens as a silent member of the same segment, and writes
# what it shows to a pcap of its own.
"$BIN/flipdump" --segment "$amx_seg" -w "$W/flipdump.pcap" >"$W/flipdump.txt" 2>&1 &
flipdump_pid=$!
# ... and captures live on lo through libpcap, unwrapping the UDP datagrams.
"$BIN/flipdump" -i lo --type unidata >"$W/flipdump-live.txt" 2>&1 &
live_pid=$!
for h in a b; do amx_start "$h" || exit 1; done
info=$(amx_tool b std_info "$W/a/sys.cap" 2>&1)
[[ $info == *"system server"* ]] && ok "std_info over the segment: $info" || bad "std_info: $info"
sleep 0.5
kill -INT "$dump_pid"; wait "$dump_pid" 2>/dev/null; dump_pid=
kill -INT "$flipdump_pid"; kill -TERM "$live_pid"
# Both must end on the signal, within a second or so.
stopped=1
for _ in $(seq 50); do
  kill -0 "$flipdump_pid" 2>/dev/null || kill -0 "$live_pid" 2>/dev/null || { stopped=0; break; }
  sleep 0.1
done
[[ $stopped == 0 ]] && ok "flipdump ends on SIGINT and SIGTERM, on a quiet wire too" \
  || { bad "flipdump still running 5 s after the signal"; kill -9 "$flipdump_pid" "$live_pid" 2>/dev/null; }
wait "$flipdump_pid" "$live_pid" 2>/dev/null

lua=scripts/wireshark/flip.lua
# fields FILTER FIELD...: the fields of every packet the filter selects.
fields() {
  local filter=$1; shift
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -X "lua_script:$lua" -r "$W/flip.pcap" -Y "$filter" -T fields "${args[@]}" 2>"$W/tshark.err"
}
# expect NAME GLOB FILTER FIELD...: the fields' output must match GLOB.
expect() {
  local name=$1 glob=$2; shift 2
  local out
  out=$(fields "$@")
  # shellcheck disable=SC2053
  if [[ -n $out && $out == $glob ]]; then ok "$name"; else bad "$name: got '$out' $(head -3 "$W/tshark.err")"; fi
}

n_udp=$(fields 'udp' frame.number | wc -l)
n_flip=$(fields 'aflip' frame.number | wc -l)
[[ $n_udp -gt 0 && $n_udp == "$n_flip" ]] && ok "all $n_udp datagrams dissected as FLIP" \
  || bad "datagrams $n_udp, FLIP $n_flip"
expect "the port locate is a MULTIDATA to the null address with protocol RPC" \
  "*4*1*" 'aflip.protocol == 1' aflip.type aflip.protocol
expect "the locate carries an amp LOCATE" "*1*" 'aflip.protocol == 1' arpc.type
expect "a HEREIS answers it" "*2*" 'arpc.type == 2' arpc.type
expect "the request is an UNIDATA with amp REQUEST and command STD_INFO" \
  $'3\t3\t1004*' 'arpc.type == 3' aflip.type arpc.type amoeba.command
expect "the reply carries STD_OK and the server's text" \
  "*0*system server*" 'arpc.type == 4' amoeba.status amoeba.text
expect "request and reply share the transaction id" "*" 'arpc.type == 3 || arpc.type == 4' arpc.tid
tids=$(fields 'arpc.type == 3 || arpc.type == 4' arpc.tid | sort -u | wc -l)
[[ $tids == 1 ]] && ok "one transaction id for request and reply" || bad "transaction ids: $tids distinct"
expect "FLIP header fields: version 1, little-endian, length within the frame" \
  $'1\t0\t56' 'arpc.type == 3' aflip.version aflip.flags.bigendian aflip.length
summary=$(tshark -X "lua_script:$lua" -r "$W/flip.pcap" -Y 'arpc.type == 3' 2>/dev/null | head -1)
[[ $summary == *"UNIDATA"*"RPC REQUEST tid="*"STD_INFO"* ]] && ok "info column: $summary" || bad "info column: $summary"

# flipdump against tshark with the dissector, frame by frame, on the same
# capture: the fields both print must agree.
tshark_fields() {
  tshark -X "lua_script:$lua" -r "$1" -T fields -e aflip.type -e aflip.src -e aflip.dst -e aflip.messid \
    -e aflip.length -e aflip.offset -e aflip.total -e arpc.type -e arpc.tid -e amoeba.command -e amoeba.status 2>/dev/null |
    awk -F'\t' 'BEGIN { OFS = "\t" } { c = ($10 != "") ? $10 : $11; print $1, $2, $3, $4, $5, $6, $7, $8, $9, c }'
}
"$BIN/flipdump" -r "$W/flip.pcap" --fields >"$W/flipdump.fields"
tshark_fields "$W/flip.pcap" >"$W/tshark.fields"
n=$(wc -l <"$W/flipdump.fields")
if [[ $n -gt 3 ]] && cmp -s "$W/flipdump.fields" "$W/tshark.fields"; then
  ok "flipdump and the dissector agree on all $n frames of the capture"
else
  bad "flipdump and the dissector differ: $(diff "$W/flipdump.fields" "$W/tshark.fields" | head -5)"
fi
grep -q "RPC REQUEST tid=.*STD_INFO" "$W/flipdump.txt" && grep -q "RPC REPLY tid=.*STD_OK" "$W/flipdump.txt" \
  && ok "flipdump as a silent member of the segment saw the request and the reply" \
  || bad "flipdump --segment saw: $(head -5 "$W/flipdump.txt")"
grep -q "RPC REQUEST tid=.*STD_INFO" "$W/flipdump-live.txt" && ! grep -q MULTIDATA "$W/flipdump-live.txt" \
  && ok "flipdump -i lo --type unidata captured the request live, and no locate" \
  || bad "flipdump -i lo saw: $(head -5 "$W/flipdump-live.txt")"
out=$(tshark -X "lua_script:$lua" -r "$W/flipdump.pcap" -Y 'amoeba.command == 1004' -T fields -e arpc.type 2>/dev/null)
[[ $out == 3* ]] && ok "flipdump -w writes a pcap tshark reads" || bad "flipdump -w: '$out'"
out=$("$BIN/flipdump" -r "$W/flip.pcap" --type multidata)
[[ -n $out && $out != *UNIDATA* && $out == *"MULTIDATA"*"RPC locate"* ]] && ok "flipdump --type multidata shows only the locate" || bad "--type: $out"

# Amoeba pads every frame to the Ethernet minimum of 60 bytes. A request
# of several frames makes the receiver return CREDIT frames (2 bytes of
# payload before padding) and the server an early ACK: captured on their
# own, each datagram's payload (one Ethernet frame) must be 60 or more.
BIN_RPC="$BIN/rpc_bench"
if [[ -x $BIN_RPC ]]; then
  tcpdump -i lo -U --immediate-mode -w "$W/big.pcap" "udp port $udp_port" 2>"$W/tcpdump2.log" &
  dump_pid=$!
  for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump2.log" && break; sleep 0.1; done
  AMUNIX_SOCKET="$W/a/amunixd.sock" "$BIN_RPC" serve --threads 2 "$W/bench.cap" >"$W/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 100); do [[ -f "$W/bench.cap" ]] && break; sleep 0.05; done
  out=$(AMUNIX_SOCKET="$W/b/amunixd.sock" timeout 30 "$BIN_RPC" load --count 3 --threads 1 --size 20000 "$W/bench.cap" 2>&1)
  sleep 0.3
  kill -INT "$dump_pid"; wait "$dump_pid" 2>/dev/null; dump_pid=
  kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null
  big() { tshark -X "lua_script:$lua" -r "$W/big.pcap" -Y "$1" -T fields -e frame.number 2>/dev/null | wc -l; }
  n_all=$(big 'udp'); n_credit=$(big 'aflip.fc.type == 2'); n_runt=$(big 'udp.length < 68')
  if [[ $out == *"ok 3 failed 0"* && $n_credit -gt 0 && $n_runt == 0 ]]; then
    ok "no frame shorter than 60 bytes among $n_all, $n_credit of them CREDITs"
  else
    bad "runts: $n_runt of $n_all frames shorter than 60 bytes ($n_credit CREDITs; load: $(tr '\n' ' ' <<<"$out"))"
  fi
else
  bad "missing $BIN_RPC: run swift build first"
fi

# Hand-built frames: the sender's byte order, fragments, control frames.
python3 scripts/lib/flip-frames.py "$W/crafted.pcap"
crafted() {
  local filter=$1; shift
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -X "lua_script:$lua" -r "$W/crafted.pcap" -Y "$filter" -T fields "${args[@]}" 2>/dev/null
}
out=$(crafted 'aflip.flags.bigendian == 1' aflip.length aflip.total arpc.tid arpc.from amoeba.command amoeba.object)
[[ $out == $'1458\t3056\t77\t5\t1006\t7' ]] && ok "a big-endian request reads in its own order" || bad "big-endian request: '$out'"
out=$(crafted 'aflip.offset == 1458' aflip.offset aflip.total arpc.type)
[[ $out == $'1458\t4514\t' ]] && ok "a later fragment is a fragment, not an amp header" || bad "fragment: '$out'"
out=$(crafted 'aflip.fc.type == 2' aflip.fc.count aflip.type)
[[ $out == $'8\t' ]] && ok "a CREDIT control frame carries its count and no FLIP header" || bad "credit: '$out'"
"$BIN/flipdump" -r "$W/crafted.pcap" --fields >"$W/crafted.flipdump"
tshark_fields "$W/crafted.pcap" >"$W/crafted.tshark"
cmp -s "$W/crafted.flipdump" "$W/crafted.tshark" && ok "flipdump and the dissector agree on the hand-built frames" \
  || bad "hand-built frames differ: $(diff "$W/crafted.flipdump" "$W/crafted.tshark" | head -5)"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
