#!/usr/bin/env bash
# Seeing the wire: the Wireshark dissector for FLIP and RPC
# (scripts/wireshark/flip.lua) and flipdump, on a capture of real traffic
# between two amunixd hosts and on hand-built frames; the two must agree
# field for field. About 10 s. Needs tcpdump and tshark (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v tshark >/dev/null || ! command -v tcpdump >/dev/null; then
  echo "tshark or tcpdump missing: installing"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark tcpdump) >/dev/null
fi
swift build 2>&1 | grep -E 'error|warning: unre' || true
timeout 120 scripts/wireshark-test.sh
