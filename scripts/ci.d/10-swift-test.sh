#!/usr/bin/env bash
# Host build and unit tests (Swift Testing), including the simulated-network tests.
set -euo pipefail
swift build --build-tests 2>&1 | grep -vE '^(\[[0-9]+/[0-9]+\]|Compiling|Building)' || true
swift test --skip-build 2>&1 | tail -n 60
exit "${PIPESTATUS[0]}"
