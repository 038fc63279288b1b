// The servers every node runs for itself, wired together once for kernel
// nodes and Linux hosts alike: sys, tod and random, and the node directory
// that names them. The node hands in each server's identity (the
// directory's from configuration, later; the rest as it likes), then
// serves each get-port by calling `handle` with its host (NodeHost).
import AmoebaCore
import DirectoryProtocol

/// Which of a node's own servers a request is for.
public enum NodeServerKind: CaseIterable, Sendable {
    case directory, system, time, random

    /// The row naming the server in the node directory (nil for the
    /// directory itself).
    public var entryName: String? {
        switch self {
        case .directory: return nil
        case .system: return "sys"
        case .time: return "tod"
        case .random: return "random"
        }
    }
}

public final class NodeServerSet {
    public let directory: NodeDirectory
    public let system: SystemServer
    public let time: TimeServer
    public let random: RandomServer

    /// The four servers, with sys, tod and random entered in the directory
    /// in that order.
    public init(directory: ServiceIdentity, system: ServiceIdentity, time: ServiceIdentity, random: ServiceIdentity) {
        self.directory = NodeDirectory(identity: directory)
        self.system = SystemServer(identity: system)
        self.time = TimeServer(identity: time)
        self.random = RandomServer(identity: random)
        for kind in NodeServerKind.allCases {
            // The names are valid and distinct: entering them cannot fail.
            if let name = kind.entryName { try? self.directory.add(name, identity(kind).capability) }
        }
    }

    public func identity(_ kind: NodeServerKind) -> ServiceIdentity {
        switch kind {
        case .directory: return directory.identity
        case .system: return system.identity
        case .time: return time.identity
        case .random: return random.identity
        }
    }

    /// The answer of server `kind` to one request.
    public func handle<Host: NodeHost>(_ kind: NodeServerKind, _ header: Header, _ data: [UInt8],
                                       host: inout Host) -> NodeMessage {
        switch kind {
        case .directory: return directory.handle(header, data)
        case .system: return system.handle(header, data, host: &host)
        case .time: return time.handle(header, data, host: &host)
        case .random: return random.handle(header, data, host: &host)
        }
    }
}
