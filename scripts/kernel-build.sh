#!/usr/bin/env bash
# Builds the VX kernel image: an i686 multiboot v1 ELF at .build-kernel/kernel.elf.
#
# Three Embedded Swift modules (AmoebaCore from Sources/, the pure kernel
# logic KernelCore from Kernel/Core, the machine-facing Kernel from
# Kernel/Arch and Kernel/Main), the assembly entry, and the linker script.
# It uses its own build directory, so the host `swift build` is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
out="${KERNEL_OUT:-.build-kernel}"
mkdir -p "$out"
target=i686-unknown-none-elf
swiftflags=(-target "$target" -enable-experimental-feature Embedded -wmo -parse-as-library
  -O -Xfrontend -disable-stack-protector -Xcc -ffreestanding -Xcc -mno-red-zone -I "$out")
[ -n "${KERNEL_SWIFTFLAGS:-}" ] && swiftflags+=($KERNEL_SWIFTFLAGS)

swiftc "${swiftflags[@]}" -module-name AmoebaCore -emit-module -emit-module-path "$out/AmoebaCore.swiftmodule" \
  -c Sources/AmoebaCore/*.swift -o "$out/AmoebaCore.o"
swiftc "${swiftflags[@]}" -module-name KernelCore -emit-module -emit-module-path "$out/KernelCore.swiftmodule" \
  -c Kernel/Core/*.swift -o "$out/KernelCore.o"
swiftc "${swiftflags[@]}" -swift-version 5 -module-name Kernel -import-objc-header Kernel/Boot/machine.h \
  -c Kernel/Arch/*.swift $(find Kernel/Main -name "*.swift" | sort) -o "$out/Kernel.o"
clang -target "$target" -c Kernel/Boot/entry.S -o "$out/entry.o"
clang -target "$target" -c Kernel/Boot/libc.S -o "$out/libc.o"

libgcc=/usr/lib/gcc/x86_64-linux-gnu/12/32/libgcc.a
tables=/opt/swift/usr/lib/swift/embedded/$target/libswiftUnicodeDataTables.a
ld.lld -m elf_i386 -T Kernel/Boot/linker.ld -nostdlib -static --gc-sections \
  "$out/entry.o" "$out/libc.o" "$out/Kernel.o" "$out/KernelCore.o" "$out/AmoebaCore.o" "$tables" "$libgcc" \
  -o "$out/kernel.elf"
echo "kernel: $out/kernel.elf ($(stat -c %s "$out/kernel.elf") bytes)"
