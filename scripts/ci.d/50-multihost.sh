#!/usr/bin/env bash
# amunixd multi-host tests: Ethernet-in-UDP on loopback (no root), then raw
# Ethernet via libpcap across network namespaces (root; skipped, and said
# so, where not root or where namespaces are unavailable).
set -euo pipefail
swift build 2>&1 | grep -E 'error|warning: unre' || true
scripts/amunix-multihost.sh udp
if [[ $(id -u) == 0 ]] && ip netns add amx-probe-$$ 2>/dev/null; then
  ip netns del amx-probe-$$
  scripts/amunix-multihost.sh pcap
else
  echo "pcap mode skipped: needs root and network namespaces"
fi
