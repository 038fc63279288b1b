#!/usr/bin/env bash
# scripts/install.sh staged into a scratch root (--destdir): every program
# and unit in place with the right modes; the units pass systemd-analyze
# verify; each unit's ExecStart names an installed program; amunixd started
# with exactly the command line its unit and the default settings file give
# (paths moved under the scratch root, a UDP link) comes up and answers
# std_info; a second install keeps an edited settings file; --uninstall
# removes the programs and units and keeps /etc/amoeba. No root needed
# except for what systemd-analyze wants.
#
#   scripts/install-test.sh        prints "N passed, M failed"
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
W=$(mktemp -d /tmp/amoeba-install.XXXXXX)
daemon=
trap '[[ -n $daemon ]] && kill -9 "$daemon" 2>/dev/null; rm -rf "$W"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); echo "PASS $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
R=$W/root

out=$(scripts/install.sh --destdir "$R" --bin "$BIN" 2>&1)
[[ $? == 0 ]] && ok "install.sh --destdir" || { bad "install.sh: $out"; echo "0 passed, 1 failed"; exit 1; }
missing=()
for p in amunixd soap-server bullet-server amoeba-init dir mkd del get put std_info std_status; do
  [[ -x $R/usr/local/bin/$p ]] || missing+=("$p")
done
[[ ${#missing[@]} == 0 ]] && ok "programs in /usr/local/bin" || bad "missing programs: ${missing[*]}"
for u in amunixd amoeba-soap amoeba-bullet amoeba-om; do
  f=$R/etc/systemd/system/$u.service
  [[ -f $f && $(stat -c %a "$f") == 644 ]] && ok "$u.service installed 0644" || bad "$u.service: $(ls -l "$f" 2>&1)"
  exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f")
  [[ -x $R$exe ]] && ok "$u.service starts $exe, which is installed" || bad "$u.service ExecStart $exe not installed"
done
[[ -f $R/etc/amoeba/amunixd.conf ]] && ok "default settings in /etc/amoeba/amunixd.conf" || bad "no amunixd.conf"
bash_done=$(bash -c "source $R/usr/local/share/bash-completion/completions/dir 2>&1 && complete -p dir" 2>&1)
[[ $bash_done == *"complete"*" dir" ]] && ok "bash completion for dir loads and registers" || bad "bash completion: $bash_done"
grep -q -- '--json\|-l\[' "$R/usr/local/share/zsh/site-functions/_dir" && ok "zsh completion for dir lists its flags" \
  || bad "zsh completion: $(head -3 "$R/usr/local/share/zsh/site-functions/_dir")"
[[ -f $R/usr/local/share/amoeba/wireshark/flip.lua ]] && ok "dissector installed" || bad "no dissector"

if command -v systemd-analyze >/dev/null; then
  [[ -f $R/etc/systemd/system/amoeba-om.timer ]] && ok "the hourly om timer is installed" || bad "no amoeba-om.timer"
  v=$(cd "$W" && systemd-analyze verify --man=no "$R"/etc/systemd/system/*.service "$R"/etc/systemd/system/*.timer 2>&1 |
      grep -v 'is not executable: No such file or directory')
  [[ -z $v ]] && ok "systemd-analyze verify: no complaints but the staged paths" || bad "systemd-analyze verify: $v"
fi

# amunixd from its unit's own command line, with the settings file's
# variables and a UDP link instead of the default pcap:eth0.
unit=$R/etc/systemd/system/amunixd.service
cmd=$(sed -n 's/^ExecStart=//p' "$unit")
port=$((40000 + $$ % 10000))
AMUNIX_LINKS="--link udp:$port:127.0.0.1:$((port + 1))"
# shellcheck disable=SC1091
AMUNIX_LOG_LEVEL=$(. "$R/etc/amoeba/amunixd.conf"; echo "$AMUNIX_LOG_LEVEL")
AMUNIX_OPTIONS="--name staged"
cmd=${cmd//\/run\/amunix/$W/run}
cmd=${cmd//\/var\/lib\/amoeba\/host/$W/state}
cmd=${cmd//\$AMUNIX_LINKS/$AMUNIX_LINKS}
cmd=${cmd//\$AMUNIX_LOG_LEVEL/$AMUNIX_LOG_LEVEL}
cmd=${cmd//\$AMUNIX_OPTIONS/$AMUNIX_OPTIONS}
mkdir -p "$W/run" "$W/state"
# shellcheck disable=SC2086
(umask 0007; exec "$R"$cmd) >"$W/amunixd.log" 2>&1 &
daemon=$!
for _ in $(seq 200); do [[ -S $W/run/amunixd.sock && -f $W/state/sys.cap ]] && break; sleep 0.05; done
info=$(AMUNIX_SOCKET=$W/run/amunixd.sock "$R/usr/local/bin/std_info" "$W/state/sys.cap" 2>&1)
[[ $info == "system server" ]] && ok "amunixd runs from the unit's command line: std_info says '$info'" \
  || bad "amunixd from the unit: '$info' $(tail -3 "$W/amunixd.log")"
kill -TERM "$daemon"; wait "$daemon"; rc=$?; daemon=
[[ $rc == 0 ]] && ok "SIGTERM (the unit's KillSignal) stops it with exit 0" || bad "exit after SIGTERM: $rc"

echo 'AMUNIX_LINKS="--link pcap:eth1"' >>"$R/etc/amoeba/amunixd.conf"
scripts/install.sh --destdir "$R" --bin "$BIN" >/dev/null 2>&1
grep -q 'pcap:eth1' "$R/etc/amoeba/amunixd.conf" && ok "a second install keeps the edited settings" || bad "settings overwritten"

scripts/install.sh --destdir "$R" --uninstall >/dev/null 2>&1
[[ ! -e $R/usr/local/bin/amunixd && ! -e $R/etc/systemd/system/amunixd.service && ! -e $R/usr/local/share/bash-completion/completions/dir && -f $R/etc/amoeba/amunixd.conf ]] \
  && ok "--uninstall removes programs and units, keeps /etc/amoeba" || bad "uninstall left: $(find "$R" -type f | head)"
out=$(scripts/install.sh --prefix relative 2>&1); rc=$?
[[ $rc == 64 && $out == *"absolute"* ]] && ok "a relative --prefix is refused (exit 64)" || bad "relative prefix: rc=$rc $out"

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
