#!/usr/bin/env bash
# The client side of the name space (paths, directory and file clients over
# any transport) is shared with kernel nodes: compile it for the kernel
# target in Embedded mode, with a probe that specialises its generic code
# over an in-process transport reaching both servers.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${EMBEDDED_OUT:-.build-embedded}/client"
mkdir -p "$out"
compile() {  # module-name sources...
  local name=$1; shift
  swiftc -target i686-unknown-none-elf -enable-experimental-feature Embedded \
    -wmo -parse-as-library -Osize -Xfrontend -disable-stack-protector -Xcc -ffreestanding \
    -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
    -I "$out" -c "$@" -o "$out/$name.o"
  echo "embedded: $name ok ($(stat -c %s "$out/$name.o") bytes of object code)"
}
compile AmoebaCore Sources/AmoebaCore/*.swift
compile Storage Servers/Storage/*.swift
compile DirectoryProtocol Servers/DirectoryProtocol/*.swift
compile Directory Servers/Directory/*.swift
compile Bullet Servers/Bullet/*.swift
compile AmoebaClient Sources/AmoebaClient/*.swift
cat > "$out/probe.swift" <<'SWIFT'
import AmoebaClient
import AmoebaCore
import Bullet
import Directory
import DirectoryProtocol
import Storage

public func probeClient(_ seed: UInt64, _ path: String, _ bytes: [UInt8]) -> Int {
    var state = seed
    let next: () -> Port = {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Port(bytes: (0..<6).map { UInt8(truncatingIfNeeded: state >> UInt64(8 * $0 + 8)) })!
    }
    guard let d = try? DirectoryServer(store: MemoryStore(), random: next),
          let b = try? BulletServer(store: MemoryStore(), random: next),
          let root = try? d.createRootDirectory(columns: ["owner"]) else { return -1 }
    var net = LocalNetwork()
    net.add(port: d.putPort) { d.handle(header: $0, data: $1) }
    net.add(port: b.putPort) { b.handle(header: $0, data: $1) }
    let names = DirectoryClient(transport: net, root: root)
    let files = FileClient(transport: net)
    do throws(ErrorCode) {
        let p = try AmoebaPath(path)
        let file = try files.create(bytes, on: b.superCapability)
        try names.enter(p, file, masks: [0xFF])
        var n = 0
        try files.read(try names.lookup(p)) { (piece: [UInt8]) throws(ErrorCode) in n += piece.count }
        return try n + names.list(root).entries.count
    } catch {
        return Int(error.rawValue)
    }
}
SWIFT
compile ClientProbe "$out/probe.swift"
