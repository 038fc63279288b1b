// The servers every host publishes, as a kernel node does: `sys` (the
// network statistics and uptime), `tod` (time of day), `random` (random
// bytes), and the host directory that names them. They let `std_info`,
// `std_status` and `dir` treat a Linux host exactly like a kernel node,
// because they are the kernel node's servers: the handlers are NodeServers',
// one body for both, and this file only gives them their identities and
// the host's clock, entropy and statistics (HostMachine).
//
// Each object has its own secret get-port and random check number, minted
// at boot; its owner capability is written to the state directory, where
// the tools look names up. As in Amoeba, the host directory and sys name
// object 1, tod and random object 0.

import AmoebaCore
import NodeServers
import RPC
#if canImport(Glibc)
import Glibc
#endif

public enum HostedKind: String, CaseIterable, Sendable {
    case host, sys, tod, random

    /// As in Amoeba, the host directory and sys name object 1, tod and
    /// random object 0.
    var objectNumber: ObjectNumber { self == .host || self == .sys ? .node : .server }

    var node: NodeServerKind {
        switch self {
        case .host: return .directory
        case .sys: return .system
        case .tod: return .time
        case .random: return .random
        }
    }
}

public struct HostedObject: Sendable {
    public let kind: HostedKind
    public let identity: ServiceIdentity

    public var getPort: Port { identity.getPort }
    public var capability: Capability { identity.capability }
}

/// Commands of the kernel servers (DESIGN.md, "Kernel servers").
public enum HostCommand {
    public static let printBuffer = SystemCommand.printBuffer
    public static let kernelStatistics = SystemCommand.kstat
    public static let getTime = TimeCommand.getTime
    public static let getRandom = RandomCommand.getRandom
}

/// The servers are filled in once, here, and only read afterwards, which
/// is what makes sharing them between threads safe.
public struct HostServers: @unchecked Sendable {
    public let hostName: String
    public let objects: [HostedObject]
    let node: NodeServerSet

    public init<G: RandomNumberGenerator>(hostName: String, using g: inout G) {
        var ids: [HostedKind: ServiceIdentity] = [:]
        for kind in HostedKind.allCases {
            ids[kind] = ServiceIdentity(getPort: Port.random(using: &g), random: Port.random(using: &g),
                                        object: kind.objectNumber)
        }
        self.init(hostName: hostName, identities: ids)
    }

    /// The servers with the identities a host keeps (see HostSecret);
    /// every kind must be present.
    init(hostName: String, identities: [HostedKind: ServiceIdentity]) {
        self.hostName = hostName
        var objects = [HostedObject]()
        for kind in HostedKind.allCases {
            objects.append(HostedObject(kind: kind, identity: identities[kind]!))
        }
        self.objects = objects
        node = NodeServerSet(directory: objects[0].identity, system: objects[1].identity,
                             time: objects[2].identity, random: objects[3].identity)
    }

    public func object(_ kind: HostedKind) -> HostedObject {
        objects.first { $0.kind == kind }!
    }

    /// The answer of `object` to `request`. `statistics` gives the sys
    /// status text; `wallClock` is (seconds, milliseconds) since the epoch;
    /// `g` gives the random server its bytes.
    public func handle<G: RandomNumberGenerator>(
        _ request: RPCMessage, for object: HostedObject, statistics: () -> String,
        wallClock: () -> (Int64, Int), random g: inout G
    ) -> RPCMessage {
        withoutActuallyEscaping(statistics) { statistics in
            withoutActuallyEscaping(wallClock) { wallClock in
                var host = HostMachine(statistics: statistics, clock: wallClock, generator: g)
                let reply = node.handle(object.kind.node, request.header, request.data, host: &host)
                g = host.generator
                return RPCMessage(header: reply.header, data: reply.data)
            }
        }
    }
}

/// The host as the node servers see it: the system clock, the daemon's
/// generator, its statistics as one report, and no console log of its own.
struct HostMachine<G: RandomNumberGenerator>: NodeHost {
    static var report: StatisticsReport { StatisticsReport(letter: "n", help: "network: FLIP, RPC and links") }

    let statistics: () -> String
    let clock: () -> (Int64, Int)
    var generator: G

    func wallClock() -> WallClock {
        let (s, ms) = clock()
        return WallClock(seconds: s, milliseconds: ms)
    }

    mutating func fillRandom(_ bytes: inout [UInt8]) {
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
    }

    func statisticsReports() -> [StatisticsReport] { [HostMachine.report] }

    func statistics(_ letter: UInt8) -> String { statistics() }

    func statusText() -> String { statistics() }

    func printBuffer() -> [UInt8]? { nil }
}

/// Seconds and milliseconds since the epoch, from the system clock.
func systemWallClock() -> (Int64, Int) {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return (Int64(ts.tv_sec), Int(ts.tv_nsec / 1_000_000))
}
