#!/usr/bin/env bash
# Boots each kernel scenario in QEMU (TCG) and checks it: every expected
# line must appear on the serial console, and the guest must end QEMU
# through isa-debug-exit with the pass code (QEMU status 33), all within a
# timeout. Guest time runs on QEMU's instruction counter (`-icount
# shift=0,sleep=off`: one nanosecond per instruction, idle time skipped), so
# the timing checks are exact and do not depend on the host's load; set
# KERNEL_TEST_REALTIME=1 to run on the host clock instead. A hang, a triple fault (QEMU exits 0 with -no-reboot), a missing
# line or a fail code fails the run.
#   scripts/kernel-test.sh [scenario...]     (default: all)
set -uo pipefail
cd "$(dirname "$0")/.."
out="${KERNEL_OUT:-.build-kernel}"
[ "${KERNEL_NO_BUILD:-0}" = 1 ] || scripts/kernel-build.sh 2>&1 | grep -E "error:|^kernel:" || exit 1
logs="$out/logs"
mkdir -p "$logs"

# scenario | timeout seconds | expected status | lines that must appear (regex, ';'-separated)
table=(
  "boot|20|33|VX kernel booting;\[kernel\] ready in [0-9]+ us;scenario PASS"
  "fault|20|35|kernel exception: invalid opcode;eip 0x[0-9a-f]{8}"
  "timers|60|33|fired in deadline order=true, early=0;periodic 5 ms x20;reached in hops;each later than the last armed the PIT;(tickless);scenario PASS"
  "sched|60|33|priority order HIGH/HIGH HIGH/LOW NORM/HIGH NORM/NORM NORM/LOW LOW/LOW;round robin abcabcabc;kernel thread not preempted: sSo;sums intact=true;fresh slice at every switch: .* whole=true;preempted the spinner;scenario PASS"
  "heap|120|33|in use [0-9]+ at start, ([0-9]+) after round 1, \1 at end;double free refused=true;scenario PASS"
  "servers|60|33|kernel directory:;directory std_info \"%dw1234\";directory LIST [0-9]+ bytes, paged at row 1;tty:00 std_info \"\+;tod GETTIME [0-9]+ s;distinct=true;sys KSTAT m: heap:;sys KSTAT n: no network interface;as Amoeba: directory STD_AGE STD_COMBAD, STD_DESTROY -2102, empty path the directory; GETRANDOM 5000 gives 1024;hello through tty:00;forged STD_CAPBAD, unknown STD_COMBAD, unserved RPC_NOTFOUND;scenario PASS"
  "processes|90|33|user: hello from a protected process;process 1 \(hello\) exited with status 0;readable and writable=true;aborted: page fault \(write, not present\) at 0x00000000 \(null pointer\);aborted: page fault \(read, protection\) at 0x00100000;aborted: divide error;aborted: invalid opcode;aborted: stack overflow;\(faulty10\) aborted: stack overflow \(page fault at 0x4[0-9a-f]{7}\);\(faulty11\) aborted: sig return with no signal context;\(faulty12\) aborted: bad system call argument: 16 bytes at 0x00100000;aborted: bad system call number 99;aborted: bad system call argument;aborted: general protection;user driver awaited IRQ 8 on a shared line \(2 handlers;user server answered echo, add, refusal; its helper thread finished; exited true;stopped at its exit: 0 left, [0-9]+ us after the call; held request answered RPC_FAILURE;client whose process had ended: putrep returned 0, next request answered STD_OK; exited true;worker finished, sum correct=true;0 pages not yet returned;scenario PASS"
  "segments|60|33|std_info \"in-core segment, 12288 bytes\";forged check, other object, raised rights, other port: STD_CAPBAD STD_CAPBAD STD_CAPBAD STD_CAPBAD;both processes saw each other's writes; after the last unmap the capability is STD_CAPBAD;\(segserver\) aborted: write to a read-only mapping of a shared segment;its reply: RPC_FAILURE;16 MiB segments until memory ran out: [1-9] created, then STD_NOMEM; all unmapped=true;segclient: 0 failures;process [0-9]+ \(segclient\) exited with status 0;[0-9]+ segment pages returned, 0 segments left, 0 pages not yet returned;scenario PASS"
  "signals|60|33|caught 5 on its own thread \(extra 500\), returned to where it was: floating point intact=true, catcher computed=true;getreq cut short by signal 6: RPC_ABORTED, catcher ran=true;sleep cut short by signal 7: STD_INTR;queued trans cut short by signal 9: RPC_ABORTED, catcher ran=true;trans being served went on through signal 8; its server caught SIG_TRANS=true and answered STD_INTR; client catcher ran after=true;a computing thread caught 13 between two instructions=true, its result intact=true;signals caught, 0 failures; raising 12;\(signals\) aborted: uncaught signal 12;caught signal 10 from the kernel \(extra 1000\);\(plain\) aborted: uncaught signal 11;threads still catching, 0 pages not yet returned;scenario PASS"
  "nodecore|60|33|nodecore: 500 null transactions between two node bodies in memory: [0-9]+ counts each \(both ends\), 3 frames each, 0 failed;executions 550;scenario PASS"
  "limits|180|33|thread storm: 31 threads, then STD_NOSPACE;thread storm: [0-9]+ threads, then STD_NOMEM;trans with empty buffers at null and kernel addresses: 0, STD_OK;request of 30001 bytes: STD_ARGBAD; of 30000: STD_OK;2 MiB segment: STD_NOMEM, 1 MiB stack: STD_NOMEM, undone=true;\(limits4\) aborted: bad system call argument: 32 bytes at 0x;limits: 0 pages not yet returned, heap blocks in use [0-9]+ after round 2;scenario PASS"
  "syscallfuzz|180|33|fuzz: seed 1,;syscallfuzz: [0-9]+ system calls in [0-9]+ ms, seeds .* worker ok;syscallfuzz: 0 pages not yet returned, heap blocks in use [0-9]+ after pass 1;scenario PASS"
  "disk|90|33|disk: 6 threads x 8 rounds: most in flight [2-9].*errors 0, data intact=true;vdisk:00 DS_SIZE 16384, read past the end STD_ARGBAD, write STD_OK, read back true;block store in the kernel: 150 commits, [0-9]+ compactions, opened again intact=true;disk: 0 failures;scenario PASS"
  "sync|60|33|sync: mutex: 4 threads x 500 increments with a yield inside: 2000, overlapped=false;sync: semaphores: 300 items through a buffer of 4, sum 45150;sync: barrier: 4 threads over 10 phases, in step=true;sync: try STD_NOTNOW, timed wait STD_NOTNOW, relock STD_ARGBAD, unlock not held STD_ARGBAD, bad handle STD_ARGBAD, bad kind STD_ARGBAD, barrier of 1 STD_ARGBAD;sync: 57 more objects, then STD_NOSPACE; destroyed 57; one made again=true;sync: semaphore wait cut short by signal 14: STD_INTR, catcher ran=true;sync: 0 failures;process [0-9]+ \(sync\) exited with status 0;waiting threads ended with their process in [0-9]+ us;sync: 0 pages not yet returned;scenario PASS"
  # tty:00 input: the runner types into the serial line (kernel-tty-feed.py) only when the guest waits for it.
  "tty|60|33|tty: non-blocking read with nothing typed: STD_OK, 0 bytes;tty: read without the READ right: STD_CAPBAD;tty: 16 cat processes waiting in FSQ_READ; a 17th reader: STD_NOSPACE; std_info meanwhile: STD_OK;tty: readers killed while waiting: 16 dropped, 0 left;^hello from the host.?$;tty: cat read 20 bytes from tty:00 and wrote 20 back;tty: 5000 bytes typed with nobody reading: 4096 kept, 904 lost to a full buffer;tty: drained with non-blocking reads of 2000: 1024 1024 1024 1024 0 bytes;tty: 0 failures;scenario PASS"
  "procsegs|60|33|procsegs: PS_SEG_CREATE size 0, -4096, 17 MiB, 2\^31-1, a clone of no capability, a forged server capability: STD_ARGBAD STD_ARGBAD STD_NOSPACE STD_NOSPACE STD_ARGBAD STD_CAPBAD; pages taken 0;procsegs: a 10000-byte segment: BS_SIZE 12288, std_info \"in-core segment\";procsegs: PS_SEG_WRITE at -1, at the end, data past h_size, without PSR_WRITE: STD_ARGBAD STD_ARGBAD STD_ARGBAD STD_CAPBAD; 300 bytes at 12200 wrote 88; read back intact=true;procsegs: clone STD_OK, same bytes=true; STD_DESTROY without PSR_DELETE STD_CAPBAD, with it STD_OK, then STD_CAPBAD;procsegs: 64 segments, then STD_NOSPACE; all destroyed, 0 pages held;user: hello from a protected process;procsegs: PS_EXEC of hello from two segments on the proc server: STD_OK, exited 0; stack segment afterwards STD_CAPBAD;procsegs: exec cost [0-9]+ guest instructions;procsegs: 0 stored segments, 0 pages, 0 pages not yet returned;procsegs: 0 failures;scenario PASS"
  "measure|60|33|null transaction round trip [0-9]+ counts;user server \(getreq \+ putrep\) null transaction round trip [0-9]+ counts;user server \(reply-and-receive\) null transaction round trip [0-9]+ counts;user process run ok;fast path taken: [0-9]+ transactions, [0-9]+ replies;thread switch .* [0-9]+ counts;scenario PASS"
  # The image a node boots for real carries no scenario, fixture or test program.
  "real-image|20|35|ready in [0-9]+ us;scenario=boot: this image carries no test scenarios"
)

clock=(-icount shift=0,sleep=off -rtc clock=vm)   # the RTC on guest time too
[ "${KERNEL_TEST_REALTIME:-0}" = 1 ] && clock=()
want=("$@")
failed=0; ran=0
for row in "${table[@]}"; do
  IFS='|' read -r name limit status lines <<<"$row"
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $name "* ]]; then continue; fi
  ran=$((ran + 1))
  log="$logs/$name.log"
  image="$out/kernel-test.elf" scenario=$name
  [ "$name" = real-image ] && image="$out/kernel.elf" scenario=boot
  start=$(date +%s.%N)
  # The disk scenario gets a fresh 8 MiB image (a virtio-blk disk).
  disk=()
  if [ "$name" = disk ]; then
    rm -f "$logs/disk.img"; truncate -s 8M "$logs/disk.img"
    disk=(-drive "file=$logs/disk.img,format=raw,if=none,id=disk0" -device virtio-blk-pci,drive=disk0)
  fi
  # The tty scenario's serial line is a socket whose other end types into it.
  serial=(-serial "file:$log") feed=(timeout "$limit")
  if [ "$name" = tty ]; then
    sock="$logs/tty.sock"
    serial=(-chardev "socket,id=ser0,path=$sock,server=on,wait=on" -serial chardev:ser0)
    feed=(python3 scripts/kernel-tty-feed.py "$log" "$limit" "$sock")
  fi
  "${feed[@]}" qemu-system-i386 -accel tcg -cpu max -m 64M -no-reboot -display none \
    "${serial[@]}" -monitor none -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
    "${clock[@]}" "${disk[@]}" ${QEMU_FLAGS:-} -kernel "$image" -append "scenario=$scenario" </dev/null >/dev/null 2>&1
  rc=$?
  took=$(printf '%.2f' "$(echo "$(date +%s.%N) - $start" | bc)")
  problems=()
  if [ "$name" = real-image ]; then
    for word in syscallfuzz program_fuzz BenchServer; do
      grep -q "$word" "$image" && problems+=("kernel.elf carries test code ($word)")
    done
  fi
  [ "$rc" = 124 ] && problems+=("timed out after ${limit}s")
  [ "$rc" != "$status" ] && [ "$rc" != 124 ] && problems+=("exit status $rc, expected $status")
  IFS=';' read -ra patterns <<<"$lines"
  for p in "${patterns[@]}"; do
    grep -qE "$p" "$log" 2>/dev/null || problems+=("missing line /$p/")
  done
  if [ ${#problems[@]} -eq 0 ]; then
    echo "kernel scenario $name: ok (${took}s)"
  else
    failed=$((failed + 1))
    echo "kernel scenario $name: FAILED (${took}s)"
    for p in "${problems[@]}"; do echo "    $p"; done
    echo "    --- console ($log) ---"; sed 's/^/    | /' "$log" | tail -40
  fi
done
[ "$ran" -gt 0 ] || { echo "no such scenario: ${want[*]}"; exit 1; }
echo "kernel scenarios: $((ran - failed))/$ran passed"
[ "$failed" = 0 ]
