#!/usr/bin/env bash
# ax end to end (issue 11): a QEMU kernel node runs Amoeba binaries from
# the file server for ax on a Linux host; exit statuses, a fault, malformed
# descriptors and an unreachable file server (scripts/ax-test.sh, ~20 s).
# Needs the host build (step 10) and the kernel image with its binaries
# (step 40).
set -euo pipefail
swift build 2>&1 | grep -E 'error' || true
[[ -f .build-kernel/kernel.elf && -f .build-kernel/kernel-test.elf && -f .build-kernel/bin/hello ]] || scripts/kernel-build.sh >/dev/null
scripts/ax-test.sh
