#!/usr/bin/env bash
# How long running a program elsewhere takes, side by side in one run:
# `ax -m node0 hello a` (a kernel node in QEMU on this machine, the program
# read from the file server over FLIP) against what a user would pick
# instead, `ssh` to an sshd started here for the measurement (key login,
# 127.0.0.1, Debian's openssh-server) running `echo hello a`. For each:
# the median and 90th percentile of the time to the first byte of output
# and to the end, over N runs (default 20). Not in CI: a benchmark.
#   scripts/ax-bench.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
BIN="${AMUNIX_BIN:-$(swift build --show-bin-path)}"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[[ -x $SSHD ]] || { echo "ax-bench: no sshd (apt-get install openssh-server)"; exit 1; }
W=$(mktemp -d /tmp/ax-bench.XXXXXX)
holder=""
cleanup() {
  [[ -n $holder ]] && { pkill -TERM -P "$holder" 2>/dev/null; kill -TERM "$holder" 2>/dev/null; }
  [[ -f $W/sshd.pid ]] && kill "$(cat "$W/sshd.pid")" 2>/dev/null
  wait 2>/dev/null; rm -rf "$W"
}
trap cleanup EXIT

# The Amoeba side: ax-test.sh's system (amunixd, file and directory
# servers, node0 and node1), held up while we measure.
scripts/ax-test.sh --hold >"$W/hold.log" 2>&1 &
holder=$!
for _ in $(seq 600); do grep -q "^up:" "$W/hold.log" && break; sleep 0.1; done
grep -q "^up:" "$W/hold.log" || { echo "ax-bench: the system did not come up"; cat "$W/hold.log"; exit 1; }
socket=$(grep -oE 'AMUNIX_SOCKET=[^ ]+' "$W/hold.log" | head -1 | cut -d= -f2)

# The ssh side: a private sshd on a free port, one key, no password.
port=$(( 22000 + $$ % 1000 ))
ssh-keygen -q -t ed25519 -N '' -f "$W/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$W/user_key"
cp "$W/user_key.pub" "$W/authorized_keys"; chmod 600 "$W/authorized_keys"
mkdir -p /run/sshd
cat >"$W/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $W/host_key
PidFile $W/sshd.pid
AuthorizedKeysFile $W/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
CONF
"$SSHD" -D -f "$W/sshd_config" -E "$W/sshd.log" &   # -D: in the foreground of its own job (no daemon())
for _ in $(seq 50); do [[ -s $W/sshd.pid ]] && break; sleep 0.1; done
sshcmd=(ssh -q -i "$W/user_key" -p "$port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
  -o BatchMode=yes "$(id -un)@127.0.0.1")
"${sshcmd[@]}" true || { echo "ax-bench: ssh login failed"; cat "$W/sshd.log"; exit 1; }

python3 - "$runs" "$socket" "$BIN/ax" "${sshcmd[@]}" <<'PY'
import os, subprocess, sys, time
runs, socket, ax = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ssh = sys.argv[4:]
env = dict(os.environ, AMUNIX_SOCKET=socket)

def measure(argv, want):
    first, total = [], []
    for _ in range(runs):
        start = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        head = p.stdout.read(1)
        first.append(time.monotonic() - start)
        rest = head + p.stdout.read()
        p.wait()
        total.append(time.monotonic() - start)
        if p.returncode != 0 or want not in rest:
            sys.exit(f"ax-bench: {argv[0]} failed: status {p.returncode}, output {rest[:200]!r}")
    return first, total

def q(xs, f):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(f * len(xs)))] * 1000

a = measure([ax, "-m", "node0", "hello", "a"], b"hello from hello: a")
s = measure(ssh + ["echo", "hello", "a"], b"hello a")
print(f"{runs} runs each                      first output p50 / p90      end p50 / p90")
print(f"ax -m node0 hello a (kernel node)    {q(a[0], .5):7.1f} / {q(a[0], .9):7.1f} ms   {q(a[1], .5):7.1f} / {q(a[1], .9):7.1f} ms")
print(f"ssh 127.0.0.1 echo hello a           {q(s[0], .5):7.1f} / {q(s[0], .9):7.1f} ms   {q(s[1], .5):7.1f} / {q(s[1], .9):7.1f} ms")
print(f"ax / ssh, end p50: {q(a[1], .5) / q(s[1], .5):.2f}x")
PY
