#!/usr/bin/env bash
# Issue 10: forged frames against real daemons (no root; under 2 minutes).
set -euo pipefail
swift build 2>&1 | grep -E 'error|warning: unre' || true
scripts/adversarial.sh
