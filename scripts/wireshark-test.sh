#!/usr/bin/env bash
# The FLIP dissector (scripts/wireshark/flip.lua) against real traffic:
# two amunixd hosts on an Ethernet-in-UDP multicast segment on loopback,
# tcpdump capturing while one host asks the other's sys server for
# std_info; tshark then reads the capture with the dissector and must find
# the port locate, the REQUEST with STD_INFO, the REPLY with STD_OK and the
# server's text, and the FLIP header fields, each by its display-filter
# name. Needs tcpdump and tshark (CI installs them) and root or
# CAP_NET_RAW for the capture on lo.
#
#   scripts/wireshark-test.sh       prints "N passed, M failed"
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd std_info; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
for t in tcpdump tshark; do
  command -v "$t" >/dev/null || { echo "missing $t: apt-get install $t"; exit 1; }
done
W=$(mktemp -d /tmp/amoeba-wireshark.XXXXXX)
# shellcheck source=lib/amoeba-hosts.sh
source scripts/lib/amoeba-hosts.sh
dump_pid=
trap '[[ -n $dump_pid ]] && kill "$dump_pid" 2>/dev/null; amx_kill_all; rm -rf "$W"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

udp_port=${amx_seg##*:}; udp_port=${udp_port%%,*}
tcpdump -i lo -U -w "$W/aflip.pcap" "udp port $udp_port" 2>"$W/tcpdump.log" &
dump_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.log" && break; sleep 0.1; done

for h in a b; do amx_start "$h" || exit 1; done
info=$(amx_tool b std_info "$W/a/sys.cap" 2>&1)
[[ $info == *"system server"* ]] && ok "std_info over the segment: $info" || bad "std_info: $info"
sleep 0.5
kill -INT "$dump_pid"; wait "$dump_pid" 2>/dev/null; dump_pid=

lua=scripts/wireshark/flip.lua
# fields FILTER FIELD...: the fields of every packet the filter selects.
fields() {
  local filter=$1; shift
  local args=()
  for f in "$@"; do args+=(-e "$f"); done
  tshark -X "lua_script:$lua" -r "$W/aflip.pcap" -Y "$filter" -T fields "${args[@]}" 2>"$W/tshark.err"
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
summary=$(tshark -X "lua_script:$lua" -r "$W/aflip.pcap" -Y 'arpc.type == 3' 2>/dev/null | head -1)
[[ $summary == *"UNIDATA"*"RPC REQUEST tid="*"STD_INFO"* ]] && ok "info column: $summary" || bad "info column: $summary"

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

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
