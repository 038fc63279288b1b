#!/usr/bin/env bash
# Benchmarks amunixd against its floors and a peer, side by side in one run,
# between two network namespaces joined by a veth pair (root):
#   raw AF_PACKET frame ping-pong and streaming, UDP ping-pong, a gRPC Swift
#   unary call, and amunixd (pcap links) null transactions and 30000-byte
#   transactions; the same transactions between programs that each run
#   their own FLIP endpoint (rpc_bench --link pcap:v0), no daemon in the
#   path; and `put`/`get` of a 50 MB file through a Bullet server on the
#   other host against TCP over the same link into a file with fsync,
#   once with Ethernet's frames and once with jumbo frames (the veth's MTU
#   and every FLIP link's mtu= at BENCH_JUMBO_MTU, default 9000; 0 skips).
#   Prints a table and the ratios the issue sets as targets.
# Beside the AF_PACKET ping-pong, the same ping-pong with a third frame per
# round as a transaction's ACK (FLIP RPC crosses the link three times), on
# raw frames and on the endpoint's I/O path: the floor of any design that
# speaks the protocol, and the part of a transaction's time that is the
# kernel's and not our code's.
# The floor, the endpoint's I/O path and the endpoints are launched three
# times each, in turn, and the fastest launch kept (see LAUNCHES below).
# Every latency is measured with its processes pinned, in two placements,
# each beside the AF_PACKET floor in the same placement: "one vCPU" (every
# process on CPU 0) and "two vCPUs" (the client side, its daemon and
# program, on CPU 0; the server side on CPU 1). Unpinned, the floor itself
# swung from 10 to 57 µs as the scheduler chose. CPU per transaction is
# given for every process in the path, and the protocol machines' cost in
# instructions (valgrind), which does not move with the machine's load.
# Usage: scripts/amunix-bench.sh [COUNT]   (default 5000 round trips each)
#        BENCH_PEERS_BIN=DIR scripts/amunix-bench.sh   (reuse built peers)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5000}"
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, raw sockets)"; exit 1; }
echo "building (release)..."
swift build -c release --product amunixd 2>&1 | grep -E "error" || true
swift build -c release --product rpc_bench 2>&1 | grep -E "error" || true
for p in put get del bullet-server soap-server amoeba-init; do
  swift build -c release --product "$p" 2>&1 | grep -E "error" || true
done
BIN=$(swift build -c release --show-bin-path)
# The peers' package (gRPC) takes long to build; BENCH_PEERS_BIN may name
# a folder where floors and grpc_bench were built before.
if [[ -n ${BENCH_PEERS_BIN:-} ]]; then
  BBIN=$BENCH_PEERS_BIN
else
  (cd Benchmarks && swift build -c release 2>&1 | grep -E "error" || true)
  BBIN=$(cd Benchmarks && swift build -c release --show-bin-path)
fi
W=$(mktemp -d /tmp/amunix-bench.XXXXXX)
A="amxb$$a"; B="amxb$$b"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
ip netns add "$A"; ip netns add "$B"
ip link add "amxb$$x" type veth peer name "amxb$$y"
ip link set "amxb$$x" netns "$A"; ip link set "amxb$$y" netns "$B"
ip -n "$A" link set "amxb$$x" name v0; ip -n "$B" link set "amxb$$y" name v0
for n in "$A" "$B"; do ip -n "$n" link set lo up; ip -n "$n" link set v0 up; done
ip -n "$A" addr add 10.231.77.1/24 dev v0
ip -n "$B" addr add 10.231.77.2/24 dev v0
MAC_B=$(ip netns exec "$B" cat /sys/class/net/v0/address)
sleep 1
inA() { ip netns exec "$A" "$@"; }
inB() { ip netns exec "$B" "$@"; }
start_bg() { local ns=$1; shift; ip netns exec "$ns" "$@" >/dev/null 2>&1 & PIDS+=($!); sleep 0.5; }
stopbg() { kill "${PIDS[-1]}" 2>/dev/null || true; wait "${PIDS[-1]}" 2>/dev/null || true; unset 'PIDS[-1]'; }

declare -A P50 P99 TP MEAN
read_lat() { # name line
  local l=$2; P50[$1]=$(awk '{printf "%.1f", $2}' <<<"$l"); P99[$1]=$(awk '{printf "%.1f", $3}' <<<"$l")
}

# Placement: the CPUs of the client side (A) and the server side (B).
CPUS_A=0; CPUS_B=0
place() { if [[ $1 == one ]]; then CPUS_A=0; CPUS_B=0; else CPUS_A=0; CPUS_B=$(( $(nproc) > 1 ? 1 : 0 )); fi; }
pinA() { ip netns exec "$A" taskset -c "$CPUS_A" "$@"; }
pinB() { ip netns exec "$B" taskset -c "$CPUS_B" "$@"; }
# A simple command, so that $! is the program itself (ip, taskset and env exec it).
start_pinned() {
  local ns=$A cpus=$CPUS_A
  [[ $1 == B ]] && { ns=$B; cpus=$CPUS_B; }
  shift
  ip netns exec "$ns" taskset -c "$cpus" "$@" >/dev/null 2>&1 & PIDS+=($!); sleep 0.5
}
# CPU time (ns) a process's threads have used, summed in floating point
# (mawk's integers stop at 2^31).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }
per_tx() { echo $(( ($2 - $1) / $3 / 1000 )); }   # ns before, after, transactions -> µs each

median() { tr ' ' '\n' <<<"$*" | awk NF | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else print v[int((NR + 1) / 2)] }'; }
# Each launch of a ping-pong lands in a mode of its own on this VM: in one
# run the floor read 6.8, 4.6 and 4.7 µs in three launches a minute apart,
# and the endpoint 8.4, 8.5 and 12.6 µs; the modes of the floor's launch
# and the endpoint's are drawn apart. A single launch of each compared
# whichever modes they drew, and so can a median of each (floor 7.3, 4.7,
# 6.9 and endpoint 12.6, 8.4, 8.2 gave medians of a slow floor and a fast
# endpoint). So the floor, the endpoint's I/O path and the endpoints are
# launched BENCH_LAUNCHES times (default 3) in turn, and each row keeps
# its fastest launch (its p50, with that launch's p99 and mean), the best
# each could do, and prints them all.
LAUNCHES=${BENCH_LAUNCHES:-3}
declare -A P50S LAUNCHED CPUS_SERVER CPUS_CLIENT TPS
add_lat() { # name "p50 p99 [mean]"
  P50S[$1]+=" $(awk '{printf "%.1f", $1}' <<<"$2")"
  LAUNCHED[$1]+="$(awk '{printf "%.1f %.1f %s", $1, $2, ($3 == "" ? "n/a" : $3)}' <<<"$2");"
}
keep_fastest() { # name
  local best
  best=$(tr ';' '\n' <<<"${LAUNCHED[$1]:-}" | awk NF | sort -g -k1,1 | head -1)
  [[ -n $best ]] || best="n/a n/a n/a"
  read -r P50[$1] P99[$1] MEAN[$1] <<<"$best"
}
# 30000-byte transactions: three runs against the same server, the median
# kept (TP) and all printed (TPS).
throughput3() { # name, then rpc_bench load's arguments
  local name=$1 s="" l
  shift
  for _ in 1 2 3; do
    l=$(pinA "$BIN/rpc_bench" load "$@" || true)
    s+=" $(awk '{print $3}' <<<"$l")"
  done
  TPS[$name]=$s
  TP[$name]=$(median $s)
}
wait_cap() { for _ in $(seq 100); do [[ -f $1 ]] && break; sleep 0.05; done; }

declare -A CPU
for placement in one two; do
  place "$placement"
  for launch in $(seq "$LAUNCHES"); do
    echo "[$placement] launch $launch of $LAUNCHES: raw AF_PACKET ping-pong, an own endpoint's I/O path, own endpoints..."
    start_pinned B "$BBIN/floors" packet-echo v0
    add_lat "packet.$placement" "$(pinA "$BBIN/floors" packet-ping v0 "$MAC_B" 64 "$N" | awk '{print $2, $3}')"
    # A FLIP transaction crosses the link three times: the client
    # acknowledges every reply (Amoeba's protocol; ClientCall.swift), its
    # ACK leaving with the next request in one send through the transmit
    # ring. The same ping-pong with that third frame, sent the same way
    # (floors' TxRing.swift), is the floor of any design that speaks the
    # protocol: it has the frames and the switches of a transaction and
    # none of its work.
    add_lat "packet3.$placement" "$(pinA "$BBIN/floors" packet-ping v0 "$MAC_B" 64 "$N" with | awk '{print $2, $3}')"
    stopbg
    # The same ping-pong through an own endpoint's I/O path (its link as
    # --link opens it, its wait, its send), no protocol: between this row
    # and the endpoint's lies the node; between it and the one above, the
    # I/O. Station addresses no FLIP box uses (rpc_bench/LinkFloor.swift).
    start_pinned B "$BIN/rpc_bench" link-echo --link pcap:v0 --mac 02:00:00:00:0e:02
    add_lat "linkio.$placement" "$(pinA "$BIN/rpc_bench" link-ping --link pcap:v0 --mac 02:00:00:00:0e:01 --to 02:00:00:00:0e:02 --count "$N" | awk '{print $2, $3}')"
    add_lat "linkio3.$placement" "$(pinA "$BIN/rpc_bench" link-ping --link pcap:v0 --mac 02:00:00:00:0e:01 --to 02:00:00:00:0e:02 --count "$N" --acknowledge | awk '{print $2, $3}')"
    stopbg
    # The transactions with no daemon in the path: each program runs its
    # own FLIP endpoint on its own packet socket (AmunixEndpoint).
    rm -f "$W/endpoint.cap"
    start_pinned B "$BIN/rpc_bench" serve --threads 1 --link pcap:v0 "$W/endpoint.cap"
    SV=${PIDS[-1]}
    wait_cap "$W/endpoint.cap"
    cs=$(cpu_ns "$SV")
    l=$(pinA /usr/bin/time -f "cpu %U %S" -o "$W/client.time" \
        "$BIN/rpc_bench" load --link pcap:v0 --size 0 --count "$N" --warmup 200 --brief "$W/endpoint.cap")
    total=$((N + 200))
    CPUS_SERVER[$placement]+=" $(per_tx "$cs" "$(cpu_ns "$SV")" $total)"
    CPUS_CLIENT[$placement]+=" $(awk -v n=$total '/^cpu/ { printf "%.0f", ($2 + $3) * 1e6 / n }' "$W/client.time")"
    add_lat "endpoint.$placement" "$(awk '{print $1, $2, $6}' <<<"$l")"
    stopbg
  done
  for k in packet packet3 linkio linkio3 endpoint; do keep_fastest "$k.$placement"; done
  CPU[endpoint.$placement]="server program $(median ${CPUS_SERVER[$placement]}) µs, client program $(median ${CPUS_CLIENT[$placement]}) µs"
  echo "[$placement] measuring amunixd..."
  rm -rf "$W/a" "$W/b"; mkdir -p "$W/a" "$W/b"
  start_pinned A "$BIN/amunixd" --link pcap:v0 --socket "$W/a/amunixd.sock" --name a --log-level warning
  DA=${PIDS[-1]}
  start_pinned B "$BIN/amunixd" --link pcap:v0 --socket "$W/b/amunixd.sock" --name b --log-level warning
  DB=${PIDS[-1]}
  rm -f "$W/bench.cap"
  start_pinned B env AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/rpc_bench" serve --threads 4 "$W/bench.cap"
  SV=${PIDS[-1]}
  wait_cap "$W/bench.cap"
  ca=$(cpu_ns "$DA"); cb=$(cpu_ns "$DB"); cs=$(cpu_ns "$SV")
  # The client's own CPU: user + system time of the program, from time(1).
  l=$(AMUNIX_SOCKET="$W/a/amunixd.sock" pinA /usr/bin/time -f "cpu %U %S" -o "$W/client.time" \
      "$BIN/rpc_bench" load --size 0 --count "$N" --warmup 200 --brief "$W/bench.cap")
  total=$((N + 200))
  CPU[$placement]="client host's amunixd $(per_tx "$ca" "$(cpu_ns "$DA")" $total) µs, server host's amunixd $(per_tx "$cb" "$(cpu_ns "$DB")" $total) µs, server program $(per_tx "$cs" "$(cpu_ns "$SV")" $total) µs, client program $(awk -v n=$total '/^cpu/ { printf "%.0f", ($2 + $3) * 1e6 / n }' "$W/client.time") µs"
  P50[amunix.$placement]=$(awk '{print $1}' <<<"$l"); P99[amunix.$placement]=$(awk '{print $2}' <<<"$l")
  MEAN[amunix.$placement]=$(awk '{print $6}' <<<"$l")
  if [[ $placement == two ]]; then
    AMUNIX_SOCKET="$W/a/amunixd.sock" throughput3 amunix1 --size 30000 --count 2000 --warmup 50 --oneway --brief "$W/bench.cap"
    AMUNIX_SOCKET="$W/a/amunixd.sock" throughput3 amunix4 --size 30000 --count 4000 --threads 4 --warmup 50 --oneway --brief "$W/bench.cap"
  fi
  stopbg; stopbg; stopbg
  if [[ $placement == two ]]; then
    echo "[two] measuring 30000-byte transactions between own endpoints..."
    rm -f "$W/endpoint.cap"
    start_pinned B "$BIN/rpc_bench" serve --threads 1 --link pcap:v0 "$W/endpoint.cap"
    wait_cap "$W/endpoint.cap"
    throughput3 endpoint1 --link pcap:v0 --size 30000 --count 2000 --warmup 50 --oneway --brief "$W/endpoint.cap"
    stopbg
    # Transactions in flight: four client threads on one endpoint, and a
    # server with four threads on its own.
    rm -f "$W/endpoint.cap"
    start_pinned B "$BIN/rpc_bench" serve --threads 4 --link pcap:v0 "$W/endpoint.cap"
    wait_cap "$W/endpoint.cap"
    throughput3 endpoint4 --link pcap:v0 --size 30000 --count 4000 --threads 4 --warmup 50 --oneway --brief "$W/endpoint.cap"
    # One client thread with eight calls in flight (the endpoint's
    # pipeline, as put and get keep their pieces in flight).
    throughput3 endpointp8 --link pcap:v0 --size 30000 --count 4000 --pipeline 8 --warmup 50 --oneway --brief "$W/endpoint.cap"
    stopbg
  fi
done

place two
echo "[two] measuring raw AF_PACKET streaming..."
# Three runs, the median kept: one run swung from 760 to 1,240 MB/s here.
start_pinned B "$BBIN/floors" packet-sink v0
STREAMS=""
for _ in 1 2 3; do
  l=$(pinA "$BBIN/floors" packet-stream v0 "$MAC_B" 60000000)
  STREAMS+=" $(awk '{printf "%.1f", $2}' <<<"$l")"
done
TP[packet]=$(tr ' ' '\n' <<<"$STREAMS" | grep -v '^$' | sort -g | sed -n 2p)
stopbg
echo "[two] measuring UDP ping-pong..."
start_pinned B "$BBIN/floors" udp-echo 9000
read_lat udp "$(pinA "$BBIN/floors" udp-ping 10.231.77.2 9000 64 "$N")"
stopbg
if [[ -x "$BBIN/grpc_bench" ]]; then
  echo "[two] measuring gRPC Swift unary..."
  start_pinned B "$BBIN/grpc_bench" serve 10.231.77.2 9001
  sleep 2
  read_lat grpc "$(pinA "$BBIN/grpc_bench" call 10.231.77.2 9001 0 "$N")"
  stopbg
else
  echo "grpc_bench not built: gRPC row left empty"; P50[grpc]=n/a; P99[grpc]=n/a
fi

echo "measuring the protocol machines alone..."
CORE0=$("$BIN/rpc_bench" core --size 0 --count 20000 --brief | awk '{print $1}')
CORE30=$("$BIN/rpc_bench" core --size 30000 --count 2000 --brief | awk '{print $1}')
# Instructions, deterministic: the difference between two counts under
# valgrind cancels start-up.
instructions() { # size small large
  local a b
  a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN/rpc_bench" core --size "$1" --count "$2" --warmup 0 --brief 2>&1 >/dev/null | awk '/Collected/ { print $NF }')
  b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN/rpc_bench" core --size "$1" --count "$3" --warmup 0 --brief 2>&1 >/dev/null | awk '/Collected/ { print $NF }')
  awk -v a="$a" -v b="$b" -v n=$(( $3 - $2 )) 'BEGIN { if (a > 0 && b > 0) printf "%.0f", (b - a) / n; else print "n/a" }'
}
if command -v valgrind >/dev/null; then
  echo "counting the protocol machines' instructions (valgrind)..."
  INS0=$(instructions 0 1000 3000); INS30=$(instructions 30000 100 300)
else
  INS0="n/a (no valgrind)"; INS30="n/a"
fi


# ---- files: put/get of 50 MB against TCP into a file with fsync -----------
# Host b runs the directory and Bullet file servers behind its amunixd; a
# 50 MB file goes from a to b with `put` and back with `get`, and as the
# floor the same bytes cross the same veth over TCP into a file on b that
# is fsynced before the sender hears the end. All on ext4 or whatever
# $TMPDIR is (printed). Two vCPUs: a's side on CPU 0, b's on CPU 1.
# What each clock covers:
#   put: the whole `put` process on a: its lookups in the directory on b,
#        reading the file on a (in the page cache), the CREATE/MODIFY
#        transactions, the commit (Bullet writes the file and fsyncs it and
#        its folder before it answers) and entering the row;
#   get: the whole `get` process (four READs in flight, its default)
#        writing to a file on a, then `sync FILE` (fsync of that file),
#        both inside the clock;
#   TCP: the whole `floors tcp-send` process on a, from connect to the
#        sink's ack, the sink writing 1 MiB at a time and fsyncing once at
#        the end. Timed as the tools are, from outside the process and the
#        namespace's entry (ip netns exec, taskset: about 7 ms here), so
#        that the ratio compares like with like; the sender's own clock
#        (connect to ack, no process start) is printed beside it.
# Each kind runs once unmeasured first: on this VM the first runs after the
# servers start pay for memory the guest has not touched yet (a first put
# took 2-3x the CPU of the next), whichever program comes first. For the
# same reason each round's put finds the last round's file deleted (del,
# outside the clock), as the TCP sink finds its file truncated: a server
# that kept every round's 50 MB wrote each new file into page cache the
# guest had handed back to the host, and from the fourth round on its
# writes cost 3x the CPU (copy_folio_from_iter: 67% of it), for TCP and
# put alike whenever it struck.
place two
FILE_BYTES=50000000
FILE_ROUNDS=3
declare -A FILE_MBPS SMALL_MS
mbps() { awk -v b="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.1f", b / (t1 - t0) / 1e6 }'; }
head -c "$FILE_BYTES" /dev/urandom >"$W/file.in"
# One pass of the files' rows on a veth of MTU $1: at 1500 every link is
# Ethernet's (Amoeba's frames); at more, every FLIP station on the veth
# (both amunixds, the servers' and tools' own endpoints) takes the same
# mtu= option (jumbo frames, amunixd --help), and TCP runs over the same
# veth at that MTU. Results go in FILE_MBPS under "KIND.MTU".
file_pass() {
  local mtu=$1 opt="" n
  [[ $mtu != 1500 ]] && opt=",mtu=$mtu"
  for n in "$A" "$B"; do ip -n "$n" link set v0 mtu "$mtu"; done
  local link="pcap:v0$opt"
  echo "[two] measuring put/get of $((FILE_BYTES / 1000000)) MB against TCP with fsync, veth MTU $mtu, links $link ($(df --output=fstype "$W" | tail -1) at $W)..."
  rm -rf "$W/a" "$W/b" "$W/store-soap" "$W/store-bullet"; mkdir -p "$W/a" "$W/b"
  local before=${#PIDS[@]} ok=1 round t0 t1 l bullet
  # The transactions alone at this MTU, as the endpoint rows above (and
  # like them with nothing else on the veth): what the frames' size does
  # without a file server or tool in the path.
  if [[ $mtu != 1500 ]]; then
    rm -f "$W/endpoint.cap"
    start_pinned B "$BIN/rpc_bench" serve --threads 4 --link "$link" "$W/endpoint.cap"
    wait_cap "$W/endpoint.cap"
    throughput3 "endpoint4.$mtu" --link "$link" --size 30000 --count 4000 --threads 4 --warmup 50 --oneway --brief "$W/endpoint.cap"
    throughput3 "endpointp8.$mtu" --link "$link" --size 30000 --count 4000 --pipeline 8 --warmup 50 --oneway --brief "$W/endpoint.cap"
    stopbg
  fi
  start_pinned A "$BIN/amunixd" --link "$link" --socket "$W/a/amunixd.sock" --name a --log-level warning
  start_pinned B "$BIN/amunixd" --link "$link" --socket "$W/b/amunixd.sock" --name b --log-level warning
  for _ in $(seq 100); do [[ -f "$W/a/sys.cap" && -f "$W/b/sys.cap" ]] && break; sleep 0.05; done
  "$BIN/amoeba-init" --soap-store "$W/store-soap" --bullet-store "$W/store-bullet" --servers-on b \
    --host a="$W/a" --publish "$W/a" --host b="$W/b" --publish "$W/b" --root-file "$W/root.cap" \
    >"$W/init.log" 2>&1 || { ok=0; echo "amoeba-init failed:"; cat "$W/init.log"; }
  for kind in soap bullet; do
    ip netns exec "$B" taskset -c "$CPUS_B" env AMUNIX_SOCKET="$W/b/amunixd.sock" "$BIN/$kind-server" \
      "$W/store-$kind" --threads 4 --log-level warning >"$W/$kind.log" 2>&1 & PIDS+=($!)
    if [[ $kind == bullet ]]; then bullet=$!; fi
    for _ in $(seq 200); do [[ -f "$W/store-$kind/super.cap" ]] && break; sleep 0.05; done
  done
  for round in $(seq 0 "$FILE_ROUNDS"); do
    ((ok)) || break
    ((round > 0)) && { onA "$BIN/del" /home/bench.file || true; }
    t0=$(date +%s.%N)
    if ! onA "$BIN/put" -f /home/bench.file <"$W/file.in" 2>"$W/put.err"; then
      ok=0; echo "put failed: $(cat "$W/put.err")"; break
    fi
    t1=$(date +%s.%N)
    ((round > 0)) && FILE_MBPS[put.$mtu]+=" $(mbps "$FILE_BYTES" "$t0" "$t1")"
    rm -f "$W/file.out"
    t0=$(date +%s.%N)
    if ! onA sh -c "\"\$0\" /home/bench.file >\"\$1\" && sync \"\$1\"" "$BIN/get" "$W/file.out" 2>"$W/get.err"; then
      ok=0; echo "get failed: $(cat "$W/get.err")"; break
    fi
    t1=$(date +%s.%N)
    ((round > 0)) && FILE_MBPS[get.$mtu]+=" $(mbps "$FILE_BYTES" "$t0" "$t1")"
    cmp -s "$W/file.in" "$W/file.out" || { ok=0; echo "get returned other bytes than put stored"; break; }
  done
  # The same with no daemon in the file's path: the Bullet server on a FLIP
  # endpoint of its own on b, put and get each on one of their own on a
  # (--link; their few name look-ups still go through a's amunixd).
  if ((ok)); then
    kill "$bullet" 2>/dev/null || true
    sleep 0.5
    ip netns exec "$B" taskset -c "$CPUS_B" "$BIN/bullet-server" "$W/store-bullet" --link "$link" --threads 4 \
      --log-level warning >"$W/bullet-ep.log" 2>&1 & PIDS+=($!)
    sleep 1
    for round in $(seq 0 "$FILE_ROUNDS"); do
      onA "$BIN/del" /home/bench.file || true
      t0=$(date +%s.%N)
      onA "$BIN/put" -f --link "$link" /home/bench.file <"$W/file.in" 2>"$W/put.err" || { echo "put (endpoint) failed: $(cat "$W/put.err")"; break; }
      t1=$(date +%s.%N)
      ((round > 0)) && FILE_MBPS[put.ep.$mtu]+=" $(mbps "$FILE_BYTES" "$t0" "$t1")"
      t0=$(date +%s.%N)
      onA sh -c "\"\$0\" --link \"\$2\" /home/bench.file >\"\$1\" && sync \"\$1\"" "$BIN/get" "$W/file.out" "$link" 2>"$W/get.err" \
        || { echo "get (endpoint) failed: $(cat "$W/get.err")"; break; }
      t1=$(date +%s.%N)
      cmp -s "$W/file.in" "$W/file.out" || { echo "get (endpoint) returned other bytes"; break; }
      ((round > 0)) && FILE_MBPS[get.ep.$mtu]+=" $(mbps "$FILE_BYTES" "$t0" "$t1")"
    done
  fi
  # What a tool run costs besides its bytes: put and get of 1 KB, each
  # whole process timed, through amunixd and on endpoints of their own.
  if ((ok)) && [[ $mtu == 1500 ]]; then
    head -c 1000 /dev/urandom >"$W/small.in"
    ms() { awk -v t0="$1" -v t1="$2" 'BEGIN { printf "%.1f", (t1 - t0) * 1000 }'; }
    for round in 1 2 3 4 5; do
      for via in daemon ep; do
        local args=()
        [[ $via == ep ]] && args=(--link "$link")
        t0=$(date +%s.%N)
        onA "$BIN/put" -f "${args[@]}" /home/small.file <"$W/small.in" 2>"$W/put.err" || { echo "small put failed: $(cat "$W/put.err")"; break 2; }
        t1=$(date +%s.%N)
        onA "$BIN/get" "${args[@]}" /home/small.file >/dev/null 2>"$W/get.err" || { echo "small get failed: $(cat "$W/get.err")"; break 2; }
        SMALL_MS[put.$via]+=" $(ms "$t0" "$t1")"
        SMALL_MS[get.$via]+=" $(ms "$t1" "$(date +%s.%N)")"
      done
    done
  fi
  start_pinned B "$BBIN/floors" tcp-sink 9002 "$W/tcp.out"
  for round in $(seq 0 "$FILE_ROUNDS"); do
    t0=$(date +%s.%N)
    l=$(pinA "$BBIN/floors" tcp-send 10.231.77.2 9002 "$FILE_BYTES" || true)
    t1=$(date +%s.%N)
    ((round > 0)) && [[ $l == *"received $FILE_BYTES of"* ]] || continue
    FILE_MBPS[tcp.$mtu]+=" $(mbps "$FILE_BYTES" "$t0" "$t1")"
    FILE_MBPS[tcpown.$mtu]+=" $(awk '{printf "%.1f", $2}' <<<"$l")"
  done
  while ((${#PIDS[@]} > before)); do stopbg; done
  rm -f "$W/file.out" "$W/tcp.out"
  for k in put get tcp tcpown put.ep get.ep; do TP[file.$k.$mtu]=$(median ${FILE_MBPS[$k.$mtu]:-}); done
  ((ok)) || { TP[file.put.$mtu]=n/a; TP[file.get.$mtu]=n/a; }
}
onA() { AMUNIX_SOCKET="$W/a/amunixd.sock" pinA "$@"; }
# Jumbo frames (LinkMTU.swift) need every station on the segment set alike,
# so they are a row of their own beside Ethernet's frames, not instead.
JUMBO=${BENCH_JUMBO_MTU:-9000}
file_pass 1500
[[ $JUMBO != 0 && $JUMBO != 1500 ]] && file_pass "$JUMBO"
rm -f "$W/file.in"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
echo "| measurement (veth between two namespaces, pinned) | p50 µs | p99 µs | MB/s |"
echo "|---|---|---|---|"
echo "| raw AF_PACKET 64-byte frame ping-pong, one vCPU (fastest of $LAUNCHES launches:${P50S[packet.one]}) | ${P50[packet.one]} | ${P99[packet.one]} | |"
echo "| the same with a third frame per round, as a transaction's ACK, one vCPU (fastest of $LAUNCHES launches:${P50S[packet3.one]}) | ${P50[packet3.one]} | ${P99[packet3.one]} | |"
echo "| amunixd null transaction, one vCPU | ${P50[amunix.one]} | ${P99[amunix.one]} | |"
echo "| raw AF_PACKET 64-byte frame ping-pong, two vCPUs (fastest of $LAUNCHES launches:${P50S[packet.two]}) | ${P50[packet.two]} | ${P99[packet.two]} | |"
echo "| the same with a third frame per round, as a transaction's ACK, two vCPUs (fastest of $LAUNCHES launches:${P50S[packet3.two]}) | ${P50[packet3.two]} | ${P99[packet3.two]} | |"
echo "| amunixd null transaction, two vCPUs | ${P50[amunix.two]} | ${P99[amunix.two]} | |"
echo "| endpoint I/O, no protocol (rpc_bench link-ping), one vCPU (fastest of $LAUNCHES launches:${P50S[linkio.one]}) | ${P50[linkio.one]} | ${P99[linkio.one]} | |"
echo "| endpoint I/O with the third frame (link-ping --acknowledge), one vCPU (fastest of $LAUNCHES launches:${P50S[linkio3.one]}) | ${P50[linkio3.one]} | ${P99[linkio3.one]} | |"
echo "| endpoint I/O, no protocol (rpc_bench link-ping), two vCPUs (fastest of $LAUNCHES launches:${P50S[linkio.two]}) | ${P50[linkio.two]} | ${P99[linkio.two]} | |"
echo "| endpoint I/O with the third frame (link-ping --acknowledge), two vCPUs (fastest of $LAUNCHES launches:${P50S[linkio3.two]}) | ${P50[linkio3.two]} | ${P99[linkio3.two]} | |"
echo "| own FLIP endpoints (no daemon) null transaction, one vCPU (fastest of $LAUNCHES launches:${P50S[endpoint.one]}) | ${P50[endpoint.one]} | ${P99[endpoint.one]} | |"
echo "| own FLIP endpoints (no daemon) null transaction, two vCPUs (fastest of $LAUNCHES launches:${P50S[endpoint.two]}) | ${P50[endpoint.two]} | ${P99[endpoint.two]} | |"
echo "| UDP 64-byte ping-pong, two vCPUs | ${P50[udp]} | ${P99[udp]} | |"
echo "| gRPC Swift unary, empty message, two vCPUs | ${P50[grpc]} | ${P99[grpc]} | |"
echo "| raw AF_PACKET streaming, 1500-byte frames (median of 3:$STREAMS) | | | ${TP[packet]} |"
echo "| amunixd 30000-byte transactions, 1 thread (median of 3:${TPS[amunix1]}) | | | ${TP[amunix1]} |"
echo "| amunixd 30000-byte transactions, 4 threads (median of 3:${TPS[amunix4]}) | | | ${TP[amunix4]} |"
echo "| own FLIP endpoints 30000-byte transactions, 1 thread (median of 3:${TPS[endpoint1]}) | | | ${TP[endpoint1]} |"
echo "| own FLIP endpoints 30000-byte transactions, 4 threads (server: 4) (median of 3:${TPS[endpoint4]}) | | | ${TP[endpoint4]} |"
echo "| own FLIP endpoints 30000-byte transactions, one thread with 8 in flight (server: 4) (median of 3:${TPS[endpointp8]}) | | | ${TP[endpointp8]} |"
for m in 1500 ${JUMBO}; do
  [[ -n ${TP[file.tcp.$m]:-} ]] || continue
  if [[ $m == 1500 ]]; then on="veth MTU 1500, links pcap:v0"; else on="jumbo frames: veth MTU $m, links pcap:v0,mtu=$m"; fi
  echo "| put of a 50 MB file to a Bullet server on the other host (committed: on disk); $on | | | ${TP[file.put.$m]} |"
  echo "| get of it back into a file (4 READs in flight), then sync of that file; $on | | | ${TP[file.get.$m]} |"
  echo "| put, the Bullet server and put on FLIP endpoints of their own (no daemon in the path); $on | | | ${TP[file.put.ep.$m]} |"
  echo "| get, the Bullet server and get on FLIP endpoints of their own; $on | | | ${TP[file.get.ep.$m]} |"
  echo "| TCP over the same link into a file, fsync before the ack, the whole sender timed as put is; veth MTU $m | | | ${TP[file.tcp.$m]} |"
  echo "| the same, by the sender's own clock (connect to ack); veth MTU $m | | | ${TP[file.tcpown.$m]} |"
  [[ -n ${TP[endpoint4.$m]:-} ]] && echo "| own FLIP endpoints 30000-byte transactions, 4 threads (server: 4); $on (median of 3:${TPS[endpoint4.$m]}) | | | ${TP[endpoint4.$m]} |"
  [[ -n ${TP[endpointp8.$m]:-} ]] && echo "| own FLIP endpoints 30000-byte transactions, one thread with 8 in flight (server: 4); $on (median of 3:${TPS[endpointp8.$m]}) | | | ${TP[endpointp8.$m]} |"
done
echo
echo "mean of the null transactions (back-offs and retransmissions show here, not in the p50): through amunixd ${MEAN[amunix.one]:-n/a} / ${MEAN[amunix.two]:-n/a} µs, own endpoints ${MEAN[endpoint.one]:-n/a} / ${MEAN[endpoint.two]:-n/a} µs (one / two vCPUs)"
echo "CPU per null transaction, one vCPU: ${CPU[one]}"
echo "CPU per null transaction, two vCPUs: ${CPU[two]}"
echo "CPU per null transaction, own endpoints, one vCPU: ${CPU[endpoint.one]}; two vCPUs: ${CPU[endpoint.two]}"
echo "the FLIP and RPC machines alone (rpc_bench core, both ends, in memory): ${CORE0} µs and ${INS0} instructions per null transaction; ${CORE30} µs and ${INS30} instructions per 30000-byte one"
echo "a 1 KB put / get, whole tool runs (median of 5, ms): through amunixd $(median ${SMALL_MS[put.daemon]:-}) / $(median ${SMALL_MS[get.daemon]:-}); own endpoints $(median ${SMALL_MS[put.ep]:-}) / $(median ${SMALL_MS[get.ep]:-})"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
best=$(printf '%s\n' "${TP[amunix1]}" "${TP[amunix4]}" "${TP[endpoint1]}" "${TP[endpoint4]}" "${TP[endpointp8]}" | sort -g | tail -1)
echo "null transaction p50 / AF_PACKET p50, one vCPU  = $(ratio "${P50[amunix.one]}" "${P50[packet.one]}") through amunixd, $(ratio "${P50[endpoint.one]}" "${P50[packet.one]}") own endpoints (target <= 1.3)"
pairs() { # placement [row]: each launch's row (the endpoints) p50 over its own floor's
  paste -d' ' <(tr ' ' '\n' <<<"${P50S[${2:-endpoint}.$1]}" | awk NF) <(tr ' ' '\n' <<<"${P50S[packet.$1]}" | awk NF) |
    awk '{ printf " %.2f", $1 / $2 }'
}
echo "null transaction p50 / AF_PACKET p50, two vCPUs = $(ratio "${P50[amunix.two]}" "${P50[packet.two]}") through amunixd, $(ratio "${P50[endpoint.two]}" "${P50[packet.two]}") own endpoints (target <= 1.3)"
echo "  launch by launch, own endpoints over the floor of the same launch:$(pairs one) (one vCPU);$(pairs two) (two vCPUs)"
echo "three-frame floor p50 / AF_PACKET p50 (no protocol work at all) = $(ratio "${P50[packet3.one]}" "${P50[packet.one]}") one vCPU, $(ratio "${P50[packet3.two]}" "${P50[packet.two]}") two vCPUs"
echo "  launch by launch:$(pairs one packet3) (one vCPU);$(pairs two packet3) (two vCPUs)"
echo "own endpoints p50 / three-frame floor p50       = $(ratio "${P50[endpoint.one]}" "${P50[packet3.one]}") one vCPU, $(ratio "${P50[endpoint.two]}" "${P50[packet3.two]}") two vCPUs"
echo "protocol machines, instructions per null transaction = ${INS0} (target <= 5000)"
echo "null transaction p50 / gRPC p50 (two vCPUs)     = $(ratio "${P50[amunix.two]}" "${P50[grpc]}") (target <= 0.25)"
echo "30000-byte throughput / AF_PACKET               = $(ratio "$best" "${TP[packet]}") (target >= 0.7)"
for m in 1500 ${JUMBO}; do
  [[ -n ${TP[file.tcp.$m]:-} ]] || continue
  echo "veth MTU $m$([[ $m != 1500 ]] && echo " (links mtu=$m)"): put, get of 50 MB / TCP with fsync = $(ratio "${TP[file.put.$m]}" "${TP[file.tcp.$m]}"), $(ratio "${TP[file.get.$m]}" "${TP[file.tcp.$m]}") through amunixd; $(ratio "${TP[file.put.ep.$m]}" "${TP[file.tcp.$m]}"), $(ratio "${TP[file.get.ep.$m]}" "${TP[file.tcp.$m]}") own endpoints (target >= 0.5)"
  echo "  against TCP by its own clock: $(ratio "${TP[file.put.ep.$m]}" "${TP[file.tcpown.$m]}"), $(ratio "${TP[file.get.ep.$m]}" "${TP[file.tcpown.$m]}") own endpoints"
  echo "  (MB/s of each of ${FILE_ROUNDS} rounds after one unmeasured, medians above: put${FILE_MBPS[put.$m]:- n/a}; get${FILE_MBPS[get.$m]:- n/a}; put ep${FILE_MBPS[put.ep.$m]:- n/a}; get ep${FILE_MBPS[get.ep.$m]:- n/a}; TCP${FILE_MBPS[tcp.$m]:- n/a}; TCP own clock${FILE_MBPS[tcpown.$m]:- n/a})"
done
