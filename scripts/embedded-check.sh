#!/usr/bin/env bash
# Compile the shared modules for i686-unknown-none-elf in Embedded mode.
# Modules are listed in dependency order; each sees the ones before it.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${EMBEDDED_OUT:-.build-embedded}"
mkdir -p "$out"
compile() {  # module-name sources...
  local m=$1; shift
  swiftc -target i686-unknown-none-elf -enable-experimental-feature Embedded \
    -wmo -parse-as-library -Osize -Xfrontend -disable-stack-protector -Xcc -ffreestanding \
    -module-name "$m" -emit-module -emit-module-path "$out/$m.swiftmodule" \
    -I "$out" -c "$@" -o "$out/$m.o" || return 1
  echo "embedded: $m ok ($(stat -c %s "$out/$m.o") bytes of object code)"
}
modules=(AmoebaCore ProcessDescriptor FLIP RPC Group Node DiskProtocol SegmentSeal)
for m in "${modules[@]}"; do
  [ -d "Sources/$m" ] || continue
  compile "$m" Sources/"$m"/*.swift
done
# Embedded Swift compiles generic code only where it is specialised, so
# the node body is instantiated here, over an owner shaped like a kernel
# thread's, and every call is made once.
cat > "$out/node-probe.swift" <<'SWIFT'
import AmoebaCore
import FLIP
import RPC
import Group
import Node

final class ProbeThread { var id = 0 }

final class ProbeLayer: NodeUpperLayer {
    var seen = 0
    func handle(_ event: FLIPEvent, now: Instant) { seen += 1 }
    func tick(now: Instant) {}
    var nextDeadline: Instant? { nil }
    var hasOutputs: Bool { seen > 0 }
}

struct ProbeRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}

public func probeNode(_ seed: UInt64, _ frame: [UInt8]) -> Int {
    var g = ProbeRandom(state: seed)
    let node = Node<ProbeThread>(configuration: NodeConfiguration(), using: &g)
    let i = node.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
    node.remove(upperLayer: node.add(upperLayer: ProbeLayer()))
    node.add(upperLayer: ProbeLayer())
    let thread = ProbeThread()
    let getPort = Port.random(using: &g)
    let slot = node.getreq(port: getPort, owner: thread)
    let now = Instant(microseconds: 1000)
    node.trans(RPCMessage(header: Header(port: getPort.putPort, command: 1)), owner: thread,
               deadline: now + .seconds(1), now: now)
    node.receive(frame: frame, on: i, now: now)
    node.tick(now: node.nextDeadline ?? now)
    var outputs: [NodeOutput<ProbeThread>] = []
    node.takeOutputs(into: &outputs)
    var n = 0
    for o in node.takeOutputs() + outputs {
        switch o {
        case .transmit(_, let f): n += f.count
        case .transactionCompleted(let t, _): n += t.id
        case .requestArrived(_, let s, let m): node.putrep(s, m, now: now)
        case .upperLayerReady(let l): n += l.rawValue
        }
    }
    if let s = slot { node.putrep(s, RPCMessage(header: Header()), now: now) }
    if let d = node.earliestNewDeadline() { n += Int(truncatingIfNeeded: d.microseconds) }
    n += node.cancelGetreqs(where: { $0 === thread }).count
    node.abandon(where: { $0 === thread }, now: now)
    let s = node.statistics
    n += s.rpc.transactionsStarted + s.flip.framesOut + s.slotsWaiting + (node.address.isNull ? 1 : 0)
    node.shutdown()
    return n + probeGroup(seed, frame)
}

// The group member's constructors are generic over the generator: made
// here once each, with every call, beside RPC on a node.
public func probeGroup(_ seed: UInt64, _ frame: [UInt8]) -> Int {
    var g = ProbeRandom(state: seed)
    let node = Node<ProbeThread>(configuration: NodeConfiguration(), using: &g)
    let i = node.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
    let port = Port.random(using: &g)
    var now = Instant(microseconds: 1000)
    let sequencer = GroupMember.create(box: node.box, port: port, using: &g)
    let joiner = GroupMember.join(box: node.box, header: Header(port: port), using: &g, now: now)
    node.add(upperLayer: sequencer)
    node.add(upperLayer: joiner)
    node.receive(frame: frame, on: i, now: now)
    var n = 0
    for _ in 0..<8 {
        now = node.nextDeadline ?? now
        node.tick(now: now)
        n += node.takeOutputs().count
    }
    sequencer.send(Header(port: port, command: 1), [1, 2, 3], now: now)
    joiner.leave(Header(), now: now)
    // Reset and liveness, specialised over the probe's generator.
    sequencer.reset(Header(port: port), minimum: 1, now: now, using: &g)
    joiner.abandon(now: now)
    for e in sequencer.takeEvents() + joiner.takeEvents() {
        if case .sent(_, let s) = e { n += Int(s.rawValue) }
    }
    while let d = sequencer.receive(now: now) { n += d.data.count + Int(d.sequence.rawValue) + sequencer.unreadCount }
    n += sequencer.info.total + sequencer.statistics.sent
    return n
}
SWIFT
compile NodeProbe "$out/node-probe.swift" 2>&1 || { echo "embedded: node probe failed"; exit 1; }
