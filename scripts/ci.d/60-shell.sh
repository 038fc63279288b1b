#!/usr/bin/env bash
# The name space on the network: dir, mkd, del, get, put, amoeba-init and
# the std tools with paths, against soap-server and bullet-server over
# three amunixd hosts in Ethernet-in-UDP mode (no root); a 50 MB round
# trip across hosts and kill -9 of each server during a stream of writes.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! pkg-config --exists libpcap 2>/dev/null; then
  echo "libpcap-dev missing: installing"
  (apt-get update -qq && apt-get install -y -qq libpcap-dev) >/dev/null
fi
swift build 2>&1 | grep -E 'error|warning: unre' || true
scripts/shell-tests.sh --size-mb 50
