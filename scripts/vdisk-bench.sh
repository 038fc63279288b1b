#!/usr/bin/env bash
# Raw virtual disk throughput from Linux, side by side with the image
# file's own on this machine (issue 12): a QEMU kernel node (TCG) with a
# virtio-blk disk beside an amunixd on a UDP multicast segment; `vdisk
# write` and `vdisk read` move SIZE MiB (default 16) sequentially in
# 29 KiB requests (the server's buffer), one at a time and 4 at a time;
# then the block store's commit rate on the vdisk, the node's own device
# time, and `dd` with direct I/O on a file of the same size in the same
# folder: 29 KiB blocks, writes once plain and once with every block
# synced (oflag=dsync, as every acknowledged DS_WRITE is flushed). Then
# the name space's servers side by side: the SOAP directory and Bullet file
# servers as kernel threads on the node's disk (`servers`) and the same
# servers as soap-server and bullet-server on the Linux host, in the same
# run: put and get of a SIZE MiB file, byte-identical, and mkd of 200
# directories (one directory append and one create each) in one process.
#   scripts/vdisk-bench.sh [SIZE_MIB]
# Prints two tables. Needs swift build and the kernel image.
set -uo pipefail
cd "$(dirname "$0")/.."
size=${1:-16}
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd vdisk cap std_status amoeba-init soap-server bullet-server put get mkd dir; do [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }; done
[[ -f .build-kernel/kernel.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1 || { echo "kernel build failed"; exit 1; }
# Direct I/O needs a real file system (not tmpfs): the work folder lives under .build.
W=$(mktemp -d "$PWD/.build/vdisk-bench.XXXXXX")
port=$(( 37000 + ($$ % 2000) * 3 ))
group="239.255.$(( $$ % 250 )).13"
PIDS=""
cleanup() {
  exec 2>/dev/null
  for p in $PIDS; do pkill -9 -P "$p"; kill -9 "$p"; done
  wait
  rm -rf "$W"
}
trap cleanup EXIT
# shellcheck source=lib/testbed.sh
source scripts/lib/testbed.sh
tb_amunixd a || exit 1
tb_node_start node0 "$W/node0.console" --mac 52:54:00:4e:00:00 --disk "$W/disk.img" --disk-size $(( size * 2 ))M
tb_node_wait "$W/node0.console" || exit 1
export AMUNIX_SOCKET="$W/a/amunixd.sock" AMOEBA_ROOT="$W/node0/host.cap" AMOEBA_TIMEOUT=60
blocks=$(( size * 2048 ))
head -c $(( size << 20 )) /dev/urandom >"$W/data"
"$BIN/vdisk" read /vdisk:00 0 58 -o /dev/null   # the locate, before timing

rate() { grep -o '[0-9.]* MB/s' "$1" | head -1; }
row() { printf '| %-62s | %12s |\n' "$1" "$2"; }
echo "vdisk throughput, $size MiB sequential, 29 KiB requests ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
row "what" "rate"
row "---" "---"
for p in 1 4; do
  "$BIN/vdisk" write /vdisk:00 0 "$W/data" --parallel $p --stats >/dev/null 2>"$W/w$p" || { cat "$W/w$p"; exit 1; }
  row "vdisk write (each request flushed), $p in flight" "$(rate "$W/w$p")"
  "$BIN/vdisk" read /vdisk:00 0 $blocks --parallel $p --stats -o "$W/back" 2>"$W/r$p" || { cat "$W/r$p"; exit 1; }
  cmp -s "$W/data" "$W/back" || { echo "read back differs"; exit 1; }
  row "vdisk read, $p in flight" "$(rate "$W/r$p")"
done
# The block store on the vdisk: commits of about 1.5 KB (each writes a key
# and removes an old one), on a volume of 2000 blocks so that it compacts.
dd if=/dev/zero of="$W/disk.img" bs=512 count=2 conv=notrunc status=none   # a fresh store
start=$(date +%s.%N)
"$BIN/vdisk" store-stream /vdisk:00 --blocks 2000 1 300 >/dev/null 2>"$W/store.err" || { cat "$W/store.err"; exit 1; }
took=$(echo "$(date +%s.%N) - $start" | bc)
row "block store on the vdisk: 1.5 KB commits, compactions incl." "$(awk -v t="$took" 'BEGIN { printf "%.0f /s", 300 / t }')"
# The disk's own share: the node's device time per byte (sys status).
"$BIN/std_status" /sys >"$W/status" 2>&1
us() { grep -o "$1 [0-9]* us" "$W/status" | grep -o '[0-9]*'; }
bytes() { grep -o "$1 [0-9]* ([0-9]* bytes)" "$W/status" | sed 's/.*(\([0-9]*\) bytes)/\1/'; }
devrate() { local b=$1 t=$2; [[ -n $b && -n $t && $t -gt 0 ]] && awk -v b="$b" -v t="$t" 'BEGIN { printf "%.2f MB/s", b / t }' || echo "?"; }
row "in the node: virtio-blk reads alone (device time)" "$(devrate "$(bytes reads)" "$(us reads)")"
row "in the node: virtio-blk writes + flushes alone (device time)" "$(devrate "$(bytes writes)" "$(( $(us writes) + $(us flushes) ))")"
count=$(( (size << 20) / 29696 ))
ddrate() { sed -n 's/.*, \([0-9.]* [kMG]B\/s\)$/\1/p' "$1" | tail -1; }
dd if="$W/data" of="$W/dd.img" bs=29696 count=$count oflag=direct 2>"$W/ddw"
row "dd write, image file, oflag=direct" "$(ddrate "$W/ddw")"
dd if="$W/data" of="$W/dd.img" bs=29696 count=$count oflag=direct,dsync conv=notrunc 2>"$W/ddws"
row "dd write, image file, oflag=direct,dsync (each block synced)" "$(ddrate "$W/ddws")"
dd if="$W/dd.img" of=/dev/null bs=29696 iflag=direct 2>"$W/ddr"
row "dd read, image file, iflag=direct" "$(ddrate "$W/ddr")"

# The servers side by side. On the node: booted again with `servers` on a
# fresh image big enough for the file twice over; on Linux: amoeba-init
# on two store folders and the two servers on host a.
tb_node_kill "$NODEPID"
tb_node_start node0 "$W/node0.console" --mac 52:54:00:4e:00:00 --disk "$W/servers.img" --disk-size $(( size * 5 + 16 ))M servers
tb_node_wait "$W/node0.console" || exit 1
AMOEBA_ROOT="$W/node0/host.cap" "$BIN/dir" -k / | awk '$1 == "root" { print $2 }' >"$W/kernel-root.cap"
"$BIN/amoeba-init" --soap-store "$W/store-soap" --bullet-store "$W/store-bullet" --host "a=$W/a" --servers-on a \
  --root-file "$W/linux-root.cap" >"$W/init.log" 2>&1 || { cat "$W/init.log"; exit 1; }
for k in soap bullet; do
  "$BIN/$k-server" "$W/store-$k" --threads 4 --log-level warning >>"$W/$k.log" 2>&1 &
  PIDS="$PIDS $!"
done
for _ in $(seq 100); do AMOEBA_ROOT="$W/linux-root.cap" "$BIN/dir" / >/dev/null 2>&1 && break; sleep 0.1; done
secs() { echo "$(date +%s.%N) - $1" | bc; }
declare -A fig
for side in kernel linux; do
  export AMOEBA_ROOT="$W/$side-root.cap"
  "$BIN/dir" / >/dev/null || { echo "no name space on the $side side"; exit 1; }
  start=$(date +%s.%N)
  "$BIN/put" /home/big <"$W/data" || { echo "put on the $side side failed"; exit 1; }
  fig[$side,put]=$(awk -v t="$(secs "$start")" -v s="$size" 'BEGIN { printf "%.2f MB/s", s * 1.048576 / t }')
  start=$(date +%s.%N)
  "$BIN/get" /home/big >"$W/back"
  fig[$side,get]=$(awk -v t="$(secs "$start")" -v s="$size" 'BEGIN { printf "%.2f MB/s", s * 1.048576 / t }')
  cmp -s "$W/data" "$W/back" || { echo "get on the $side side differs"; exit 1; }
  "$BIN/mkd" /home/d
  start=$(date +%s.%N)
  "$BIN/mkd" $(for i in $(seq 200); do echo /home/d/n$i; done) || { echo "mkd on the $side side failed"; exit 1; }
  fig[$side,mkd]=$(awk -v t="$(secs "$start")" 'BEGIN { printf "%.0f /s", 200 / t }')
done
echo
echo "the name space's servers, kernel node (TCG, 64 MiB, servers as kernel threads on virtio-blk) vs the same servers on this Linux host"
printf '| %-52s | %14s | %14s |\n' "what" "kernel node" "Linux host"
printf '| %-52s | %14s | %14s |\n' "---" "---" "---"
printf '| %-52s | %14s | %14s |\n' "put of a $size MiB file (create, modifies, commit)" "${fig[kernel,put]}" "${fig[linux,put]}"
printf '| %-52s | %14s | %14s |\n' "get of it, byte-identical" "${fig[kernel,get]}" "${fig[linux,get]}"
printf '| %-52s | %14s | %14s |\n' "mkd: directories made (create + append), one process" "${fig[kernel,mkd]}" "${fig[linux,mkd]}"
