#!/usr/bin/env bash
# The fuzz runner: builds every libFuzzer target in Fuzz/Targets and either
# replays its seed corpus or fuzzes it.
#
#   scripts/fuzz.sh --replay [TARGET...]      run each corpus input once
#   scripts/fuzz.sh --runs N [TARGET...]      fuzz N inputs per target
#   scripts/fuzz.sh --seconds N [TARGET...]   fuzz N seconds per target
#   options: --work DIR (default .build-fuzz/work), --build-only, --list
#
# A target is one file, Fuzz/Targets/<name>.swift, whose first line is
#   // fuzz-modules: AmoebaCore FLIP
# naming the source folders under Sources/ compiled in with it, in
# dependency order. Target and modules become ONE Swift module, built with
# -sanitize=fuzzer,address, so the compiler sees everything and the
# sanitizer watches all of it. Because it is one module, the copies of the
# module sources have their imports of project modules removed (and are
# renamed <Module>_<file>.swift, since two modules may share a file name).
#
# Seeds live in Fuzz/Corpus/<name>/ (in git). Fuzzing reads them and writes
# new inputs to WORK/corpus/<name>/ (outside git); crashes, leaks and
# timeouts go to WORK/crashes/<name>/ and are listed at the end. Add a
# crash input to the seed corpus once it is fixed, so --replay keeps it
# fixed. Optional libFuzzer dictionaries: Fuzz/Dicts/<name>.dict.
#
# Exit status: 0 when every target built and nothing crashed; 1 otherwise.
set -uo pipefail
# The whole script is one group, read before any of it runs, so editing the
# file during a long fuzzing run cannot change what that run does.
{
cd "$(dirname "$0")/.."
root=$(pwd)

mode=""
amount=""
work="${FUZZ_OUT:-$root/.build-fuzz}/work"
targets=()
while (($#)); do
  case "$1" in
    --replay) mode=replay ;;
    --runs | --seconds)
      mode=${1#--}
      amount=${2:-}
      [[ "$amount" =~ ^[0-9]+$ ]] || { echo "fuzz.sh: $1 needs a whole number" >&2; exit 2; }
      shift ;;
    --work) work=${2:-}; [[ -n "$work" ]] || { echo "fuzz.sh: --work needs a directory" >&2; exit 2; }; shift ;;
    --build-only) mode=build ;;
    --list) mode=list ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1") ;;
  esac
  shift
done
[[ -n "$mode" ]] || { echo "fuzz.sh: say --replay, --runs N or --seconds N (see --help)" >&2; exit 2; }

# Where targets and seeds live; overridable so the runner can test itself
# (scripts/fuzz-selftest.sh) on targets that crash on purpose.
targetDir=${FUZZ_TARGETS:-Fuzz/Targets}
corpusDir=${FUZZ_CORPUS:-Fuzz/Corpus}
dictDir=${FUZZ_DICTS:-Fuzz/Dicts}
out=${FUZZ_OUT:-"$root/.build-fuzz"}

all=()
for f in "$targetDir"/*.swift; do
  [[ -e "$f" ]] && all+=("$(basename "$f" .swift)")
done
if ((${#targets[@]} == 0)); then
  targets=("${all[@]}")
fi
if [[ $mode == list ]]; then
  printf '%s\n' "${all[@]}"
  exit 0
fi

# FUZZ_OPT=-Onone builds three times faster and fuzzes slower: right for
# CI's brief runs, wrong for long ones. Each level keeps its own binaries.
opt=${FUZZ_OPT:--O}
bindir="$out/bin$opt"
mkdir -p "$bindir" "$out/src"
linker=()
command -v ld.lld >/dev/null 2>&1 && linker=(-use-ld=lld)
# C shims the copied modules may import (a folder holding a module.modulemap,
# such as Servers/CFileSync): on the include path, loaded only if imported.
shims=()
for m in Sources/*/module.modulemap Servers/*/module.modulemap; do
  [[ -e "$m" ]] && shims+=(-I "$(dirname "$m")")
done

# Builds target $1 into $bindir/$1 unless it is newer than all its sources.
build() {
  local name=$1 file="$targetDir/$1.swift" bin="$bindir/$1"
  if [[ ! -f "$file" ]]; then
    echo "fuzz.sh: no target $name (have: ${all[*]})" >&2
    return 1
  fi
  local header modules
  header=$(head -n 1 "$file")
  if [[ "$header" != "// fuzz-modules:"* ]]; then
    echo "fuzz.sh: $file must start with '// fuzz-modules: MODULE...'" >&2
    return 1
  fi
  read -r -a modules <<<"${header#// fuzz-modules:}"
  # A module is a folder under Sources/ (AmoebaCore) or a path (Servers/Directory).
  local sources=("$file") m dirs=() names=()
  for m in "${modules[@]}"; do
    local dir="Sources/$m"
    [[ -d "$dir" ]] || dir="$m"
    if [[ ! -d "$dir" ]]; then
      echo "fuzz.sh: $name names module $m, but neither Sources/$m nor $m exists" >&2
      return 1
    fi
    dirs+=("$dir")
    names+=("$(basename "$m")")
    sources+=("$dir"/*.swift)
  done
  local newest
  newest=$(ls -t "${sources[@]}" "$0" | head -n 1)
  if [[ -x "$bin" && "$bin" -nt "$newest" ]]; then
    return 0
  fi
  # One module: copy the sources flat, dropping imports of project modules.
  local src="$out/src/$name" pattern
  rm -rf "$src" && mkdir -p "$src"
  pattern="^[[:space:]]*(@testable[[:space:]]+|@_exported[[:space:]]+|@_implementationOnly[[:space:]]+)?import[[:space:]]+($(IFS='|'; echo "${names[*]}"))[[:space:]]*$"
  local i
  for i in "${!dirs[@]}"; do
    for f in "${dirs[$i]}"/*.swift; do
      grep -Ev "$pattern" "$f" >"$src/${names[$i]}_$(basename "$f")"
    done
  done
  grep -Ev "$pattern" "$file" >"$src/zz_target_$name.swift"
  echo "fuzz.sh: building $name (${modules[*]})"
  local start=$SECONDS
  if ! swiftc -sanitize=fuzzer,address -parse-as-library "$opt" -module-name "fuzz_$name" \
      "${linker[@]}" "${shims[@]}" "$src"/*.swift -o "$bin.tmp" 2>"$out/$name.build.log"; then
    cat "$out/$name.build.log" >&2
    echo "fuzz.sh: $name FAILED to build" >&2
    return 1
  fi
  mv "$bin.tmp" "$bin"
  echo "fuzz.sh: built $name in $((SECONDS - start))s"
}

# Swift's own crash handler reads the crashed stack and trips AddressSanitizer;
# libFuzzer and ASan report crashes well enough without it.
export SWIFT_BACKTRACE=enable=no
# Common libFuzzer options: a hang or a memory blow-up is a bug as well.
common=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

failed=()
summary=()
for name in "${targets[@]}"; do
  if ! build "$name"; then
    failed+=("$name (build)")
    continue
  fi
  [[ $mode == build ]] && continue
  bin="$bindir/$name"
  seeds="$corpusDir/$name"
  log="$out/$name.$mode.log"
  if [[ $mode == replay ]]; then
    inputs=()
    [[ -d "$seeds" ]] && while IFS= read -r -d '' f; do inputs+=("$f"); done \
      < <(find "$seeds" -type f -print0 | sort -z)
    if ((${#inputs[@]} == 0)); then
      echo "fuzz.sh: $name has no seed corpus in $seeds" >&2
      failed+=("$name (no corpus)")
      continue
    fi
    # Given files, libFuzzer runs each once and stops at the first crash.
    if "$bin" "${common[@]}" "${inputs[@]}" >"$log" 2>&1; then
      summary+=("$name: replayed ${#inputs[@]} inputs, no crash")
    else
      tail -n 40 "$log" >&2
      failed+=("$name (replay crashed; log $log)")
    fi
    continue
  fi
  corpus="$work/corpus/$name"
  crashes="$work/crashes/$name"
  mkdir -p "$corpus" "$crashes"
  stamp="$out/$name.stamp"
  touch "$stamp"
  limit=(-runs="$amount")
  [[ $mode == seconds ]] && limit=(-max_total_time="$amount")
  dict=()
  [[ -f "$dictDir/$name.dict" ]] && dict=(-dict="$dictDir/$name.dict")
  seedDirs=()
  [[ -d "$seeds" ]] && seedDirs=("$seeds")
  echo "fuzz.sh: fuzzing $name (${mode} ${amount})"
  "$bin" "${common[@]}" "${limit[@]}" "${dict[@]}" -artifact_prefix="$crashes/" \
    "$corpus" "${seedDirs[@]}" >"$log" 2>&1
  status=$?
  runs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 | awk '{print $2 " inputs in " $5 " s"}')
  [[ -n "$runs" ]] || runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{print $2 " inputs"}')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1)
  # Only this run's findings: older ones were reported when they were made.
  found=$(find "$crashes" -type f -newer "$stamp" | sort)
  if ((status != 0)) || [[ -n "$found" ]]; then
    tail -n 40 "$log" >&2
    failed+=("$name (crashed; inputs: $(echo $found); log $log)")
  fi
  summary+=("$name: ${runs:-? inputs}, ${cov:-no stats}, status $status")
done

echo "fuzz.sh: summary"
for line in "${summary[@]}"; do echo "  $line"; done
if ((${#failed[@]})); then
  echo "fuzz.sh: FAILED:"
  for f in "${failed[@]}"; do echo "  $f"; done
  exit 1
fi
exit 0
}
