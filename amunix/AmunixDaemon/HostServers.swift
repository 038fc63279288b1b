// The servers every host publishes, as a kernel node does: `sys` (the
// network statistics and uptime), `tod` (time of day), `random` (random
// bytes), and the host directory that names them. They let `std_info` and
// `std_status` treat a Linux host exactly like a kernel node.
//
// Each object has its own secret get-port and random check number, minted
// at boot; its owner capability is written to the state directory, where
// the tools look names up. The host directory also answers SOAP LIST and
// LOOKUP (HostDirectory.swift). The handlers are pure functions of the request
// (plus the statistics text and the clock handed in), so they are tested
// without a network.

import AmoebaCore
import RPC
#if canImport(Glibc)
import Glibc
#endif

public enum HostedKind: String, CaseIterable, Sendable {
    case host, sys, tod, random
}

public struct HostedObject: Sendable {
    public let kind: HostedKind
    public let getPort: Port
    public let random: Port

    public var capability: Capability {
        Capability(port: getPort.putPort,
                   private: PrivatePart(object: ObjectNumber(0)!, rights: .all, random: random))
    }
}

/// Commands of the kernel servers (DESIGN.md, "Kernel servers").
public enum HostCommand {
    public static let printBuffer: UInt16 = 2500
    public static let kernelStatistics: UInt16 = 2501
    public static let getTime: UInt16 = 2400
    public static let getRandom: UInt16 = 2600
}

public struct HostServers: Sendable {
    public let hostName: String
    public private(set) var objects: [HostedObject] = []

    public init<G: RandomNumberGenerator>(hostName: String, using g: inout G) {
        self.hostName = hostName
        for kind in HostedKind.allCases {
            objects.append(HostedObject(kind: kind, getPort: Port.random(using: &g), random: Port.random(using: &g)))
        }
    }

    public func object(_ kind: HostedKind) -> HostedObject {
        objects.first { $0.kind == kind }!
    }

    /// The answer of `object` to `request`. `statistics` gives the sys
    /// status text; `wallClock` is (seconds, milliseconds) since the epoch.
    public func handle<G: RandomNumberGenerator>(
        _ request: RPCMessage, for object: HostedObject, statistics: () -> String,
        wallClock: () -> (Int64, Int), random g: inout G
    ) -> RPCMessage {
        var reply = Header()
        let h = request.header
        guard h.private.object.value == 0, h.private.isValid(forRandom: object.random) else {
            reply.status = .capabilityBad
            return RPCMessage(header: reply)
        }
        func text(_ s: String) -> RPCMessage {
            let bytes = Array(s.utf8)
            var r = Header()
            r.status = .ok
            r.size = UInt16(clamping: bytes.count)
            return RPCMessage(header: r, data: bytes)
        }
        if object.kind == .host, let answer = directoryReply(request) { return answer }
        switch h.command {
        case StandardCommand.info:
            switch object.kind {
            case .host: return text("% host directory of \(hostName)")
            case .sys: return text("sys server on \(hostName)")
            case .tod: return text("tod server on \(hostName)")
            case .random: return text("random server on \(hostName)")
            }
        case StandardCommand.status:
            switch object.kind {
            case .sys: return text(statistics())
            case .host:
                var lines = "host directory of \(hostName)\n"
                for o in objects where o.kind != .host { lines += "\(o.kind.rawValue)\t\(o.capability.text)\n" }
                return text(lines)
            case .tod, .random: return text("\(object.kind.rawValue) server on \(hostName): running\n")
            }
        case StandardCommand.touch:
            reply.status = .ok
            return RPCMessage(header: reply)
        case StandardCommand.restrict:
            let mask = Rights(rawValue: UInt8(truncatingIfNeeded: h.offset))
            let rights = Rights(rawValue: h.private.rights.rawValue & mask.rawValue)
            reply.status = .ok
            reply.port = object.getPort.putPort
            reply.private = PrivatePart(object: h.private.object, rights: rights, random: object.random)
            return RPCMessage(header: reply)
        case StandardCommand.destroy:
            // A host's own servers live as long as the host.
            reply.status = .denied
            return RPCMessage(header: reply)
        case HostCommand.kernelStatistics where object.kind == .sys:
            return text(statistics())
        case HostCommand.getTime where object.kind == .tod:
            let (s, ms) = wallClock()
            reply.status = .ok
            reply.offset = Int32(truncatingIfNeeded: s)
            reply.size = UInt16(clamping: ms)
            return RPCMessage(header: reply)
        case HostCommand.getRandom where object.kind == .random:
            let n = min(Int(h.size), 30000)
            var bytes = [UInt8](repeating: 0, count: n)
            for i in 0..<n { bytes[i] = UInt8.random(in: 0...255, using: &g) }
            reply.status = .ok
            reply.size = UInt16(n)
            return RPCMessage(header: reply, data: bytes)
        default:
            reply.status = .commandBad
            return RPCMessage(header: reply)
        }
    }
}

/// Seconds and milliseconds since the epoch, from the system clock.
func systemWallClock() -> (Int64, Int) {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return (Int64(ts.tv_sec), Int(ts.tv_nsec / 1_000_000))
}
