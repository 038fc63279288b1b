#!/usr/bin/env bash
# Installs a Linux host of the system: amunixd, the directory and file
# servers, amoeba-init and the shell tools, systemd units for the daemon
# and the servers, the default settings file (never overwritten) and the
# Wireshark dissector. Run as root on each host of a real network; then
# edit /etc/amoeba/amunixd.conf and start the units (the script says how).
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--bin DIR] [--uninstall]
#
# --prefix   where programs go (default /usr/local)
# --destdir  stage everything under this folder instead of / (packaging, tests)
# --bin      install these already-built programs instead of building release
# --uninstall  remove what an install put there (keeps /etc/amoeba and the stores)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local destdir= bin= uninstall=0
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --destdir) destdir=${2:?--destdir needs a folder}; shift 2 ;;
    --bin) bin=${2:?--bin needs a folder}; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
  esac
done
[[ $prefix == /* ]] || { echo "install.sh: --prefix must be an absolute path" >&2; exit 64; }

programs=(amunixd soap-server bullet-server amoeba-init cap dir mkd del get put
          chm mv om std_info std_status std_restrict std_destroy std_touch flipdump)
optional=(ax acv)
units=(amunixd amoeba-soap amoeba-bullet amoeba-om)
timers=(amoeba-om)
bindir=$destdir$prefix/bin
unitdir=$destdir/etc/systemd/system
etcdir=$destdir/etc/amoeba
sharedir=$destdir$prefix/share/amoeba
docdir=$destdir$prefix/share/doc/amoeba
bashdir=$destdir$prefix/share/bash-completion/completions
zshdir=$destdir$prefix/share/zsh/site-functions

if [[ $uninstall == 1 ]]; then
  for p in "${programs[@]}" "${optional[@]}"; do rm -f "$bindir/$p"; done
  for u in "${units[@]}"; do rm -f "$unitdir/$u.service"; done
  for t in "${timers[@]}"; do rm -f "$unitdir/$t.timer"; done
  for p in "${programs[@]}" "${optional[@]}"; do rm -f "$bashdir/$p" "$zshdir/_$p"; done
  rm -rf "$sharedir" "$docdir"
  echo "removed the programs, units and shared files; /etc/amoeba and /var/lib/amoeba are kept"
  exit 0
fi

if [[ -z $bin ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
  echo "building release (swift build -c release) ..."
  swift build -c release 2>&1 | grep -E 'error|Compiling|Build complete' | tail -3
  bin=$(swift build -c release --show-bin-path)
fi
for p in "${programs[@]}"; do
  [[ -x $bin/$p ]] || { echo "install.sh: $bin/$p missing: build it first (swift build -c release)" >&2; exit 1; }
done

install -d -m 0755 "$bindir" "$unitdir" "$sharedir/wireshark" "$docdir" "$bashdir" "$zshdir"
install -d -m 0755 "$etcdir"
for p in "${programs[@]}"; do install -m 0755 "$bin/$p" "$bindir/$p"; done
for p in "${optional[@]}"; do [[ -x $bin/$p ]] && install -m 0755 "$bin/$p" "$bindir/$p"; done
# Shell completion, generated from each program's own argument parser.
for p in "${programs[@]}" "${optional[@]}"; do
  [[ -x $bindir/$p ]] || continue
  "$bindir/$p" --generate-completion-script bash >"$bashdir/$p"
  "$bindir/$p" --generate-completion-script zsh >"$zshdir/_$p"
done
for u in "${units[@]}"; do
  sed "s#@PREFIX@#$prefix#g" "amunix/systemd/$u.service.in" >"$unitdir/$u.service"
  chmod 0644 "$unitdir/$u.service"
done
for t in "${timers[@]}"; do install -m 0644 "amunix/systemd/$t.timer" "$unitdir/$t.timer"; done
if [[ -e $etcdir/amunixd.conf ]]; then
  echo "kept $etcdir/amunixd.conf (yours); the default is amunix/systemd/amunixd.conf"
else
  install -m 0644 amunix/systemd/amunixd.conf "$etcdir/amunixd.conf"
fi
install -m 0644 scripts/wireshark/flip.lua "$sharedir/wireshark/flip.lua"
install -m 0644 README.md SECURITY.md "$docdir/" 2>/dev/null || install -m 0644 README.md "$docdir/"

echo "installed ${#programs[@]} programs in $prefix/bin, their bash and zsh completion, and units ${units[*]/%/.service}"
[[ $prefix == /usr/local || $prefix == /usr ]] && echo "note: Amoeba's dir shadows coreutils' dir for users with $prefix/bin first in PATH (--prefix /opt/amoeba keeps them apart)"
[[ -n $destdir ]] && { echo "(staged under $destdir)"; exit 0; }
getent group amoeba >/dev/null || groupadd --system amoeba
cat <<NEXT
next:
  1. set the links in /etc/amoeba/amunixd.conf (for example --link pcap:eth0)
  2. systemctl daemon-reload && systemctl enable --now amunixd
  3. on the host that keeps the name space, once:
       amoeba-init --soap-store /var/lib/amoeba/soap --bullet-store /var/lib/amoeba/bullet \\
                   --host \$(hostname)=/var/lib/amoeba/host --servers-on \$(hostname) --publish /var/lib/amoeba/host
       systemctl enable --now amoeba-soap amoeba-bullet amoeba-om.timer
  4. users in group amoeba may use the socket; give each a root capability:
       install -m 0600 -o USER /var/lib/amoeba/host/root.cap ~USER/.amoeba/root.cap
NEXT
