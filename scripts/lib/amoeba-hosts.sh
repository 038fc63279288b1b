# Shared by scripts/demo.sh and scripts/shell-tests.sh (sourced, not run):
# start Linux hosts as amunixd daemons on one Ethernet-in-UDP multicast
# segment on loopback (no root), run the directory and file servers on one
# of them, set up the name space, and run tools as if logged in on a host.
#
# Needs: BIN (the build's bin folder) and W (a scratch folder) set.

declare -A AMX_PID
declare -A AMX_NODE_PID
AMX_SERVER_PIDS=()
amx_seg="mcast:239.255.$(( $$ % 250 )).7:$(( 30000 + ($$ % 2000) * 3 )),local=127.0.0.1,ttl=0"
# AMX_KEYED=1: the segment is private, every datagram sealed with a key
# only this user can read ($W/segment.key, 0600; SECURITY.md), so another
# local user can neither read the capabilities on it nor write to it.
if [[ -n ${AMX_KEYED:-} ]]; then
  (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$W/segment.key")
  amx_seg+=",key=$W/segment.key"
fi

# amx_start HOST [amunixd options...]: start a host's daemon; its state
# (socket, .cap files, root.cap) goes to $W/HOST.
amx_start() {
  local h=$1; shift
  mkdir -p "$W/$h"
  rm -f "$W/$h/sys.cap"
  "$BIN/amunixd" --link "$amx_seg" --socket "$W/$h/amunixd.sock" --name "$h" \
    --log-level warning "$@" >>"$W/$h.log" 2>&1 &
  AMX_PID[$h]=$!
  for _ in $(seq 200); do
    [[ -S "$W/$h/amunixd.sock" && -f "$W/$h/sys.cap" ]] && return 0
    sleep 0.05
  done
  echo "amunixd on $h did not start:"; cat "$W/$h.log"; return 1
}

# amx_node NAME [kernel words...]: boot a kernel node in QEMU on the same
# segment; its state folder (host secret, host.cap) is $W/NAME, its
# console $W/NAME.console. Returns once the node is up.
amx_node() {
  local n=$1; shift
  mkdir -p "$W/$n"
  KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" scripts/kernel-run.sh --link "$amx_seg" --state "$W/$n" "$@" \
    </dev/null >"$W/$n.console" 2>&1 &
  AMX_NODE_PID[$n]=$!
  for _ in $(seq 600); do
    grep -q "console idle" "$W/$n.console" 2>/dev/null && return 0
    kill -0 "${AMX_NODE_PID[$n]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "kernel node $n did not come up:"; tail -20 "$W/$n.console"; return 1
}

# amx_on HOST COMMAND...: run a program against HOST's daemon.
amx_on() {
  local h=$1; shift
  AMUNIX_SOCKET="$W/$h/amunixd.sock" "$@"
}

# amx_tool HOST TOOL ARGS...: run one of the built tools on HOST.
amx_tool() {
  local h=$1 t=$2; shift 2
  AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/$t" "$@"
}

# amx_server HOST soap|bullet: start a server on HOST with its store in
# $W/store-KIND; sets AMX_SOAP or AMX_BULLET to its pid.
amx_server() {
  local h=$1 kind=$2
  local extra=()
  # AMX_BULLET_OPTS / AMX_SOAP_OPTS: more options for that server.
  local var="AMX_${kind^^}_OPTS"
  [[ -n ${!var:-} ]] && read -ra extra <<<"${!var}"
  AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/$kind-server" "$W/store-$kind" --threads 4 \
    --log-level warning "${extra[@]}" >>"$W/$kind.log" 2>&1 &
  local pid=$!
  AMX_SERVER_PIDS+=("$pid")
  if [[ $kind == soap ]]; then AMX_SOAP=$pid; else AMX_BULLET=$pid; fi
  for _ in $(seq 200); do
    [[ -f "$W/store-$kind/super.cap" ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "$kind-server on $h did not start:"; cat "$W/$kind.log"; return 1
}

# amx_replica HOST: start soap-server --replicated on HOST with its store in
# $W/store-soap (the first replica, creating the replicas' group) or
# $W/store-soap-HOST (a copy amx_init made); returns once it serves.
amx_replica() {
  local h=$1 store="$W/store-soap-$1" before n
  [[ -d $store ]] || store="$W/store-soap"
  before=$(grep -c "serving" "$W/soap-$h.log" 2>/dev/null || true)
  AMUNIX_SOCKET="$W/$h/amunixd.sock" "$BIN/soap-server" "$store" --replicated --threads 4 \
    --log-level info >>"$W/soap-$h.log" 2>&1 &
  local pid=$!
  AMX_SERVER_PIDS+=("$pid")
  AMX_REPLICA[$h]=$pid
  for _ in $(seq 300); do
    n=$(grep -c "serving" "$W/soap-$h.log" 2>/dev/null || true)
    (( ${n:-0} > ${before:-0} )) && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "soap-server replica on $h did not start:"; cat "$W/soap-$h.log"; return 1
}
declare -A AMX_REPLICA

# amx_init SERVERHOST HOST...: a fresh name space listing the hosts, the
# root published in every host's state folder (and /bin from AMX_BIN_DIR).
# AMX_SOAP_REPLICAS="b c": copies of the directory store for replicas there.
amx_init() {
  local on=$1; shift
  local args=() r replicas=""
  for h in "$@"; do args+=(--host "$h=$W/$h" --publish "$W/$h"); done
  for r in ${AMX_SOAP_REPLICAS:-}; do replicas+="${replicas:+,}$W/store-soap-$r"; done
  [[ -n $replicas ]] && args+=(--soap-replicas "$replicas")
  # AMX_BIN_DIR: a folder of Amoeba binaries to store as /bin (for ax).
  [[ -n ${AMX_BIN_DIR:-} ]] && args+=(--bin "$AMX_BIN_DIR")
  "$BIN/amoeba-init" --soap-store "$W/store-soap" --bullet-store "$W/store-bullet" \
    --servers-on "$on" --root-file "$W/root.cap" "${args[@]}"
}

# amx_init_disk NODE IMAGE HOST...: the same name space built into the disk
# image of the kernel node NODE, not yet booted (its state folder is made
# here), for the node's own directory and file servers.
amx_init_disk() {
  local node=$1 image=$2; shift 2
  local args=()
  for h in "$@"; do args+=(--host "$h=$W/$h" --publish "$W/$h"); done
  [[ -n ${AMX_BIN_DIR:-} ]] && args+=(--bin "$AMX_BIN_DIR")
  KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" scripts/kernel-run.sh --link "$amx_seg" --state "$W/$node" --prepare >/dev/null || return 1
  "$BIN/amoeba-init" --disk "$image" --disk-size "${AMX_DISK_SIZE:-64M}" --servers-on "$node" \
    --root-file "$W/root.cap" "${args[@]}"
}

# amx_node_servers NAME: waits until the kernel node NAME, booted with
# `servers`, serves the name space from its disk.
amx_node_servers() {
  local n=$1
  for _ in $(seq 300); do
    grep -q "^\[servers\] soap" "$W/$n.console" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "kernel node $n serves no name space:"; grep servers "$W/$n.console"; return 1
}

# amx_stop_all: SIGTERM servers, then daemons; wait for each.
amx_stop_all() {
  local p rc=0
  for p in "${AMX_SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${AMX_SERVER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  AMX_SERVER_PIDS=()
  for h in "${!AMX_PID[@]}"; do kill "${AMX_PID[$h]}" 2>/dev/null; done
  for h in "${!AMX_PID[@]}"; do wait "${AMX_PID[$h]}" 2>/dev/null || rc=1; unset "AMX_PID[$h]"; done
  # A kernel node is switched off, as a machine is: QEMU ends on SIGTERM.
  for n in "${!AMX_NODE_PID[@]}"; do kill "${AMX_NODE_PID[$n]}" 2>/dev/null; done
  for n in "${!AMX_NODE_PID[@]}"; do wait "${AMX_NODE_PID[$n]}" 2>/dev/null; unset "AMX_NODE_PID[$n]"; done
  return $rc
}

# amx_kill_all: for traps; nothing survives.
amx_kill_all() {
  local p
  for p in "${AMX_SERVER_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  for h in "${!AMX_PID[@]}"; do kill -9 "${AMX_PID[$h]}" 2>/dev/null; done
  for n in "${!AMX_NODE_PID[@]}"; do kill -9 "${AMX_NODE_PID[$n]}" 2>/dev/null; done
  wait 2>/dev/null
}
