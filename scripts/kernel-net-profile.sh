#!/usr/bin/env bash
# Where a kernel node's instructions go when it answers the network, next
# to what the same node spends reflecting a raw frame (the floor of
# kernel-bench.sh). Boots node0 (the `bench` server) on a tap device with
# every guest instruction logged (QEMU -singlestep -d exec,nochain), then
# from a Linux namespace on the same bridge runs COUNT frame ping-pongs
# and COUNT null transactions (from the load program's own FLIP endpoint),
# and prints, per round trip of each, the guest instructions by function
# and the difference: the kernel's share of a transaction beyond a frame.
# It also prints the answer's critical path in each: the instructions from
# the thread switch after the NIC's interrupt to the reply (or reflection)
# handed to the NIC, the median over the round trips, leaving out what the
# guest does after its answer is on its way.
#
#   scripts/kernel-net-profile.sh [COUNT]     (root; default 300)
#   TOP=120 scripts/kernel-net-profile.sh     more of the functions (default 45)
#   PCS=DIR scripts/kernel-net-profile.sh     also keep the counts by instruction address in DIR
#   ICOUNT=2 scripts/kernel-net-profile.sh    guest time by its instructions
#                                            (-icount shift=2, about TCG's real
#                                            pace): the RPC timers then run as
#                                            in an unprofiled node instead of
#                                            firing in a crawling one
#
# Slow (the boot alone is minutes, every instruction passes through a
# pipe) and the guest runs far slower than in kernel-bench, so clients
# may retransmit: the RPC counters printed at the end say whether they
# did. For finding the next thing to cut, not for timing.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-300}"
[[ $(id -u) == 0 ]] || { echo "needs root (network namespaces, tap devices, raw sockets)"; exit 1; }
source scripts/lib/kernel-node-bed.sh
knb_setup kp kernel-net-profile

# The reader: counts instructions per kernel function; each SIGUSR1 closes
# a window and writes its counts to $W/window.K.
mkfifo "$W/log"
python3 - .build-kernel/kernel-test.elf "$W/log" "$W" <<'PY' &
import sys, re, subprocess, bisect, collections, signal
out = subprocess.run(['nm', '-n', sys.argv[1]], capture_output=True, text=True).stdout
table = sorted((int(p[0], 16), p[2]) for p in (l.split(' ', 2) for l in out.splitlines())
               if len(p) == 3 and p[1] in 'tTwW')
addresses = [a for a, _ in table]
pattern = re.compile(r'\[[0-9a-f]+/([0-9a-f]+)/')
# The answer's critical path: instructions from the first thread switch
# after the NIC's interrupt (the thread it woke, or first whatever the
# interrupt cut short finishing its work) to the next frame handed to the
# NIC. The crawling profiled guest takes the next request while it still
# finishes the answer before; on its own pace it would be idle by then.
def entry(part, exact=False):
    return next((a for a, n in table if (n == part if exact else part in n)), None)
irq_entry, tx_entry = entry('VirtioNetC9interrupt'), entry('VirtioNetC8transmit')
switch_entry = entry('switch_context', exact=True)
window = [collections.Counter(), 0, [], None, 0, False]   # counts, index, paths, path start, instructions, switched
pcs = collections.Counter()
def close(*_):
    global pcs
    with open('%s/window.%d' % (sys.argv[3], window[1]), 'w') as f:
        for name, c in window[0].items(): f.write('%d %s\n' % (c, name))
    with open('%s/pcs.%d' % (sys.argv[3], window[1]), 'w') as f:
        for pc, c in pcs.items(): f.write('%x %d\n' % (pc, c))
    pcs = collections.Counter()
    with open('%s/paths.%d' % (sys.argv[3], window[1]), 'w') as f:
        f.write(' '.join(str(p) for p in window[2]))
    window[0] = collections.Counter(); window[1] += 1; window[2] = []; window[3] = None
signal.signal(signal.SIGUSR1, close)
byaddr = {}
for line in open(sys.argv[2]):
    m = pattern.search(line)
    if not m: continue
    pc = int(m.group(1), 16)
    window[4] += 1
    if pc == irq_entry and window[3] is None: window[3] = window[4]; window[5] = False
    elif pc == switch_entry and window[3] is not None and not window[5]: window[3] = window[4]; window[5] = True
    elif pc == tx_entry and window[3] is not None:
        # Without a switch the guest was busy all along: not counted.
        if window[5]: window[2].append(window[4] - window[3])
        window[3] = None
    name = byaddr.get(pc)
    if name is None:
        i = bisect.bisect_right(addresses, pc) - 1
        name = byaddr[pc] = table[i][1] if i >= 0 else '?'
    window[0][name] += 1
    pcs[pc] += 1
PY
READER=$!
PIDS+=($READER)
mkdir -p "$W/node0"
(KERNEL_NO_BUILD=1 QEMU_FLAGS="${ICOUNT:+-icount shift=$ICOUNT} -singlestep -d exec,nochain -D $W/log" exec ip netns exec "$BR" scripts/kernel-run.sh \
  --link "tap:$TAP" --state "$W/node0" --mac 52:54:00:4b:02:00 bench </dev/null >"$W/node0.console" 2>&1) &
PIDS+=($!)
echo "booting node0 with every instruction logged (minutes)..."
for _ in $(seq 3000); do grep -q "console idle" "$W/node0.console" 2>/dev/null && break; sleep 0.2; done
grep -q "console idle" "$W/node0.console" || { echo "node0 did not come up"; tail "$W/node0.console"; exit 1; }
sed -n "s/^  bench\t\(.*\)$/\1/p" "$W/node0.console" | tail -1 | tr -d '\r' >"$W/bench.cap"
# A first transaction locates the server and fills the caches; not counted.
# The guest crawls, so a locate may time out before it answers: try again.
for try in 1 2 3 4; do
  ip netns exec "$A" "$BIN/rpc_bench" load --link pcap:v0 --size 0 --count 20 --warmup 0 --brief "$W/bench.cap" \
    >/dev/null 2>"$W/warm.err" && break
  echo "warm-up $try failed: $(tail -1 "$W/warm.err")"
  [[ $try == 4 ]] && exit 1
done
sleep 1; kill -USR1 $READER; sleep 0.5
echo "frame ping-pong x $((N + 200))..."
ip netns exec "$A" "$BBIN/floors" packet-ping v0 52:54:00:4b:02:00 64 "$N" >/dev/null
sleep 0.5; kill -USR1 $READER; sleep 0.5
echo "null transactions x $N..."
ip netns exec "$A" "$BIN/rpc_bench" load --link pcap:v0 --size 0 --count "$N" --warmup 0 --brief "$W/bench.cap" >"$W/load.txt"
sleep 0.5; kill -USR1 $READER; sleep 1
python3 - "$W" "$N" "${TOP:-45}" <<'PY' | swift demangle --simplified | cut -c1-150
import sys, collections
w, n, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def load(k):
    c = collections.Counter()
    for line in open('%s/window.%d' % (w, k)):
        count, name = line.split(' ', 1); c[name.strip()] = int(count)
    return c
ping, trans = load(1), load(2)
pings = n + 200
pt, tt = sum(ping.values()) / pings, sum(trans.values()) / n
print('guest instructions per reflected frame:      %8.0f' % pt)
print('guest instructions per null transaction:    %8.0f  (%.2fx)' % (tt, tt / pt))
def median_path(k):
    p = sorted(int(x) for x in open('%s/paths.%d' % (w, k)).read().split())
    return p[len(p) // 2] if p else 0
pp, tp = median_path(1), median_path(2)
print('critical path, from the switch after the NIC interrupt to the answer handed to the NIC (median):')
print('  reflected frame %d, null transaction %d  (%.2fx)' % (pp, tp, tp / pp if pp else 0))
print('\nper null transaction, largest first (instructions, function):')
for name, c in trans.most_common(top): print('%9.1f  %s' % (c / n, name[:110]))
print('\nper reflected frame, largest first:')
for name, c in ping.most_common(15): print('%9.1f  %s' % (c / pings, name[:110]))
PY
echo "load: $(cat "$W/load.txt")"
# PCS=DIR: the per-address counts of each window (pcs.1 the frames,
# pcs.2 the transactions) kept in DIR, to read beside `objdump -d` of the image.
[[ -n ${PCS:-} ]] && mkdir -p "$PCS" && cp "$W"/pcs.* "$PCS"/ && cp .build-kernel/kernel-test.elf "$PCS"/
