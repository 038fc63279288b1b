// Two machines under the same node servers: one shaped like a kernel node
// (a microsecond clock, several kstat reports, a console log) and one like
// a Linux host (seconds and milliseconds, one report, no console log of its
// own). Where the kernel's and amunixd's copies of these servers used to
// disagree, the tests ask both and expect the same bytes.

import AmoebaCore
import NodeServers

/// Fixed identities: the same servers, whichever machine is under them.
enum Identities {
    static let directory = ServiceIdentity(getPort: Port(hex: "d1d2d3d4d5d6")!, random: Port(hex: "a1a2a3a4a5a6")!,
                                           object: .node)
    static let system = ServiceIdentity(getPort: Port(hex: "515253545556")!, random: Port(hex: "b1b2b3b4b5b6")!,
                                        object: .node)
    static let time = ServiceIdentity(getPort: Port(hex: "717273747576")!, random: Port(hex: "c1c2c3c4c5c6")!)
    static let random = ServiceIdentity(getPort: Port(hex: "616263646566")!, random: Port(hex: "e1e2e3e4e5e6")!)

    static func set() -> NodeServerSet {
        NodeServerSet(directory: directory, system: system, time: time, random: random)
    }
}

struct KernelFlavour: NodeHost {
    var state: UInt64 = 7

    func wallClock() -> WallClock { WallClock(microsecondsSince1970: 1_700_000_000_123_456) }

    mutating func fillRandom(_ bytes: inout [UInt8]) {
        for i in bytes.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    func statisticsReports() -> [StatisticsReport] {
        [StatisticsReport(letter: "m", help: "memory"), StatisticsReport(letter: "x", help: "secret", required: .all)]
    }

    func statistics(_ letter: UInt8) -> String { letter == UInt8(ascii: "m") ? "heap 42" : "hidden" }

    func statusText() -> String { "heap 42" }

    func printBuffer() -> [UInt8]? { Array("boot log".utf8) }
}

struct HostFlavour: NodeHost {
    var generator = SplitMix(seed: 99)

    func wallClock() -> WallClock { WallClock(seconds: 1_700_000_000, milliseconds: 123) }

    mutating func fillRandom(_ bytes: inout [UInt8]) {
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
    }

    func statisticsReports() -> [StatisticsReport] {
        [StatisticsReport(letter: "m", help: "memory"), StatisticsReport(letter: "x", help: "secret", required: .all)]
    }

    func statistics(_ letter: UInt8) -> String { letter == UInt8(ascii: "m") ? "heap 42" : "hidden" }

    func statusText() -> String { "heap 42" }

    func printBuffer() -> [UInt8]? { nil }
}

struct SplitMix: RandomNumberGenerator {
    var seed: UInt64
    mutating func next() -> UInt64 {
        seed &+= 0x9E37_79B9_7F4A_7C15
        var z = seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A request to `cap`.
func request(_ cap: Capability, _ command: UInt16, size: UInt16 = 0, offset: Int32 = 0,
             extra: UInt16 = 0) -> Header {
    var h = Header(capability: cap, command: command)
    h.size = size
    h.offset = offset
    h.extra = extra
    return h
}

/// The answer of server `kind` on a kernel-shaped and on a host-shaped
/// machine; the tests expect them equal.
func askBoth(_ kind: NodeServerKind, _ header: Header, _ data: [UInt8] = []) -> (kernel: NodeMessage, host: NodeMessage) {
    let set = Identities.set()
    var k = KernelFlavour()
    var h = HostFlavour()
    return (set.handle(kind, header, data, host: &k), set.handle(kind, header, data, host: &h))
}

/// Both machines' answers, checked equal, as one.
func ask(_ kind: NodeServerKind, _ header: Header, _ data: [UInt8] = []) -> NodeMessage? {
    let both = askBoth(kind, header, data)
    guard both.kernel.header == both.host.header, both.kernel.data == both.host.data else { return nil }
    return both.kernel
}

func text(_ m: NodeMessage?) -> String? { m.map { String(decoding: $0.data, as: UTF8.self) } }

/// A capability `cap` restricted (locally) to `rights`.
func restricted(_ cap: Capability, _ rights: UInt8) -> Capability {
    try! Restriction.restrict(cap, to: Rights(rawValue: rights))
}
