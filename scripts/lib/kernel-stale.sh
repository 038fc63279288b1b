# Sourced by scripts that boot the kernel: `kernel_build_if_stale OUT`
# builds both images (scripts/kernel-build.sh, output to OUT/build.log)
# when one is missing or a source the kernel build reads is newer than it.
# Returns non-zero, with the compiler's errors on stderr, when the build fails.
kernel_build_if_stale() {
  local out=$1 image stale=""
  for image in "$out/kernel.elf" "$out/kernel-test.elf"; do
    if [ ! -f "$image" ] || [ -n "$(find Kernel Sources/AmoebaCore Sources/ProcessDescriptor Sources/DiskProtocol Sources/AmoebaClient \
        Servers/Storage Servers/BlockStorage Servers/Directory Servers/Bullet Sources/FLIP Sources/RPC \
        Sources/Group Sources/Node Sources/SegmentSeal Sources/NodeServers Servers/DirectoryProtocol scripts/kernel-build.sh -newer "$image" \
        -type f \( -name '*.swift' -o -name '*.S' -o -name '*.h' -o -name '*.ld' -o -name '*.sh' \) -print -quit)" ]; then
      stale=1
    fi
  done
  [ -z "$stale" ] && return 0
  mkdir -p "$out"
  echo "building the kernel (log: $out/build.log)" >&2
  if ! scripts/kernel-build.sh >"$out/build.log" 2>&1; then
    grep -E "error:" "$out/build.log" | head -20 >&2
    echo "kernel build failed, see $out/build.log" >&2
    return 1
  fi
}
