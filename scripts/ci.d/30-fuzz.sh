#!/usr/bin/env bash
# Fuzzing in CI: first check that the runner reports crashes at all, then
# replay every target's seed corpus (old crashes must stay fixed), then fuzz
# each target briefly. The fuzzing budget is shared: about 90 s across all
# targets, at most 20 s and at least 5 s each, so CI stays within its time
# as targets are added. Long runs: scripts/fuzz.sh --runs N.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/fuzz-selftest.sh
export FUZZ_OPT=-Onone   # CI fuzzes briefly: build fast
# Builds are independent: one per core.
scripts/fuzz.sh --list | xargs -P "$(nproc)" -n 1 scripts/fuzz.sh --build-only
scripts/fuzz.sh --replay
count=$(scripts/fuzz.sh --list | wc -l)
(( count > 0 )) || exit 0
per=$(( 90 / count ))
(( per > 20 )) && per=20
(( per < 5 )) && per=5
scripts/fuzz.sh --seconds "$per"
