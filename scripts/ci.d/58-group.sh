#!/usr/bin/env bash
# Issue 15: group communication between programs on three real daemons
# (Ethernet-in-UDP on loopback, no root; about half a minute).
set -euo pipefail
swift build 2>&1 | grep -E 'error|warning: unre' || true
scripts/group-multihost.sh
