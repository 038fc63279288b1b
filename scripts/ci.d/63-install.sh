#!/usr/bin/env bash
# scripts/install.sh staged into a scratch root with the debug build: the
# programs, the systemd units (systemd-analyze verify), the settings file
# kept across installs, amunixd run from its unit's command line, and
# --uninstall. About 5 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build 2>&1 | grep -E 'error|warning: unre' || true
timeout 120 scripts/install-test.sh
