#!/usr/bin/env bash
# Boots the kernel in QEMU (TCG) with its console on this terminal, with or
# without a network interface (virtio-net) on a link named the way amunixd
# names its links, so kernel nodes and amunixd nodes can share a wire.
# Run with --help for the options.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${KERNEL_OUT:-.build-kernel}"

usage() {
  cat <<'EOF'
usage: scripts/kernel-run.sh [options] [kernel command line words...]

Boots the VX kernel in QEMU (TCG) with its console on this terminal.
Words that are not options form the kernel command line, e.g.
  scripts/kernel-run.sh scenario=timers
  scripts/kernel-run.sh --link udp:7002:127.0.0.1:7001 net=stats
  scripts/kernel-run.sh --link mcast:239.255.0.1:7000,key=segment.key --state node0

options:
  --link LINK    give the node a NIC (virtio-net) on LINK, one of
                   udp:LOCALPORT:REMOTEHOST:REMOTEPORT[,key=FILE]
                       Ethernet frames as UDP datagrams, point to point (QEMU
                       -netdev dgram): the node listens on 127.0.0.1:LOCALPORT
                       and sends to REMOTEHOST:REMOTEPORT. No root needed;
                       amunixd --link udp:REMOTEPORT:127.0.0.1:LOCALPORT is
                       the other end.
                   mcast:GROUP:PORT[,local=ADDR][,ttl=N][,key=FILE]
                       a shared segment over UDP multicast (QEMU -netdev
                       socket,mcast=GROUP:PORT,localaddr=ADDR): every member
                       hears every frame. ADDR picks the interface and is
                       127.0.0.1 unless given, which keeps the segment on this
                       machine (amunixd needs local=127.0.0.1 to join it);
                       ttl= is accepted for amunixd's spelling and ignored
                       (QEMU cannot set it).
                   tap:IFACE
                       the Linux tap interface IFACE (QEMU -netdev tap; root,
                       IFACE created beforehand, e.g. ip tuntap add IFACE mode tap).
                 key=FILE (udp: and mcast:) makes the segment private, as
                 amunixd's key= does: FILE is the segment's key (64 hex
                 digits, mode 0600; the one amunixd made or uses) and the
                 kernel seals every frame it sends with it (ChaCha20-Poly1305,
                 numbered against replay) and drops what does not open. The
                 key reaches the kernel as the fw_cfg file opt/amoeba/segkey,
                 never on the QEMU command line; a missing or malformed FILE
                 stops kernel-run before the boot. A keyed link is a trusted
                 FLIP network (frames not marked UNSAFE), like amunixd's.
                 Without --link the node has no NIC.
  --trusted yes|no
                 whether the link is a trusted FLIP network, passed to the
                 kernel as the word trusted=yes|no: on an untrusted one every
                 packet the node sends or passes on carries FLIP's UNSAFE
                 flag, and nothing that asks for security is routed over it.
                 Default: yes for tap: (raw Ethernet, trusted as an Amoeba
                 Ethernet is), no for udp: and mcast: (QEMU's sockets have
                 no key: any local program can send to them), as amunixd's
                 defaults for pcap: and unkeyed links.
                 A trusted= word on the command line is passed as it is.
  --state DIR    the node's state folder (made 0700), as amunixd has one: the
                 host secret (DIR/hostsecret, made on first use and kept) reaches
                 the kernel as the fw_cfg file opt/amoeba/hostsecret, never on
                 the QEMU command line (which any local user can read with ps),
                 and the host capability it gives is written to DIR/host.cap
                 (0600) before the boot, so the node keeps
                 its capability across reboots and `amoeba-init --host
                 NAME=DIR` enters it as /hosts/NAME. Needs the `cap` tool
                 (swift build; AMUNIX_BIN names its folder if elsewhere).
  --disk FILE    give the node a disk (virtio-blk) backed by the raw image FILE,
                 served as vdisk:00 in its kernel directory. A missing FILE is
                 created (sparse, zero-filled) with --disk-size bytes. The
                 device's write cache is on and the kernel flushes it before
                 acknowledging a write, so an acknowledged DS_WRITE is in FILE.
  --disk-size N  the size of a new image: bytes, or with a K, M or G suffix
                 (default 64M; a multiple of 512). An existing FILE keeps its size.
  --prepare      with --state (and --disk): make the state folder (host secret,
                 host.cap, mac) and the disk image, then exit without booting:
                 what `amoeba-init --disk IMAGE --host NAME=DIR` needs before
                 the node's first boot.
  --memory N     the node's memory (QEMU -m: bytes, or with a K, M or G suffix;
                 default 64M). The kernel heap is an eighth of it, 1-16 MiB.
  --mac MAC      the NIC's address (default 52:54:00:..., derived from the
                 link so that two nodes on one link differ: the local port
                 for udp:, the interface name for tap:, this process for mcast:;
                 with --state, the one kept in STATE/mac from the first boot)
  -h, --help     this text

the console: what you type goes to the node's serial port (tty:00).
  Ctrl-A X       quit QEMU (the node stops at once; its state folder stays)
  Ctrl-A C       QEMU's monitor and back (info network, info registers, ...)
  Ctrl-A H       the other Ctrl-A keys
  Ctrl-C         goes to the node like any other key

kernel command line words the kernel knows:
  scenario=NAME  run a self-checking scenario and exit (see kernel-test.sh)*
  net=stats      print the NIC's counters on the console when traffic pauses
  trusted=yes|no whether the NIC's network is trusted (see --trusted); without
                 it, or with another value (said on the console), untrusted
  hostsecret=GETPORT:CHECK
                 the kernel directory's get-port and check field (12 hex
                 digits each): the host capability is F(GETPORT)/1(ff)/CHECK.
                 For tests only: visible in ps; --state passes it privately
  servers        with --disk: run the SOAP directory and Bullet file servers on
                 the node, their stores on the disk (`soap`, `bullet` and `root`
                 in the kernel directory; a fresh disk gets a name space)
  bench          serve rpc_bench's echo protocol as `bench` (tests, benchmarks)*
  call=CAP[,CAP] once up, std_info and GETTIME each capability, print the
                 answers; with calls=N also time N null transactions to the first*
  run=PROG[:CAP] start a program carried in the test image (hello, server, ...)*
  * only the test image (kernel-test.elf) has these: given any of them,
    kernel-run boots it instead of kernel.elf, the image a node runs for real

environment:
  KERNEL_NO_BUILD=1   never build; otherwise the image is built when it is
                      missing or older than its sources (compiler output goes
                      to .build-kernel/build.log)
  KERNEL_OUT=DIR      build directory (default .build-kernel)
  QEMU_FLAGS="..."    extra QEMU flags
With a NIC, a frame of EtherType 0x88B5 sent to the node's MAC comes back
with the addresses swapped (the test reflector); sys KSTAT n reports the counters.
EOF
}

link="" mac="" state="" disk="" disk_size=64M memory=64M words=() prepare=0 trusted=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --link) [ $# -ge 2 ] || { echo "kernel-run: --link needs a value" >&2; exit 2; }; link="$2"; shift 2 ;;
    --link=*) link="${1#--link=}"; shift ;;
    --mac) [ $# -ge 2 ] || { echo "kernel-run: --mac needs a value" >&2; exit 2; }; mac="$2"; shift 2 ;;
    --mac=*) mac="${1#--mac=}"; shift ;;
    --disk) [ $# -ge 2 ] || { echo "kernel-run: --disk needs a file" >&2; exit 2; }; disk="$2"; shift 2 ;;
    --disk=*) disk="${1#--disk=}"; shift ;;
    --disk-size) [ $# -ge 2 ] || { echo "kernel-run: --disk-size needs a size" >&2; exit 2; }; disk_size="$2"; shift 2 ;;
    --disk-size=*) disk_size="${1#--disk-size=}"; shift ;;
    --memory) [ $# -ge 2 ] || { echo "kernel-run: --memory needs a size" >&2; exit 2; }; memory="$2"; shift 2 ;;
    --memory=*) memory="${1#--memory=}"; shift ;;
    --trusted) [ $# -ge 2 ] || { echo "kernel-run: --trusted needs yes or no" >&2; exit 2; }; trusted="$2"; shift 2 ;;
    --trusted=*) trusted="${1#--trusted=}"; shift ;;
    --prepare) prepare=1; shift ;;
    --state) [ $# -ge 2 ] || { echo "kernel-run: --state needs a folder" >&2; exit 2; }; state="$2"; shift 2 ;;
    --state=*) state="${1#--state=}"; shift ;;
    --) shift; words+=("$@"); break ;;
    -*) echo "kernel-run: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) words+=("$1"); shift ;;
  esac
done

[ "$prepare" = 1 ] && [ -z "$state" ] && { echo "kernel-run: --prepare needs --state" >&2; exit 2; }
[[ "$memory" =~ ^[0-9]+[KMG]?$ ]] || { echo "kernel-run: --memory $memory is not a size (e.g. 64M)" >&2; exit 2; }
case "$trusted" in ""|yes|no) ;; *) echo "kernel-run: --trusted takes yes or no, not $trusted" >&2; exit 2 ;; esac
[ -n "$trusted" ] && [ -z "$link" ] && { echo "kernel-run: --trusted needs --link" >&2; exit 2; }

# Three bytes after QEMU's 52:54:00 prefix.
mac_from() { printf '52:54:00:%02x:%02x:%02x' "$1" $((($2 >> 8) & 255)) $(($2 & 255)); }

net=()
if [ -n "$link" ]; then
  IFS=',' read -ra pieces <<<"$link"
  IFS=':' read -ra f <<<"${pieces[0]}"
  local_addr=127.0.0.1 key=""
  for option in "${pieces[@]:1}"; do
    case "${f[0]}:$option" in
      mcast:local=*) local_addr="${option#local=}" ;;
      mcast:ttl=*) ;;
      udp:key=*|mcast:key=*) key="${option#key=}" ;;
      *) echo "kernel-run: option $option is not one a ${f[0]}: link takes" >&2; exit 2 ;;
    esac
  done
  port_ok() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }
  case "${f[0]}" in
    udp)
      { [ ${#f[@]} = 4 ] && port_ok "${f[1]}" && port_ok "${f[3]}"; } ||
        { echo "kernel-run: expected udp:LOCALPORT:REMOTEHOST:REMOTEPORT, got $link" >&2; exit 2; }
      netdev="dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${f[1]},remote.type=inet,remote.host=${f[2]},remote.port=${f[3]}"
      default_mac=$(mac_from 1 "${f[1]}") ;;
    mcast)
      { [ ${#f[@]} = 3 ] && port_ok "${f[2]}"; } ||
        { echo "kernel-run: expected mcast:GROUP:PORT, got $link" >&2; exit 2; }
      netdev="socket,id=n0,mcast=${f[1]}:${f[2]},localaddr=$local_addr"
      default_mac=$(mac_from 2 $(($$ & 0xFFFF))) ;;
    tap)
      [ ${#f[@]} = 2 ] && [ -n "${f[1]}" ] || { echo "kernel-run: expected tap:IFACE, got $link" >&2; exit 2; }
      netdev="tap,id=n0,ifname=${f[1]},script=no,downscript=no"
      default_mac=$(mac_from 3 $(($(printf '%s' "${f[1]}" | cksum | cut -d' ' -f1) & 0xFFFF))) ;;
    *) echo "kernel-run: unknown link type in $link (use udp:, mcast: or tap:)" >&2; exit 2 ;;
  esac
  # A node with a state folder keeps its MAC across boots (STATE/mac), as a
  # card would: peers' routes name it, and a changed one makes their first
  # call after the reboot wait out its RPC timeout.
  if [ -n "$state" ]; then
    sdir=$state; case "$sdir" in /*) ;; *) sdir="$OLDPWD/$sdir" ;; esac
    [ -s "$sdir/mac" ] && default_mac=$(head -1 "$sdir/mac")
  fi
  mac="${mac:-$default_mac}"
  [[ "$mac" =~ ^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$ ]] || { echo "kernel-run: bad MAC $mac" >&2; exit 2; }
  net=(-netdev "$netdev" -device "virtio-net-pci,netdev=n0,mac=$mac")
  # The segment key: checked here, so a node never boots on a keyed segment
  # without it, and handed over as a fw_cfg file (QEMU reads the file; only
  # its path shows in ps). The kernel seals every frame with it.
  if [ -n "$key" ]; then
    case "$key" in /*) ;; *) key="$OLDPWD/$key" ;; esac   # named from where the caller stood
    [ -f "$key" ] && [ -r "$key" ] || { echo "kernel-run: the segment key $key is missing or unreadable" >&2; exit 1; }
    [[ $(tr -d ' \r\n' <"$key") =~ ^[0-9a-fA-F]{64}$ ]] || { echo "kernel-run: the segment key $key is not 64 hex digits" >&2; exit 1; }
    net+=(-fw_cfg "name=opt/amoeba/segkey,file=${key//,/,,}")
  fi
  # The kernel cannot tell a tap from a socket: say which network it is on,
  # unless a trusted= word already does. A keyed socket is trusted, as
  # amunixd's keyed links are.
  if [ -z "$trusted" ]; then
    if [ "${f[0]}" = tap ] || [ -n "$key" ]; then trusted=yes; else trusted=no; fi
  fi
  given=0
  for w in "${words[@]}"; do case "$w" in trusted|trusted=*) given=1 ;; esac; done
  [ "$given" = 1 ] || words+=("trusted=$trusted")
elif [ -n "$mac" ]; then
  echo "kernel-run: --mac needs --link" >&2; exit 2
fi

# The disk: a raw image, made when missing. QEMU's default cache mode
# (writeback) keeps the device's write cache, which the kernel flushes.
if [ -n "$disk" ]; then
  case "$disk" in /*) ;; *) disk="$OLDPWD/$disk" ;; esac   # named from where the caller stood
  case "$disk" in *,*) echo "kernel-run: the disk image's path may not contain a comma: $disk" >&2; exit 2 ;; esac
  if [ ! -e "$disk" ]; then
    [[ "$disk_size" =~ ^([0-9]+)([KMG]?)$ ]] || { echo "kernel-run: --disk-size $disk_size is not a size (e.g. 64M)" >&2; exit 2; }
    bytes=${BASH_REMATCH[1]}
    case "${BASH_REMATCH[2]}" in K) bytes=$((bytes << 10)) ;; M) bytes=$((bytes << 20)) ;; G) bytes=$((bytes << 30)) ;; esac
    { [ "$bytes" -ge 512 ] && [ $((bytes % 512)) = 0 ]; } || { echo "kernel-run: --disk-size must be a positive multiple of 512 bytes" >&2; exit 2; }
    # Created 0600 from the first byte: the servers keep their secrets (every
    # directory's and file's check field, the root capability) on it.
    (umask 077; truncate -s "$bytes" "$disk") || { echo "kernel-run: cannot create $disk" >&2; exit 1; }
  fi
  [ -f "$disk" ] && [ -r "$disk" ] && [ -w "$disk" ] || { echo "kernel-run: $disk is not a readable and writable file" >&2; exit 1; }
  chmod 600 "$disk"   # an existing image too, as the state folder is made 0700
  net+=(-drive "file=$disk,format=raw,if=none,id=disk0,cache=writeback" -device virtio-blk-pci,drive=disk0)
fi

# The test image when a word asks for what only it carries.
image="$out/kernel.elf"
for w in "${words[@]}"; do
  case "$w" in scenario=*|bench|call=*|calls=*|run=*) image="$out/kernel-test.elf" ;; esac
done

# Build only when an image is missing or a source is newer than it.
if [ "${KERNEL_NO_BUILD:-0}" != 1 ] && [ "$prepare" != 1 ]; then
  source scripts/lib/kernel-stale.sh
  kernel_build_if_stale "$out" || exit 1
fi

# The host secret: made once, kept in the state folder, like NVRAM.
if [ -n "$state" ]; then
  case "$state" in /*) ;; *) state="$OLDPWD/$state" ;; esac   # named from where the caller stood
  (umask 077; mkdir -p "$state") || { echo "kernel-run: cannot create $state" >&2; exit 1; }
  chmod 700 "$state"   # an existing folder too: it holds the secret
  [ -n "$link" ] && [ ! -s "$state/mac" ] && echo "$mac" >"$state/mac"
  if [ ! -s "$state/hostsecret" ]; then
    (umask 077; printf '%s:%s\n' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" \
      "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" >"$state/hostsecret")
  fi
  secret=$(tr -d ' \n' <"$state/hostsecret")
  [[ $secret =~ ^[0-9a-f]{12}:[0-9a-f]{12}$ ]] || { echo "kernel-run: $state/hostsecret is not GETPORT:CHECK (12 hex digits each)" >&2; exit 1; }
  bin="${AMUNIX_BIN:-$(swift build --show-bin-path 2>/dev/null)}"
  if [ ! -x "$bin/cap" ]; then
    echo "kernel-run: building the cap tool" >&2
    swift build --product cap >/dev/null 2>&1 || { echo "kernel-run: swift build --product cap failed" >&2; exit 1; }
  fi
  putport=$("$bin/cap" putport "${secret%%:*}") || exit 1
  rm -f "$state/host.cap.tmp"
  (umask 077; echo "$putport/1(ff)/${secret##*:}" >"$state/host.cap.tmp") && mv "$state/host.cap.tmp" "$state/host.cap"
  # QEMU reads the file itself; its path is all that shows in ps (commas doubled, QEMU's escape).
  net+=(-fw_cfg "name=opt/amoeba/hostsecret,file=${state//,/,,}/hostsecret")
fi

if [ "$prepare" = 1 ]; then
  echo "kernel-run: state folder $state ready (host capability $(cat "$state/host.cap"))${disk:+; disk image $disk}"
  exit 0
fi

# On a terminal the console carries QEMU's monitor too, so Ctrl-A X quits
# and Ctrl-A C reaches the monitor; from a pipe or a file (tests, scripts)
# every byte goes to the guest.
if [ -t 0 ]; then serial=mon:stdio; else serial=stdio; fi
exec qemu-system-i386 -accel tcg -cpu max -m "$memory" -no-reboot -display none \
  -serial "$serial" -monitor none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
  "${net[@]}" ${QEMU_FLAGS:-} -kernel "$image" -append "${words[*]:-}"
