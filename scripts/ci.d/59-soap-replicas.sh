#!/usr/bin/env bash
# Issue 15: the directory replicated on three real daemons (Ethernet-in-UDP
# on loopback, no root): kill -9 the replica the clients reach, then the
# sequencer's host, each during 1,000 writes from two clients; the stores
# compared at the end (about half a minute).
set -euo pipefail
swift build 2>&1 | grep -E 'error|warning: unre' || true
scripts/soap-replica-test.sh
