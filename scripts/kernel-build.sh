#!/usr/bin/env bash
# Builds the VX kernel images, i686 multiboot v1 ELFs:
#   .build-kernel/kernel.elf       the image a node boots for real;
#   .build-kernel/kernel-test.elf  the same kernel with Kernel/TestImage
#                                  (scenarios, fixtures) and the user test
#                                  programs carried in the image.
#
# Embedded Swift modules (the shared AmoebaCore, FLIP, RPC, Group, the
# node body Node, SegmentSeal (the keyed segment's seal), DirectoryProtocol, NodeServers, DiskProtocol, and the
# name space's servers on the disk (Storage, BlockStorage, Directory,
# Bullet, AmoebaClient): the same source the Linux side
# builds; the pure kernel logic KernelCore from Kernel/Core; the
# Kernel module from its rooms, listed in `kernelRooms` below),
# the assembly entry, and the linker script.
# It uses its own build directory, so the host `swift build` is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
out="${KERNEL_OUT:-.build-kernel}"
mkdir -p "$out"
target=i686-unknown-none-elf
# -lto=llvm-full: every module's object is LLVM bitcode and ld.lld
# optimises the image as one program. Each Swift module is already
# optimised whole (-wmo), but a call from one module into another (the
# kernel's glue into Node, Node into RPC and FLIP, all of them into the
# runtime's retain and release) stays a call without it: with it the
# node body's null transaction (nodecore) went from 8,794 to 7,148 guest
# instructions and the image from 3.3 MB to 1.3 MB, for the same build
# time. KERNEL_LTO=0 builds without it.
swiftflags=(-target "$target" -enable-experimental-feature Embedded -wmo -parse-as-library
  -O -Xfrontend -disable-stack-protector -Xcc -ffreestanding -Xcc -mno-red-zone -I "$out")
[ "${KERNEL_LTO:-1}" = 1 ] && swiftflags+=(-lto=llvm-full)
[ -n "${KERNEL_SWIFTFLAGS:-}" ] && swiftflags+=($KERNEL_SWIFTFLAGS)
libgcc=/usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a
tables=/opt/swift/usr/lib/swift/embedded/$target/libswiftUnicodeDataTables.a

# The library modules, in dependency order. The kernel links them all
# (--gc-sections drops what it does not use); user programs do not link
# the network stack (FLIP, RPC, Group, Node, SegmentSeal), which only the kernel runs.
shared=(AmoebaCore:Sources/AmoebaCore ProcessDescriptor:Sources/ProcessDescriptor FLIP:Sources/FLIP RPC:Sources/RPC Group:Sources/Group Node:Sources/Node
  SegmentSeal:Sources/SegmentSeal
  DirectoryProtocol:Servers/DirectoryProtocol NodeServers:Sources/NodeServers DiskProtocol:Sources/DiskProtocol KernelCore:Kernel/Core
  Storage:Servers/Storage BlockStorage:Servers/BlockStorage Directory:Servers/Directory Bullet:Servers/Bullet
  AmoebaClient:Sources/AmoebaClient)
kernelOnly=" FLIP RPC Group Node SegmentSeal "
objects=()
userObjects=()
for m in "${shared[@]}"; do
  swiftc "${swiftflags[@]}" -module-name "${m%%:*}" -emit-module -emit-module-path "$out/${m%%:*}.swiftmodule" \
    -c "${m#*:}"/*.swift -o "$out/${m%%:*}.o"
  objects=("$out/${m%%:*}.o" "${objects[@]}")
  [[ $kernelOnly == *" ${m%%:*} "* ]] || userObjects=("$out/${m%%:*}.o" "${userObjects[@]}")
done
# The kernel module's rooms, one concept each (Kernel/README.md, "Layout").
kernelRooms=(Arch Drivers Boot Threads Memory Processes IPC SystemCalls Services Network)
kernelSources=()
for room in "${kernelRooms[@]}"; do kernelSources+=(Kernel/"$room"/*.swift); done
testSources=($(find Kernel/TestImage -name "*.swift" | sort))
# The two kernel modules and the user programs are independent: build them side by side.
jobs=()
swiftc "${swiftflags[@]}" -swift-version 5 -module-name Kernel -import-objc-header Kernel/Boot/machine.h \
  -c "${kernelSources[@]}" -o "$out/Kernel.o" &
jobs+=($!)
swiftc "${swiftflags[@]}" -swift-version 5 -module-name Kernel -import-objc-header Kernel/Boot/machine.h \
  -D KERNEL_TEST_IMAGE -c "${kernelSources[@]}" "${testSources[@]}" -o "$out/KernelTest.o" &
jobs+=($!)
clang -target "$target" -c Kernel/Boot/libc.S -o "$out/libc.o"

# User programs: each is the user library plus one program file, linked at
# 0x40000000 and then carried inside the kernel image (programs.S).
clang -target "$target" -c Kernel/User/crt0.S -o "$out/crt0.o"
for prog in Kernel/User/Programs/*.swift; do
  name=$(basename "$prog" .swift)
  swiftc "${swiftflags[@]}" -swift-version 5 -module-name "User_$name" -import-objc-header Kernel/User/user.h \
    -c Kernel/User/Lib/*.swift "$prog" -o "$out/user-$name.o" &
  jobs+=($!)
done
for j in "${jobs[@]}"; do wait "$j"; done
for prog in Kernel/User/Programs/*.swift; do
  name=$(basename "$prog" .swift)
  ld.lld -m elf_i386 -T Kernel/User/user.ld -nostdlib -static --gc-sections \
    "$out/crt0.o" "$out/libc.o" "$out/user-$name.o" "${userObjects[@]}" "$tables" "$libgcc" \
    -o "$out/user-$name.elf"
done
# The same programs as Amoeba binaries (descriptor, text, data: acv), for
# the file server's /bin (amoeba-init --bin) and ax. acv is a host tool:
# built here when the host build has not made it yet.
acv=.build/debug/acv
if [ "${KERNEL_NO_BINARIES:-0}" != 1 ]; then
  [ -x "$acv" ] || swift build --product acv >/dev/null || { echo "kernel-build: cannot build acv" >&2; exit 1; }
  mkdir -p "$out/bin"
  for prog in Kernel/User/Programs/*.swift; do
    name=$(basename "$prog" .swift)
    "$acv" "$out/user-$name.elf" "$out/bin/$name"
  done
fi
{
  echo '/* Generated by kernel-build.sh: the user programs carried in the image. */'
  echo '    .section .rodata'
  for prog in Kernel/User/Programs/*.swift; do
    name=$(basename "$prog" .swift)
    echo "    .align 16"
    echo "    .globl program_${name}_start"
    echo "program_${name}_start: .incbin \"$out/user-$name.elf\""
    echo "    .globl program_${name}_end"
    echo "program_${name}_end:"
  done
} > "$out/programs.S"
clang -target "$target" -c "$out/programs.S" -o "$out/programs.o"
clang -target "$target" -c Kernel/Boot/entry.S -o "$out/entry.o"

ld.lld -m elf_i386 -T Kernel/Boot/linker.ld -nostdlib -static --gc-sections \
  "$out/entry.o" "$out/libc.o" "$out/Kernel.o" "${objects[@]}" "$tables" "$libgcc" \
  -o "$out/kernel.elf"
ld.lld -m elf_i386 -T Kernel/Boot/linker.ld -nostdlib -static --gc-sections \
  "$out/entry.o" "$out/libc.o" "$out/programs.o" "$out/KernelTest.o" "${objects[@]}" "$tables" "$libgcc" \
  -o "$out/kernel-test.elf"
echo "kernel: $out/kernel.elf ($(stat -c %s "$out/kernel.elf") bytes), test image $out/kernel-test.elf ($(stat -c %s "$out/kernel-test.elf") bytes)"
