#!/usr/bin/env bash
# The demo: build everything, start a small system of three Linux hosts
# (a, b, c) as amunixd daemons and two VX kernel nodes (node0, node1) in
# QEMU, all on one Ethernet-in-UDP multicast segment on loopback (no root
# needed), set up a fresh name space, run the directory and file servers
# on host a (the directory server replicated on a, b and c), fill the name
# space, and show it from the other hosts: `dir
# -l /`, the kernel nodes' directories and servers, a user process on
# node0 using node1's servers, programs run on the kernel nodes with ax, std_info of a host's servers, and a file
# put on b and read back on c. Everything is stopped cleanly at the end
# (or on Ctrl-C).
#
#   scripts/demo.sh            build, run, stop
#   KEEP=1 scripts/demo.sh     leave the system running and print how to use it
#   KEYED=0 scripts/demo.sh    a bare segment instead of one sealed with a key
#                              (any local user could then read and write it)
#   ON_NODE=1 scripts/demo.sh  keep the name space on kernel node node0 instead:
#                              amoeba-init builds it into node0's disk image,
#                              node0's own directory and file servers serve it,
#                              and at the end node0 is killed with -9 and booted
#                              again from its image with everything back
set -euo pipefail
cd "$(dirname "$0")/.."
echo "==> building (swift build; the first build takes several minutes)"
if ! pkg-config --exists libpcap 2>/dev/null; then
  echo "libpcap-dev missing: installing"
  (apt-get update -qq && apt-get install -y -qq libpcap-dev) >/dev/null
fi
if ! command -v qemu-system-i386 >/dev/null; then
  echo "qemu-system-i386 missing: installing qemu-system-x86"
  (apt-get update -qq && apt-get install -y -qq qemu-system-x86) >/dev/null
fi
swift build 2>&1 | grep -E 'error|Compiling|Build complete' | grep -v '^\[' || true
echo "==> building the kernel image (scripts/kernel-build.sh, about a minute)"
scripts/kernel-build.sh >/tmp/amoeba-demo-kernel-build.log 2>&1 || { grep error: /tmp/amoeba-demo-kernel-build.log; exit 1; }
BIN="$(swift build --show-bin-path)"
W=$(mktemp -d /tmp/amoeba-demo.XXXXXX)
# The demo's segment is keyed: sealed, readable and writable only by
# holders of $W/segment.key (KEYED=0 for a bare one, to watch it in tcpdump).
[[ ${KEYED:-1} == 0 ]] || AMX_KEYED=1
# shellcheck source=lib/amoeba-hosts.sh
source scripts/lib/amoeba-hosts.sh
trap 'amx_kill_all; [[ -z ${KEEP:-} ]] && rm -rf "$W"' EXIT

# show HOST COMMAND...: print the command as typed on that host, then run it.
show() {
  local h=$1; shift
  echo
  echo "$h\$ $*"
  AMUNIX_SOCKET="$W/$h/amunixd.sock" PATH="$BIN:$PATH" "$@"
}

echo "==> starting hosts a, b, c (amunixd, Ethernet frames in UDP multicast on 127.0.0.1${AMX_KEYED:+, sealed with a key only you can read})"
for h in a b c; do amx_start "$h"; done
echo "==> booting kernel nodes node1 and node0 in QEMU on the same segment"
echo "    (node0 starts a user process, hello, whose directory is node1's kernel directory)"
amx_node node1
if [[ -n ${ON_NODE:-} ]]; then
  # The name space's servers on node0, their stores on its disk image.
  SRV=node0
  echo "==> amoeba-init: a fresh name space built into node0's disk image (node0 not booted yet; root.cap published to every host)"
  AMX_BIN_DIR=.build-kernel/bin amx_init_disk node0 "$W/node0.img" a b c node0 node1 | sed 's/^/    /'
  echo "==> booting node0 from that image with its directory and file servers (kernel word: servers)"
  amx_node node0 --disk "$W/node0.img" servers "run=hello:$(cat "$W/node1/host.cap")"
  amx_node_servers node0
  grep "^\[servers\] soap" "$W/node0.console" | sed 's/^/    /'
else
  SRV=a
  amx_node node0 "run=hello:$(cat "$W/node1/host.cap")"
  echo "==> amoeba-init: a fresh name space (servers on a, directory replicas on b and c too; root.cap published to every host)"
  AMX_SOAP_REPLICAS="b c" AMX_BIN_DIR=.build-kernel/bin amx_init a a b c node0 node1 | sed 's/^/    /'
  echo "==> starting the directory server replicated on a, b and c (soap-server --replicated), bullet-server on a"
  for h in a b c; do amx_replica "$h"; done
  amx_server a bullet
fi

show b dir -l /
[[ $SRV == a ]] && show b dir -l /hosts/a
show b dir -l /hosts/node0
show c std_status /hosts/node0/sys
echo
echo "node0's console: the user process it started at boot"
grep -E "^\[run\]|\(hello\)" "$W/node0.console" | sed 's/^/    /'
echo "node1's console: what that process on node0 printed through node1's tty:00, after"
echo "looking up tod in node1's kernel directory and asking it for the time"
grep "^user:" "$W/node1.console" | sed 's/^/    /'
echo
echo "==> ax: programs from /bin on the file server run on a kernel node, their output here"
show b ax -m node0 -E GREETING=hello-from-b hello a b
echo
echo "c\$ printf 'one\\ntwo\\n' | ax -m node1 cat"
printf 'one\ntwo\n' | AMUNIX_SOCKET="$W/c/amunixd.sock" "$BIN/ax" -m node1 cat
show c ax -m node1 faulty 1 || echo "(ax exit status $?)"
show c std_info /hosts/a/sys /hosts/$SRV/soap /hosts/$SRV/bullet /hosts/b/tod
show c std_status /hosts/$SRV/soap
show b mkd /home/ann /home/ann/src
show b dir -c /home
echo
echo "b\$ put /home/ann/README < README.md"
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/put" /home/ann/README <README.md
head -c 2000000 /dev/urandom >"$W/two-megabytes"
echo
echo "b\$ put /home/ann/data < two-megabytes"
AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/put" /home/ann/data <"$W/two-megabytes"
show c dir -l /home/ann
show c ax ls /home/ann
echo
echo "c\$ get /home/ann/README | head -3"
# head stops reading after three lines: get may then die of SIGPIPE
# writing its next piece, which is no failure here.
AMUNIX_SOCKET="$W/c/amunixd.sock" "$BIN/get" /home/ann/README | head -3 || [ "${PIPESTATUS[0]}" = 141 ]
echo
echo "c\$ get /home/ann/data | cmp - two-megabytes && echo identical"
AMUNIX_SOCKET="$W/c/amunixd.sock" "$BIN/get" /home/ann/data | cmp - "$W/two-megabytes" && echo identical
show c del /home/ann/README

# show_again HOST COMMAND...: as show, but a command that fails (its
# request was in the replica just killed) is run once more.
show_again() {
  local h=$1; shift
  echo
  echo "$h\$ $*"
  AMUNIX_SOCKET="$W/$h/amunixd.sock" PATH="$BIN:$PATH" "$@" 2>/dev/null \
    || { sleep 1; AMUNIX_SOCKET="$W/$h/amunixd.sock" PATH="$BIN:$PATH" "$@"; }
}
if [[ -n ${ON_NODE:-} ]]; then
  show b mkd /home/bob
  echo
  echo "==> the name space survives the machine's death: kill -9 node0's QEMU, boot it again from its image"
  kill -9 "${AMX_NODE_PID[node0]}"; wait "${AMX_NODE_PID[node0]}" 2>/dev/null || true
  unset "AMX_NODE_PID[node0]"
  amx_node node0 --disk "$W/node0.img" servers
  amx_node_servers node0
  grep "^\[servers\] soap" "$W/node0.console" | sed 's/^/    /'
  show_again c dir -l /home/ann
  echo
  echo "c\$ get /home/ann/data | cmp - two-megabytes && echo identical"
  AMUNIX_SOCKET="$W/c/amunixd.sock" "$BIN/get" /home/ann/data | cmp - "$W/two-megabytes" && echo identical
  show a dir /home
else
  echo
  echo "==> the name space survives a directory replica's death: kill -9 the replica on a"
  kill -9 "${AMX_REPLICA[a]}"; wait "${AMX_REPLICA[a]}" 2>/dev/null || true
  sleep 1
  show_again b mkd /home/bob
  show_again c dir /home
  echo
  echo "==> soap-server on a again: it takes the state from b and c, then serves"
  amx_replica a
  grep -h "caught up" "$W/soap-a.log" | sed 's/.*caught up/    caught up/' || true
  show a dir /home
fi

if [[ -n ${KEEP:-} ]]; then
  echo
  echo "==> the system keeps running. Use it from host b with:"
  echo "    export AMUNIX_SOCKET=$W/b/amunixd.sock PATH=$BIN:\$PATH"
  echo "    dir -l /; mkd /home/you; put /home/you/f < file; get /home/you/f"
  echo "    kernel node consoles: $W/node0.console, $W/node1.console"
  [[ -z ${AMX_KEYED:-} ]] || echo "    another host joins the segment with: amunixd --link ${amx_seg}"
  echo "==> stop it with: kill ${AMX_SERVER_PIDS[*]} ${AMX_PID[*]} ${AMX_NODE_PID[*]}"
  trap - EXIT
  exit 0
fi
echo
echo "==> stopping servers and hosts"
amx_stop_all && echo "==> stopped cleanly"
