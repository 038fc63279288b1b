#!/usr/bin/env bash
# amunixd's pcap: link links against libpcap: Debian's libpcap-dev must be
# there before the first build. Installs it when missing (CI runs as root).
set -euo pipefail
if [[ -f /usr/include/pcap/pcap.h ]]; then
  echo "libpcap-dev present"
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "libpcap-dev is missing: run 'apt-get install libpcap-dev' as root"
  exit 1
fi
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpcap-dev pkg-config) >/dev/null
echo "installed libpcap-dev"
