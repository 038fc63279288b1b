#!/usr/bin/env bash
# The kernel's disk (issue 12): a QEMU kernel node with a virtio-blk disk
# beside an amunixd; every vdisk command from Linux against the protocol
# facts, rights, bad requests, data read back, several requests in flight,
# and the data after a SIGKILL and a reboot from the same image; the block
# store on the vdisk and the directory and file servers on the node's disk,
# killed mid-stream and booted again, a name space made by amoeba-init in the
# node's image, full disks, the directory heap bound and a 20 MB file
# (scripts/vdisk-test.sh, ~80 s). Needs the host build (step 10) and the
# kernel image (step 40).
set -euo pipefail
swift build 2>&1 | grep -E 'error' || true
[[ -f .build-kernel/kernel.elf ]] || scripts/kernel-build.sh >/dev/null
scripts/vdisk-test.sh
