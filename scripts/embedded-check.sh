#!/usr/bin/env bash
# Compile the shared modules for i686-unknown-none-elf in Embedded mode.
# Modules are listed in dependency order; each sees the ones before it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${EMBEDDED_OUT:-.build-embedded}"
mkdir -p "$out"
modules=(AmoebaCore FLIP RPC)
for m in "${modules[@]}"; do
  [ -d "Sources/$m" ] || continue
  swiftc -target i686-unknown-none-elf -enable-experimental-feature Embedded \
    -wmo -parse-as-library -Osize -Xfrontend -disable-stack-protector -Xcc -ffreestanding \
    -module-name "$m" -emit-module -emit-module-path "$out/$m.swiftmodule" \
    -I "$out" -c Sources/"$m"/*.swift -o "$out/$m.o"
  echo "embedded: $m ok ($(stat -c %s "$out/$m.o") bytes of object code)"
done
