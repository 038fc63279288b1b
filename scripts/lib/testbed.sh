# Shared by scripts/ax-test.sh, vdisk-test.sh and vdisk-bench.sh (sourced,
# not run): an amunixd and QEMU kernel nodes on one Ethernet-in-UDP
# multicast segment on loopback (no root), each test on a segment of its
# own so that they can run side by side.
#
# Needs BIN (the build's bin folder), W (a scratch folder), group and port
# (the segment) set. Every process started is added to PIDS, for the
# caller's cleanup.

# tb_amunixd NAME: amunixd NAME, its state (socket, host.cap, sys.cap, ...)
# in $W/NAME; returns once it is up.
tb_amunixd() {
  local name=$1
  mkdir -p "$W/$name"
  "$BIN/amunixd" --link "mcast:$group:$port,local=127.0.0.1,ttl=0" --socket "$W/$name/amunixd.sock" --name "$name" \
    --log-level warning >>"$W/$name.log" 2>&1 &
  PIDS="$PIDS $!"
  for _ in $(seq 200); do [[ -S "$W/$name/amunixd.sock" && -f "$W/$name/sys.cap" ]] && return 0; sleep 0.05; done
  echo "amunixd $name did not start:"; tail "$W/$name.log"; return 1
}

# tb_node_start NAME CONSOLE [kernel-run options and words...]: boots the
# kernel node NAME (state folder $W/NAME) on the segment, its console to
# the file CONSOLE; its pid (QEMU's, in the end) in NODEPID.
tb_node_start() {
  local name=$1 console=$2; shift 2
  (KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" exec scripts/kernel-run.sh --link "mcast:$group:$port" --state "$W/$name" "$@" \
    </dev/null >"$console" 2>&1) &
  NODEPID=$!
  PIDS="$PIDS $NODEPID"
}

# tb_node_wait CONSOLE: returns once the node writing CONSOLE is up.
tb_node_wait() {
  for _ in $(seq 600); do grep -q "console idle" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "the node writing $1 did not come up:"; tail "$1"; return 1
}

# tb_node_kill PID: QEMU ended at once (SIGKILL), as a power failure.
tb_node_kill() {
  pkill -9 -P "$1" 2>/dev/null; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null
}
