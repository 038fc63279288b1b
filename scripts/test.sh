#!/usr/bin/env bash
# The project's test command: every check CI runs, in order.
# Each step is a script in scripts/ci.d/, run in name order; the first that
# fails stops the run. Run one step alone with: scripts/test.sh NAME-PATTERN
set -euo pipefail
cd "$(dirname "$0")/.."
pattern="${1:-}"
failed=0
for step in scripts/ci.d/*.sh; do
  name=$(basename "$step" .sh)
  [[ -n "$pattern" && "$name" != *$pattern* ]] && continue
  echo "==> $name"
  start=$(date +%s)
  if ! bash "$step"; then
    echo "==> $name FAILED after $(( $(date +%s) - start ))s"
    failed=1
    break
  fi
  echo "==> $name ok ($(( $(date +%s) - start ))s)"
done
exit $failed
