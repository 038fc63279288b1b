# Shared by scripts/kernel-net-counts.sh and kernel-net-profile.sh
# (sourced, not run; root): the bed they measure one kernel node on. A
# Linux namespace and a tap device for the node on one bridge
# (bridge-bed.sh), the programs they run built (rpc_bench in release,
# `floors`, the test kernel), a work folder, and all of it removed on exit
# with every process the caller added to PIDS.

source scripts/lib/bridge-bed.sh

# knb_setup PREFIX NAME: sets BIN, BBIN, W (/tmp/NAME.XXXXXX), A (the
# Linux namespace, its link v0), BR (the bridge's namespace), TAP (the
# node's tap device) and PIDS, and traps EXIT to clean up.
knb_setup() {
  local prefix=$1 name=$2
  export PATH=/opt/swift/usr/bin:$PATH
  swift build -c release --product rpc_bench 2>&1 | grep -E "error" || true
  BIN=$(swift build -c release --show-bin-path)
  BBIN=.build-bench
  mkdir -p "$BBIN"
  [[ $BBIN/floors -nt Benchmarks/Sources/floors ]] || swiftc -O Benchmarks/Sources/floors/*.swift -o "$BBIN/floors"
  [[ -f .build-kernel/kernel-test.elf ]] || scripts/kernel-build.sh >/dev/null 2>&1
  W=$(mktemp -d "/tmp/$name.XXXXXX")
  A="$prefix$$a"; BR="$prefix$$br"; TAP="$prefix$$t0"
  PIDS=()
  trap knb_cleanup EXIT
  bb_bridge "$BR"
  bb_host "$A" "$BR" "$prefix$$a"
  bb_tap "$BR" "$TAP"
}

knb_cleanup() {
  for p in "${PIDS[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$BR" 2>/dev/null || true
  rm -rf "$W"
}
