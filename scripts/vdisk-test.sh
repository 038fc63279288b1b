#!/usr/bin/env bash
# The kernel's disk end to end (issue 12): a QEMU kernel node with a
# virtio-blk disk (a raw image) beside an amunixd on one UDP multicast
# segment (no root). From Linux, through the node's kernel directory
# (AMOEBA_ROOT = its host capability, so /vdisk:00 is its entry):
#   std_info, DS_INFO, DS_SIZE, DS_GETGEOMETRY against the protocol facts
#   (AMOEBA-FACTS §3: "@ %8ld KB", 12-byte pieces, six int16, h_size rules)
#   data written then read back (1 MiB across 29 KiB pieces, 4 KiB blocks),
#   and found at the same offsets in the image file
#   bad requests: block size outside 9..31, no blocks, a start before 0 or
#   past the end, over 29 KiB, data not matching the blocks: STD_ARGBAD
#   rights: a READ-only capability cannot write, a WRITE-only one cannot
#   read, DS_CONTROL needs CTL, a forged check field is STD_CAPBAD
#   several requests in flight at once (sys status: "most in flight")
#   and every acknowledged write flushed (flushes = writes)
#   the node killed (SIGKILL) right after a write is acknowledged, booted
#   again from the same image: the data is back, under the same capability
#   the block store on the vdisk (vdisk store-stream): the node killed in
#   the middle of a stream of commits, booted again: every acknowledged
#   commit is there, intact, and the store goes on
#   the directory and file servers on the node's disk (`servers`): dir,
#   mkd, put and get from Linux; killed and booted again, all of it back
#   amoeba-init --servers-on node0 --disk: the name space made on Linux in
#   the stopped node's image (refused while QEMU runs on it), served by the
#   node; its root capability still works after a SIGKILL and a reboot
#   SIGKILL during a stream of 200+ directory appends and file commits: every
#   acknowledged one back
#   a full disk (2 MiB): files and directories until STD_NOSPACE, nothing
#   stored lost, also after a SIGKILL and a reboot; a destroyed file makes room
#   the directory server's heap bound (24 MiB node): STD_NOSPACE at a
#   sixteenth of the heap, the node goes on
#   a 20 MB file put and read back byte-identical (staged on the disk in
#   parts: the heap's high water stays far below it), and after a reboot
# Prints "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
for t in amunixd amoeba-init std_info std_status std_restrict std_destroy dir mkd put get del vdisk cap; do
  [[ -x "$BIN/$t" ]] || { echo "missing $BIN/$t: run swift build first"; exit 1; }
done
[[ -f .build-kernel/kernel.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1 || { echo "kernel build failed"; exit 1; }
W=$(mktemp -d /tmp/vdisk-test.XXXXXX)
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "[vdisk] PASS $*"; }
bad() { failed=$((failed + 1)); echo "[vdisk] FAIL $*"; }
port=$(( 35000 + ($$ % 2000) * 3 ))
group="239.255.$(( $$ % 250 )).12"
PIDS="" nodepid=""
cleanup() {
  exec 2>/dev/null   # no "Killed" notices for the processes ended here
  for p in $PIDS $nodepid; do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n ${KEEP_LOGS:-} ]] && echo "logs in $W" || rm -rf "$W"
}
trap cleanup EXIT

# shellcheck source=lib/testbed.sh
source scripts/lib/testbed.sh
tb_amunixd a || exit 1

IMAGE="$W/disk.img"
boot() {   # boot node0 from $IMAGE; its console goes to $W/node0.console.N
  boots=$(( ${boots:-0} + 1 ))
  console="$W/node0.console.$boots"
  tb_node_start node0 "$console" --mac 52:54:00:4d:00:00 --disk "$IMAGE" --disk-size "${DISK_SIZE:-16M}" \
    --memory "${MEMORY:-64M}" ${WORDS:-}
  nodepid=$NODEPID
  tb_node_wait "$console" || exit 1
}
boot
export AMUNIX_SOCKET="$W/a/amunixd.sock" AMOEBA_ROOT="$W/node0/host.cap" AMOEBA_TIMEOUT=20
t() { local tool=$1; shift; "$BIN/$tool" "$@"; }
D=/vdisk:00
BLOCKS=32768   # 16 MiB of 512-byte blocks

grep -q "\[disk\] virtio-blk irq [0-9]*: $BLOCKS blocks (16384 KB), write cache on" "$W/node0.console.1" \
  && ok "the node found its disk: $(grep '\[disk\]' "$W/node0.console.1")" || bad "no disk line: $(grep disk "$W/node0.console.1")"
[[ $(stat -c %s "$IMAGE") == $((16 << 20)) ]] && ok "kernel-run --disk created a 16 MiB image" || bad "image size $(stat -c %s "$IMAGE")"
# The image holds the servers' secrets (check fields, the root capability): its owner's alone.
[[ $(stat -c %a "$IMAGE") == 600 ]] && ok "the image is created 0600" || bad "image mode $(stat -c %a "$IMAGE")"
out=$(t dir / 2>&1)
[[ $out == *"vdisk:00"* ]] && ok "the kernel directory lists vdisk:00" || bad "dir /: $out"

# The protocol facts.
out=$(t std_info $D 2>&1)
[[ $out == "@    16384 KB" ]] && ok "std_info: \"$out\" (Amoeba's \"@ %8ld KB\")" || bad "std_info: \"$out\""
out=$(t vdisk raw $D 1004 2>&1)
[[ $out == "status STD_OK size 13 offset 0 extra 0 data 13 bytes" ]] && ok "STD_INFO h_size 13, no NUL" || bad "raw STD_INFO: $out"
out=$(t vdisk raw $D 1004 --data-bytes 1 2>&1)
[[ $out == "status STD_ARGBAD"* ]] && ok "STD_INFO with a request buffer: STD_ARGBAD" || bad "STD_INFO with data: $out"
out=$(t vdisk info $D 2>&1)
[[ $out == "unit 0: first block 0, $BLOCKS blocks of 512 bytes (16384 KB)" ]] && ok "DS_INFO: $out" || bad "vdisk info: $out"
out=$(t vdisk raw $D 2201 --hex 2>&1)
[[ $out == "status STD_OK size 12 offset 0 extra 0 data 12 bytes 000000000000000000800000" ]] && ok "DS_INFO reply: one 12-byte little-endian piece" || bad "raw DS_INFO: $out"
out=$(t vdisk size $D 2>&1)
[[ $out == "$BLOCKS blocks of 512 bytes" ]] && ok "DS_SIZE: $out" || bad "vdisk size: $out"
out=$(t vdisk size $D --shift 12 2>&1)
[[ $out == "4096 blocks of 4096 bytes" ]] && ok "DS_SIZE in 4 KiB blocks: $out" || bad "vdisk size --shift 12: $out"
out=$(t vdisk raw $D 2203 --size 10 2>&1)
[[ $out == "status STD_OK size 0 offset 16384 extra 0 data 0 bytes" ]] && ok "DS_SIZE reply: count in h_offset, h_size 0" || bad "raw DS_SIZE: $out"
out=$(t vdisk geometry $D 2>&1)
if [[ $out =~ ^cylinders\ ([0-9]+),\ heads\ ([0-9]+),\ sectors\ per\ track\ ([0-9]+),\ bytes\ per\ sector\ 512,\ bytes\ per\ track\ ([0-9]+),\ alternate\ cylinders\ 0$ ]] \
   && (( BASH_REMATCH[1] * BASH_REMATCH[2] * BASH_REMATCH[3] <= BLOCKS && BASH_REMATCH[1] > 0 && BASH_REMATCH[4] == BASH_REMATCH[3] * 512 )); then
  ok "DS_GETGEOMETRY: $out"
else
  bad "vdisk geometry: $out"
fi
out=$(t vdisk raw $D 2205 2>&1)
[[ $out == "status STD_OK size 12 "*"data 12 bytes" ]] && ok "DS_GETGEOMETRY reply: six int16" || bad "raw geometry: $out"

# Data written, read back, and in the image file.
head -c $((1 << 20)) /dev/urandom >"$W/mib"
out=$(t vdisk write $D 100 "$W/mib" 2>&1)
[[ $out == "wrote 2048 blocks of 512 bytes from block 100" ]] || bad "vdisk write: $out"
t vdisk read $D 100 2048 -o "$W/back" 2>"$W/read.err"
cmp -s "$W/mib" "$W/back" && ok "1 MiB written at block 100 and read back identical (37 requests of up to 29 KiB each way)" || bad "read back differs: $(cat "$W/read.err")"
dd if="$IMAGE" bs=512 skip=100 count=2048 status=none | cmp -s - "$W/mib" && ok "the data is in the image file at block 100" || bad "image file differs"
head -c 12288 /dev/urandom >"$W/three"
t vdisk write $D 7 "$W/three" --shift 12 >/dev/null 2>&1
t vdisk read $D 56 24 -o "$W/three.back" 2>/dev/null
cmp -s "$W/three" "$W/three.back" && ok "3 blocks of 4 KiB written at block 7 are 24 blocks of 512 at block 56" || bad "4 KiB blocks"
out=$(t vdisk raw $D 2202 --size 9 --offset 0 --extra 58 2>&1)
[[ $out == "status STD_OK size 29696 offset 0 extra 0 data 29696 bytes" ]] && ok "DS_READ of 29 KiB: h_size = count << l2" || bad "29 KiB read: $out"
out=$(t vdisk raw $D 2204 --size 9 --offset $((BLOCKS - 1)) --extra 1 --data-bytes 512 2>&1)
[[ $out == "status STD_OK size 0 offset 0 extra 0 data 0 bytes" ]] && ok "DS_WRITE of the last block: h_size 0" || bad "last block write: $out"

# Bad requests.
argbad=0; tried=0
for req in "2202 --size 9 --offset $BLOCKS --extra 1" "2202 --size 9 --offset $((BLOCKS - 1)) --extra 2" \
           "2202 --size 9 --offset=-1 --extra 1" "2202 --size 9 --offset=-2147483648 --extra 1" "2202 --size 9 --extra 0" \
           "2202 --size 8 --extra 1" "2202 --size 32 --extra 1" "2202 --size 65535 --offset 2147483647 --extra 65535" \
           "2202 --size 9 --extra 59" "2202 --size 15 --extra 1" "2202 --size 12 --offset 4096 --extra 1" \
           "2203 --size 8" "2203 --size 40" \
           "2204 --size 9 --offset $BLOCKS --extra 1 --data-bytes 512" "2204 --size 9 --extra 2 --data-bytes 512" \
           "2204 --size 9 --extra 1 --data-bytes 0" "2204 --size 9 --extra 1 --data-bytes 513" \
           "2204 --size 9 --extra 59 --data-bytes 29696" "2204 --size 31 --extra 1 --data-bytes 512"; do
  tried=$((tried + 1))
  out=$(t vdisk raw $D $req 2>&1)
  [[ $out == "status STD_ARGBAD size 0 "* ]] && argbad=$((argbad + 1)) || echo "    $req: $out"
done
[[ $argbad == "$tried" ]] && ok "$tried out-of-range, bad-size and mismatched requests: STD_ARGBAD" || bad "bad requests: $argbad of $tried STD_ARGBAD"
out=$(t vdisk read $D $BLOCKS 1 -o /dev/null 2>&1); rc=$?
[[ $rc == 1 && $out == *"bad argument (STD_ARGBAD)"* ]] && ok "vdisk read past the end: exit 1, \"$out\"" || bad "read past the end: rc=$rc $out"
out=$(t vdisk raw $D 2299 2>&1); out2=$(t vdisk raw $D 1003 2>&1)
[[ $out == "status STD_COMBAD"* && $out2 == "status STD_COMBAD"* ]] && ok "unknown command and STD_DESTROY: STD_COMBAD" || bad "unknown: $out / $out2"
dd if="$IMAGE" bs=512 skip=100 count=2048 status=none | cmp -s - "$W/mib" && ok "the refused writes changed nothing" || bad "refused writes changed the data"

# Rights and forgeries.
t std_restrict $D 02 -o "$W/ro.cap" >/dev/null 2>&1
t std_restrict $D 04 -o "$W/wo.cap" >/dev/null 2>&1
t std_restrict $D 06 -o "$W/rw.cap" >/dev/null 2>&1
out=$(t vdisk write "$W/ro.cap" 100 "$W/three" 2>&1); rc=$?
[[ $rc == 1 && $out == *STD_DENIED* ]] && ok "READ-only capability: write refused ($out)" || bad "ro write: rc=$rc $out"
t vdisk read "$W/ro.cap" 100 24 -o "$W/ro.back" 2>/dev/null && cmp -s "$W/ro.back" <(head -c 12288 "$W/mib") \
  && ok "READ-only capability reads" || bad "ro read"
out=$(t vdisk read "$W/wo.cap" 100 1 -o /dev/null 2>&1); rc=$?
out2=$(t std_info "$W/wo.cap" 2>&1); out3=$(t vdisk size "$W/wo.cap" 2>&1)
[[ $rc == 1 && $out == *STD_DENIED* && $out2 == *STD_DENIED* && $out3 == *STD_DENIED* ]] && ok "WRITE-only capability: read, std_info, size refused" || bad "wo: $out / $out2 / $out3"
out=$(t vdisk raw "$W/rw.cap" 2206 --extra 1 2>&1); out2=$(t vdisk raw $D 2206 --extra 1 2>&1)
[[ $out == "status STD_DENIED"* && $out2 == "status STD_COMBAD"* ]] && ok "DS_CONTROL: STD_DENIED without CTL, STD_COMBAD with it (no eject or format on virtio)" || bad "control: $out / $out2"
out=$(t std_restrict --server "$W/rw.cap" 02 2>&1)
[[ $out == "$(cat "$W/ro.cap")" ]] && ok "STD_RESTRICT by the server gives the same READ capability" || bad "server restrict: $out vs $(cat "$W/ro.cap")"
full=$(cat "$W/node0/host.cap" >/dev/null; t dir -k / 2>/dev/null | awk '$1 == "vdisk:00" { print $2 }')
forged="${full:0:${#full}-2}$(printf '%02x' $(( (0x${full: -2} + 1) & 255 )))"
out=$(t vdisk read "$forged" 0 1 -o /dev/null 2>&1); rc=$?
[[ $rc == 1 && $out == *STD_CAPBAD* ]] && ok "a forged check field: STD_CAPBAD" || bad "forged ($forged): rc=$rc $out"

# Several requests in flight, and every write flushed. Writes wait for a
# flush (an fdatasync of the image on the host), long enough for the
# next request to reach the device meanwhile.
head -c $((4 << 20)) /dev/urandom >"$W/four"
out=$(t vdisk write $D 8192 "$W/four" --parallel 6 2>&1) || bad "parallel write: $out"
t vdisk read $D 8192 8192 --parallel 6 -o "$W/four.back" 2>/dev/null
cmp -s "$W/four" "$W/four.back" && ok "4 MiB written and read back with 6 requests at a time, identical" || bad "parallel read back differs"
status=$(t std_status /sys 2>&1)
most=$(grep -o 'most in flight [0-9]*' <<<"$status" | grep -o '[0-9]*$')
[[ ${most:-0} -ge 2 ]] && ok "--parallel 6 had $most requests at the device at once (3 server threads)" || bad "most in flight ${most:-?}: $status"
writes=$(grep -o 'writes [0-9]*' <<<"$status" | head -1 | grep -o '[0-9]*$'); flushes=$(grep -o 'flushes [0-9]*' <<<"$status" | head -1 | grep -o '[0-9]*$')
[[ -n $writes && $writes -gt 0 && $writes == "$flushes" ]] && ok "every acknowledged write was flushed: $writes writes, $flushes flushes" || bad "writes $writes flushes $flushes"

# A crash right after an acknowledged write, then a boot from the same image.
head -c 29696 /dev/urandom >"$W/last"
cap_before=$full
t vdisk write $D 5000 "$W/last" >/dev/null 2>&1; tb_node_kill "$nodepid"
dd if="$IMAGE" bs=512 skip=5000 count=58 status=none | cmp -s - "$W/last" && ok "SIGKILL right after the write's reply: the image holds it" || bad "image lost the acknowledged write"
boot
out=$(t vdisk read "$cap_before" 5000 58 2>/dev/null | cmp - "$W/last" 2>&1 && t vdisk read "$cap_before" 100 2048 2>/dev/null | cmp - "$W/mib" 2>&1)
[[ $? == 0 ]] && ok "after the reboot, the same capability reads back both writes" || bad "after reboot: $out"
full2=$(t dir -k / 2>/dev/null | awk '$1 == "vdisk:00" { print $2 }')
[[ $full2 == "$cap_before" ]] && ok "vdisk:00 keeps its capability across the reboot (derived from the host's)" || bad "capability changed: $cap_before -> $full2"

# The block store (Servers/BlockStorage) on the vdisk from Linux: a
# stream of commits on a 400-block volume (each writes key K and removes
# K-30 in one batch; the store compacts every few dozen),
# QEMU killed with SIGKILL in the middle of it, the node booted again:
# every acknowledged commit is there, intact, and the store goes on.
dd if=/dev/zero of="$IMAGE" bs=512 count=2 conv=notrunc status=none 2>/dev/null   # blank superblocks: a fresh store
t vdisk store-stream $D --timeout 5 --blocks 400 1 100000 >"$W/stream.out" 2>"$W/stream.err" &
streampid=$!
for _ in $(seq 600); do [[ $(grep -c acked "$W/stream.out") -ge 120 ]] && break; sleep 0.1; done
tb_node_kill "$nodepid"
wait "$streampid"; rc=$?
last=$(tail -1 "$W/stream.out" | awk '{ print $2 }')
[[ $rc != 0 && ${last:-0} -ge 120 ]] && ok "store-stream: $last commits acknowledged, then the node was killed: $(tail -1 "$W/stream.err")" \
  || bad "store-stream: rc=$rc last=$last $(cat "$W/stream.err")"
boot
out=$(t vdisk store-check $D --blocks 400 2>&1); rc=$?
# The commit in flight at the kill may or may not have landed: the store
# holds keys up to `last` or `last + 1`, and the stream goes on from there.
high=$last
if [[ $rc == 0 && $out =~ ^keys\ ([0-9]+)\.\.([0-9]+)\ intact ]] && (( BASH_REMATCH[2] == last || BASH_REMATCH[2] == last + 1 )); then
  high=${BASH_REMATCH[2]}
  ok "after SIGKILL and a reboot the block store opens: $out (acknowledged up to $last)"
else
  bad "store-check after the crash: rc=$rc $out (acknowledged 1..$last)"
fi
out=$(t vdisk store-stream $D --blocks 400 $((high + 1)) 60 2>&1 | tail -1; t vdisk store-check $D --blocks 400 2>&1); rc=$?
echo "$out" >"$W/after-recovery.out"
[[ $rc == 0 && $out == *"acked $((high + 60))"*"keys $((high + 31))..$((high + 60)) intact"* ]] && ok "and it goes on: 60 more commits, checked again ($(tail -1 <<<"$out"))" || bad "after recovery: $out"

# The name space on the node's own disk (`servers` on the kernel command
# line): the SOAP and Bullet servers as kernel threads over block stores on
# the disk, reached from Linux like the Linux ones; the node killed and
# booted again: the same root, every directory and file back.
tb_node_kill "$nodepid"
IMAGE="$W/servers.img" WORDS=servers
boot
grep -q "\[servers\] a fresh name space on the disk" "$console" && ok "a fresh disk gets a name space: $(grep '\[servers\] soap' "$console" | cut -c1-80)" \
  || bad "no name space made: $(grep servers "$console")"
export AMOEBA_ROOT="$W/node0/host.cap"
root=$(t dir -k / 2>/dev/null | awk '$1 == "root" { print $2 }')
out=$(t dir / 2>&1)
[[ -n $root && $out == *soap* && $out == *bullet* ]] && ok "the kernel directory lists soap, bullet and root" || bad "no servers in the kernel directory: $out"
export AMOEBA_ROOT="$root"
out=$(t dir / 2>&1)
[[ $out == *home*hosts*profile* ]] && ok "dir / on the node's directory server: $(echo $out)" || bad "dir /: $out"
head -c 200000 /dev/urandom >"$W/file"
t mkd /home/disk >/dev/null 2>&1
out=$(t put /home/disk/file <"$W/file" 2>&1); rc=$?
t get /home/disk/file 2>/dev/null | cmp -s - "$W/file" && ok "put and get of 200 kB through the node's file server, byte-identical" || bad "put/get: rc=$rc $out"
made=0
for i in $(seq 10); do t mkd /home/disk/d$i >/dev/null 2>&1 && made=$((made + 1)); done
[[ $made == 10 ]] && ok "10 directories made on the node" || bad "mkd: $made of 10"
tb_node_kill "$nodepid"
boot
root2=$(AMOEBA_ROOT="$W/node0/host.cap" t dir -k / 2>/dev/null | awk '$1 == "root" { print $2 }')
[[ $root2 == "$root" ]] && ok "after SIGKILL and a reboot the node serves the same root" || bad "root changed: $root -> $root2"
out=$(t dir /home/disk 2>&1)
listed=$(wc -w <<<"$out")
t get /home/disk/file 2>/dev/null | cmp -s - "$W/file" && [[ $listed == 11 ]] \
  && ok "every directory entry and the file are back, under the same capabilities" || bad "after the reboot: $listed entries: $out"

# A stream of directory appends and file commits, QEMU killed with
# SIGKILL in the middle of it: nothing acknowledged is lost.
t mkd /home/s >/dev/null 2>&1
head -c 3000 /dev/urandom >"$W/small"
(for i in $(seq 400); do
   if (( i % 4 == 0 )); then t put /home/s/f$i <"$W/small" >/dev/null 2>&1 || break
   else t mkd /home/s/e$i >/dev/null 2>&1 || break; fi
   echo $i >>"$W/acked"
 done) &
streampid=$!
for _ in $(seq 900); do [[ $(cat "$W/acked" 2>/dev/null | wc -l) -ge 200 ]] && break; sleep 0.1; done
tb_node_kill "$nodepid"
# The request in flight will never be answered: end the stream now rather
# than after the tool's timeout (what it acknowledged is in $W/acked).
pkill -P "$streampid" 2>/dev/null; kill "$streampid" 2>/dev/null; wait "$streampid" 2>/dev/null
acked=$(wc -l <"$W/acked")
boot
listing=$(t dir /home/s 2>&1)
lost=0
for i in $(cat "$W/acked"); do
  if (( i % 4 == 0 )); then
    t get /home/s/f$i 2>/dev/null | cmp -s - "$W/small" || { lost=$((lost + 1)); echo "    lost file f$i"; }
  else
    grep -qw "e$i" <<<"$listing" || { lost=$((lost + 1)); echo "    lost directory e$i"; }
  fi
done
[[ $acked -ge 200 && $lost == 0 ]] && ok "SIGKILL during a stream of appends and file commits: all $acked acknowledged ones back ($(wc -w <<<"$listing") entries)" \
  || bad "stream: $acked acknowledged, $lost lost"
out=$(t mkd /home/s/after 2>&1 && t dir /home/s 2>&1 | grep -cw after)
[[ $out == 1 ]] && ok "the name space goes on after the crash" || bad "after the crash: $out"

# amoeba-init --servers-on node0 --disk IMAGE: the name space made on Linux
# in the (stopped) node's disk image, as it is made in store folders for a
# Linux host; the node booted from the image with `servers` serves it, and
# the root capability amoeba-init wrote still works after a SIGKILL and a
# reboot.
tb_node_kill "$nodepid"
mkdir -p "$W/initbin"
head -c 5000 /dev/urandom >"$W/initbin/small"; head -c 70000 /dev/urandom >"$W/initbin/large"
out=$("$BIN/amoeba-init" --disk "$W/init.img" --disk-size 16M --host "a=$W/a" --host "node0=$W/node0" --servers-on node0 \
  --root-file "$W/init-root.cap" --bin "$W/initbin" 2>&1); rc=$?
[[ $rc == 0 && -s $W/init-root.cap && $(stat -c %s "$W/init.img") == $((16 << 20)) && $(stat -c %a "$W/init.img") == 600 ]] \
  && ok "amoeba-init --servers-on node0 --disk: a 16 MiB image (0600) holding the name space: $(head -1 <<<"$out")" || bad "amoeba-init --disk: rc=$rc $out"
IMAGE="$W/init.img" WORDS=servers
boot
grep -q "\[servers\] soap (8 directories) and bullet (2 files) on the disk; root $(cat "$W/init-root.cap")" "$console" && ! grep -q "fresh name space" "$console" \
  && ok "the node serves amoeba-init's name space: $(grep '\[servers\] soap' "$console" | cut -c1-60)" || bad "the node's servers: $(grep servers "$console")"
out=$("$BIN/amoeba-init" --disk "$W/init.img" --host "node0=$W/node0" --servers-on node0 --root-file "$W/init-root2.cap" 2>&1); rc=$?
[[ $rc == 1 && $out == *"in use"* && ! -e $W/init-root2.cap ]] && ok "amoeba-init on the image of a running node: refused ($out)" || bad "amoeba-init beside QEMU: rc=$rc $out"
export AMOEBA_ROOT="$W/init-root.cap"
out=$(t dir / 2>&1)
[[ $(sort <<<"$out" | xargs) == "bin home hosts profile" ]] && ok "dir / with amoeba-init's root: $(echo $out)" || bad "dir /: $out"
t get /bin/small 2>/dev/null | cmp -s - "$W/initbin/small" && t get /bin/large 2>/dev/null | cmp -s - "$W/initbin/large" \
  && ok "/bin/small and /bin/large (--bin) read back from the node's file server" || bad "get /bin: $(t dir /bin 2>&1)"
out=$(t dir /hosts/node0 2>&1); out2=$(t std_info /hosts/a/sys 2>&1)
noderoot=$(t dir -k /hosts/node0 2>/dev/null | awk '$1 == "root" { print $2 }')
[[ $out == *soap* && $out == *bullet* && $noderoot == "$(cat "$W/init-root.cap")" && -n $out2 && $out2 != *STD_* && $out2 != *RPC_* ]] \
  && ok "/hosts/node0 is the node's kernel directory, its root row amoeba-init's root; /hosts/a/sys answers ($out2)" || bad "hosts: $out / root $noderoot / $out2"
out=$(t put /home/file <"$W/file" 2>&1 && t mkd /home/made 2>&1 && t get /home/file | cmp - "$W/file" 2>&1); rc=$?
[[ $rc == 0 ]] && ok "put, mkd and get under amoeba-init's root on the node" || bad "put/mkd/get: $out"
tb_node_kill "$nodepid"
boot
out=$(t dir /home 2>&1)
t get /home/file 2>/dev/null | cmp -s - "$W/file" && t get /bin/large 2>/dev/null | cmp -s - "$W/initbin/large" && [[ $(sort <<<"$out" | xargs) == "file made" ]] \
  && ok "after SIGKILL and a reboot amoeba-init's root capability still works: /home holds $(echo $out), both files intact" || bad "after the reboot: $out"
tb_node_kill "$nodepid"
out=$("$BIN/amoeba-init" --disk "$W/init.img" --host "node0=$W/node0" --servers-on node0 --root-file "$W/init-root2.cap" 2>&1); rc=$?
[[ $rc == 1 && $out == *"already holds a name space"* ]] && ok "amoeba-init on an image with a name space: refused" || bad "second amoeba-init: rc=$rc $out"
out=$("$BIN/amoeba-init" --soap-store "$W/s1" --bullet-store "$W/b1" --host "node0=$W/node0" --servers-on node0 --root-file "$W/init-root2.cap" 2>&1); rc=$?
[[ $rc == 1 && $out == *"give --disk"* ]] && ok "--servers-on a kernel node without --disk: refused" || bad "servers-on without --disk: rc=$rc $out"
# A node never booted: kernel-run --prepare makes its state folder and
# disk image, and amoeba-init fills the image before the first boot.
out=$(KERNEL_NO_BUILD=1 AMUNIX_BIN="$BIN" timeout 20 scripts/kernel-run.sh --state "$W/fresh" --disk "$W/fresh.img" --disk-size 8M --prepare 2>&1); rc=$?
hostcap=$(cat "$W/fresh/host.cap" 2>/dev/null)
[[ $rc == 0 && -n $hostcap && $out == *"$hostcap"* && $(stat -c %a "$W/fresh/host.cap") == 600 && $(stat -c %a "$W/fresh") == 700 \
   && $(stat -c %s "$W/fresh.img") == $((8 << 20)) ]] \
  && ok "kernel-run --prepare: state folder (0700, host.cap 0600) and an 8 MiB image, no boot ($out)" || bad "kernel-run --prepare: rc=$rc $out"
out=$("$BIN/amoeba-init" --disk "$W/fresh.img" --host "fresh=$W/fresh" --servers-on fresh --root-file "$W/fresh-root.cap" 2>&1); rc=$?
[[ $rc == 0 && -s $W/fresh-root.cap ]] && ok "amoeba-init fills the prepared node's image: $(head -1 <<<"$out")" || bad "amoeba-init on the prepared node: rc=$rc $out"

# Directories filled from Linux: mkd of 200-character names in batches of
# 100 (16 parents under /home) until the server answers STD_NOSPACE; the
# paths it acknowledged go to $W/TAG.made, the refusals to $W/TAG.refused.
fill_dirs() {
  local tag=$1 long names b rc
  long=$(printf 'n%.0s' $(seq 200))
  t mkd $(for q in $(seq 0 15); do echo /home/q$q; done) >/dev/null 2>&1
  : >"$W/$tag.made"; : >"$W/$tag.refused"
  for b in $(seq 80); do
    names=$(for i in $(seq 100); do echo "/home/q$((i % 16))/$long-$tag-$b-$i"; done)
    t mkd $names >/dev/null 2>"$W/$tag.batch"; rc=$?
    sed -n 's/^mkd: \([^:]*\): .*/\1/p' "$W/$tag.batch" >"$W/$tag.failed"
    grep -vxFf "$W/$tag.failed" <<<"$names" >>"$W/$tag.made"
    [[ $rc != 0 ]] && { cat "$W/$tag.batch" >"$W/$tag.refused"; break; }
  done
}
# How many of the paths in $W/TAG.made are missing from the name space.
dirs_missing() {
  local q
  for q in $(seq 0 15); do t dir /home/q$q 2>/dev/null | sed "s|^|/home/q$q/|"; done | sort >"$W/$1.listed"
  sort "$W/$1.made" | comm -23 - "$W/$1.listed" | wc -l
}

# A full disk through the servers: a 2 MiB image (a 130 kB half for the
# directory store, 880 kB for the file store) filled with 150 kB files
# and with directories until each server answers STD_NOSPACE; everything
# acknowledged before is there, then again after a SIGKILL and a boot
# from the image, and the name space goes on.
tb_node_kill "$nodepid"
IMAGE="$W/full.img" DISK_SIZE=2M WORDS=servers
boot
export AMOEBA_ROOT=$(AMOEBA_ROOT="$W/node0/host.cap" t dir -k / 2>/dev/null | awk '$1 == "root" { print $2 }')
head -c 150000 /dev/urandom >"$W/f150"
stored=0
for i in $(seq 12); do out=$(t put /home/f$i <"$W/f150" 2>&1) || break; stored=$i; done
[[ $stored -ge 3 && $stored -lt 12 && $out == *STD_NOSPACE* ]] && ok "150 kB files until the file store is full: $stored stored, then \"$out\"" || bad "full file store: $stored stored, then $out"
fill_dirs full
made=$(wc -l <"$W/full.made")
[[ $made -ge 100 && $(grep -c STD_NOSPACE "$W/full.refused") -ge 1 && $(grep -vc STD_NOSPACE "$W/full.refused") == 0 ]] \
  && ok "directories until the directory store is full: $made made, then STD_NOSPACE ($(AMOEBA_ROOT="$W/node0/host.cap" t std_status /soap 2>&1))" \
  || bad "full directory store: $made made, refusals: $(head -3 "$W/full.refused")"
checkfull() {
  local good=0 i missing
  for i in $(seq "$stored"); do t get /home/f$i 2>/dev/null | cmp -s - "$W/f150" && good=$((good + 1)); done
  missing=$(dirs_missing full)
  [[ $good == "$stored" && $missing == 0 ]] && ok "$1: all $stored files intact, all $made directories listed" || bad "$1: $good of $stored files, $missing directories missing"
}
checkfull "with both stores full"
tb_node_kill "$nodepid"
boot
grep -q "\[servers\] soap ([0-9]* directories) and bullet ($stored files) on the disk" "$console" && ok "the full image mounts again: $(grep '\[servers\] soap' "$console" | cut -c1-60)" || bad "after the reboot: $(grep servers "$console")"
checkfull "after SIGKILL and a reboot"
f1=$(t dir -k /home 2>/dev/null | awk '$1 == "f1" { print $2 }')
out=$(t std_destroy "$f1" 2>&1 && t del /home/f1 2>&1 && t put /home/again <"$W/f150" 2>&1 && t get /home/again | cmp - "$W/f150" 2>&1); rc=$?
[[ $rc == 0 ]] && ok "a file destroyed makes room: a new 150 kB file fits and reads back" || bad "after destroying a file: $out"

# The directory server's heap bound: the kernel keeps every directory in
# its heap, so a node with little memory (24 MiB: a 2.5 MiB heap) filled
# with directories answers STD_NOSPACE at a sixteenth of its heap in
# stored bytes, long before its 1 MB directory store is full, and goes on.
tb_node_kill "$nodepid"
IMAGE="$W/heap.img" DISK_SIZE=16M MEMORY=24M WORDS=servers
boot
export AMOEBA_ROOT=$(AMOEBA_ROOT="$W/node0/host.cap" t dir -k / 2>/dev/null | awk '$1 == "root" { print $2 }')
heap=$(grep -o 'heap [0-9]* KiB' "$console" | grep -o '[0-9]*')
fill_dirs heap
made=$(wc -l <"$W/heap.made")
status=$(AMOEBA_ROOT="$W/node0/host.cap" t std_status /soap 2>&1)
if [[ $status =~ ([0-9]+)\ of\ ([0-9]+)\ bytes ]] && (( BASH_REMATCH[2] * 16 / 1024 == heap && BASH_REMATCH[1] <= BASH_REMATCH[2] && BASH_REMATCH[1] > BASH_REMATCH[2] * 9 / 10 )) \
   && [[ $made -ge 100 && $(grep -c STD_NOSPACE "$W/heap.refused") -ge 1 && $(grep -vc STD_NOSPACE "$W/heap.refused") == 0 ]]; then
  ok "a $heap KiB heap: $made directories, then STD_NOSPACE at the bound ($status; $(AMOEBA_ROOT="$W/node0/host.cap" t std_status /sys 2>&1 | grep -o 'high water [0-9]*') bytes)"
else
  bad "heap bound: $made made, $status, refusals: $(head -3 "$W/heap.refused")"
fi
# At the bound a row may or may not fit in what is left (a few dozen
# bytes, depending on the heap), so one row is deleted first: a deletion
# always goes through and makes room.
gone=$(head -1 "$W/heap.made"); sed -i 1d "$W/heap.made"
out=$(t del -d "$gone" 2>&1 && t put /home/small <"$W/small" 2>&1 && t get /home/small | cmp - "$W/small" 2>&1 && t dir / 2>&1); rc=$?
missing=$(dirs_missing heap)
[[ $rc == 0 && $missing == 0 ]] && ok "the node goes on: every acknowledged directory listed, a row deleted at the bound, a file put and read back" || bad "after the bound: rc=$rc $missing missing: $out"

# A file larger than the node's whole heap: 20 MB put and read back
# byte-identical through the node's file server (64 MiB node, 8 MiB heap);
# the upload goes to the disk in parts as it arrives and its commit joins
# them on the disk, so the heap's high water stays far below the file.
tb_node_kill "$nodepid"
IMAGE="$W/big.img" DISK_SIZE=64M MEMORY=64M WORDS=servers
boot
export AMOEBA_ROOT=$(AMOEBA_ROOT="$W/node0/host.cap" t dir -k / 2>/dev/null | awk '$1 == "root" { print $2 }')
head -c $((20 << 20)) /dev/urandom >"$W/big"
start=$(date +%s.%N)
out=$(t put /home/big <"$W/big" 2>&1); rc=$?
mid=$(date +%s.%N)
t get /home/big 2>"$W/big.err" | cmp -s - "$W/big"; same=$?
end=$(date +%s.%N)
heapline=$(AMOEBA_ROOT="$W/node0/host.cap" t std_status /sys 2>&1 | grep '^heap')
high=$(grep -o 'high water [0-9]*' <<<"$heapline" | grep -o '[0-9]*$')
heap=$(grep -o 'heap [0-9]* KiB' "$console" | grep -o '[0-9]*')
rates=$(awk -v a="$start" -v b="$mid" -v c="$end" 'BEGIN { printf "put %.1f MB/s, get %.1f MB/s", 20.97152 / (b - a), 20.97152 / (c - b) }')
[[ $rc == 0 && $same == 0 && -n $high && $high -lt $((heap * 1024 / 2)) ]] \
  && ok "a 20 MB file put and read back byte-identical ($rates); heap high water $high bytes of $heap KiB" \
  || bad "20 MB file: put rc=$rc $out, get $(cat "$W/big.err"), same=$same, $heapline"
tb_node_kill "$nodepid"
boot
t get /home/big 2>/dev/null | cmp -s - "$W/big" && ok "after SIGKILL and a reboot the 20 MB file reads back byte-identical" || bad "20 MB file after the reboot"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
