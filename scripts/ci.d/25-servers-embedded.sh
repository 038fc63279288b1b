#!/usr/bin/env bash
# The directory and file server handlers, SOAP's wire format, the storage
# interface and a node's own servers (NodeServers, already inside every
# kernel image) are meant to run inside a kernel node: compile them for the
# kernel target in Embedded mode, on top of AmoebaCore (the Linux-only
# DiskStorage is left out; BlockStorage, the store on a kernel node's disk,
# is in).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${EMBEDDED_OUT:-.build-embedded}/servers"
mkdir -p "$out"
compile() {  # module-name source-dir
  swiftc -target i686-unknown-none-elf -enable-experimental-feature Embedded \
    -wmo -parse-as-library -Osize -Xfrontend -disable-stack-protector -Xcc -ffreestanding \
    -module-name "$1" -emit-module -emit-module-path "$out/$1.swiftmodule" \
    -I "$out" -c $( [ -d "$2" ] && echo "$2"/*.swift || echo "$2" ) -o "$out/$1.o"
  echo "embedded: $1 ok ($(stat -c %s "$out/$1.o") bytes of object code)"
}
compile AmoebaCore Sources/AmoebaCore
compile Storage Servers/Storage
compile BlockStorage Servers/BlockStorage
compile DirectoryProtocol Servers/DirectoryProtocol
compile Directory Servers/Directory
compile DirectoryReplica Servers/DirectoryReplica
compile Bullet Servers/Bullet
compile NodeServers Sources/NodeServers
# Generic code is only compiled for Embedded Swift where it is specialised,
# so instantiate both servers over the in-memory store, and the node servers
# over a machine, to check their bodies.
cat > "$out/probe.swift" <<'SWIFT'
import AmoebaCore
import Storage
import Directory
import DirectoryReplica
import Bullet
import NodeServers

struct ProbeMachine: NodeHost {
    var state: UInt64
    func wallClock() -> WallClock { WallClock(microsecondsSince1970: Int64(bitPattern: state)) }
    mutating func fillRandom(_ bytes: inout [UInt8]) {
        for i in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
    }
    func statisticsReports() -> [StatisticsReport] { [StatisticsReport(letter: "m", help: "memory")] }
    func statistics(_ letter: UInt8) -> String { "report \(letter)" }
    func statusText() -> String { "up" }
    func printBuffer() -> [UInt8]? { nil }
}

public func probeNodeServers(_ seed: UInt64, _ header: Header, _ data: [UInt8]) -> Int {
    var machine = ProbeMachine(state: seed)
    var ports: [Port] = []
    for _ in 0..<8 {
        var b = [UInt8](repeating: 0, count: 6)
        machine.fillRandom(&b)
        ports.append(Port(bytes: b)!)
    }
    let node = NodeServerSet(directory: ServiceIdentity(getPort: ports[0], random: ports[1], object: .node),
                             system: ServiceIdentity(getPort: ports[2], random: ports[3], object: .node),
                             time: ServiceIdentity(getPort: ports[4], random: ports[5]),
                             random: ServiceIdentity(getPort: ports[6], random: ports[7]))
    var total = 0
    for kind in NodeServerKind.allCases { total += node.handle(kind, header, data, host: &machine).data.count }
    return total
}

public func probeServers(_ seed: UInt64, _ header: Header, _ data: [UInt8]) -> Int {
    var state = seed
    let next: () -> Port = {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Port(bytes: (0..<6).map { UInt8(truncatingIfNeeded: state >> UInt64(8 * $0 + 8)) })!
    }
    var total = 0
    if let d = try? DirectoryServer(store: MemoryStore(), random: next) {
        total += d.handle(header: header, data: data).1.count
        // A replica of it: ordered writes, and the state a joiner takes.
        let r = DirectoryReplica(server: d)
        if let w = try? ReplicatedWrite.decode(data) { total += r.apply(w)?.1.count ?? 0 }
        r.joined(header.port)
        total += r.statePiece(for: header.port, offset: 0, count: 100)?.bytes.count ?? 0
        total += r.install(state: data) == .ok ? 1 : 0
        total += d.dumpLines().count
    }
    if let b = try? BulletServer(store: MemoryStore(), random: next) {
        total += b.handle(header: header, data: data).1.count
    }
    return total
}
SWIFT
compile ServersProbe "$out/probe.swift" 2>&1 || { echo "embedded: server probe failed"; exit 1; }
