#!/usr/bin/env bash
# Tests of the fuzz runner itself: a runner that never reports a crash would
# make every fuzzing step in CI pass. Builds a throwaway target that traps on
# inputs starting with "boom" and checks that scripts/fuzz.sh
#   - replays a clean corpus and succeeds,
#   - replays a corpus holding the crashing input and fails, naming it,
#   - finds the crash by fuzzing from the seed "boo" and saves the input,
#   - refuses a target without its fuzz-modules line.
# Runs in a temporary directory; nothing in the tree changes.
set -uo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export FUZZ_TARGETS="$tmp/targets" FUZZ_CORPUS="$tmp/corpus" FUZZ_OUT="$tmp/out"
# Built optimised whatever the caller asks for the real targets: unoptimised,
# the "boom" comparison is a generic call the fuzzer's comparison tracing
# does not see, and the search below may not find the crash in its runs.
unset FUZZ_OPT
mkdir -p "$FUZZ_TARGETS" "$FUZZ_CORPUS/selftest_boom"
cat >"$FUZZ_TARGETS/selftest_boom.swift" <<'SWIFT'
// fuzz-modules: AmoebaCore
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Uses the module compiled in, to prove it is there without an import.
    if bytes.count >= 6, Port(bytes: bytes[0..<6]) == nil { fatalError("port") }
    if bytes.starts(with: Array("boom".utf8)) { fatalError("boom") }
    return 0
}
SWIFT
printf 'boo' >"$FUZZ_CORPUS/selftest_boom/seed"

failures=0
check() {  # check DESCRIPTION EXPECTED-STATUS ACTUAL-STATUS [LOG PATTERN]
  local what=$1 want=$2 got=$3
  if [[ "$want" != "$got" ]]; then
    echo "fuzz-selftest: FAIL: $what (status $got, wanted $want)"
    failures=$((failures + 1))
  elif [[ $# -ge 5 ]] && ! grep -q -- "$5" "$4"; then
    echo "fuzz-selftest: FAIL: $what (output lacks '$5')"
    failures=$((failures + 1))
  else
    echo "fuzz-selftest: ok: $what"
  fi
}

scripts/fuzz.sh --replay >"$tmp/clean.log" 2>&1
check "clean corpus replays" 0 $? "$tmp/clean.log" "replayed 1 inputs, no crash"

printf 'boom!' >"$FUZZ_CORPUS/selftest_boom/crash"
scripts/fuzz.sh --replay >"$tmp/crash.log" 2>&1
check "crashing corpus input fails the replay" 1 $? "$tmp/crash.log" "replay crashed"
rm "$FUZZ_CORPUS/selftest_boom/crash"

scripts/fuzz.sh --runs 2000000 >"$tmp/fuzz.log" 2>&1
check "fuzzing finds the crash" 1 $? "$tmp/fuzz.log" "crashed; inputs: .*crash-"
if ! grep -rqs '^boom' "$FUZZ_OUT/work/crashes/selftest_boom/"; then
  echo "fuzz-selftest: FAIL: the crashing input was not saved"
  failures=$((failures + 1))
fi

sed -i 1d "$FUZZ_TARGETS/selftest_boom.swift"
scripts/fuzz.sh --replay >"$tmp/bad.log" 2>&1
check "a target without fuzz-modules is refused" 1 $? "$tmp/bad.log" "must start with"

scripts/fuzz.sh --replay no_such_target >"$tmp/missing.log" 2>&1
check "an unknown target is refused" 1 $? "$tmp/missing.log" "no target no_such_target"

((failures == 0)) || { echo "fuzz-selftest: $failures failure(s)"; exit 1; }
echo "fuzz-selftest: all ok"
