// `random`: random bytes for anyone who asks (ports, check fields, keys),
// as Amoeba's kernel random server gives them (rndtask.c). GETRANDOM, and
// FSQ_READ so that the server reads like a file, answer `size` bytes but at
// most MAX_RANDOM (1024), with `extra` = FSE_MOREDATA (0). STD_INFO is
// "random number server"; STD_AGE and STD_TOUCH are accepted, STD_RESTRICT
// cuts the capability down; anything else is STD_COMBAD. The bytes come
// from the node's entropy (NodeHost.fillRandom).
//
// Amoeba's random checks no capability at all and answers RESTRICT with
// the capability unchanged; this one refuses a forged capability and
// restricts properly, as every other server here does.
import AmoebaCore

public enum RandomCommand {
    public static let getRandom: UInt16 = 2600
    /// FSQ_READ: TTY_FIRST_COM (4000) + 52.
    public static let read: UInt16 = 4052
}

public final class RandomServer {
    /// MAX_RANDOM (random.h).
    public static let maximum = 1024
    public let identity: ServiceIdentity

    public init(identity: ServiceIdentity) {
        self.identity = identity
    }

    public func handle<Host: NodeHost>(_ header: Header, _ data: [UInt8], host: inout Host) -> NodeMessage {
        guard identity.rights(of: header) != nil else { return NodeReply.status(.capabilityBad) }
        if let r = identity.plainStandardReply(header, info: "random number server") { return r }
        guard header.command == RandomCommand.getRandom || header.command == RandomCommand.read else {
            return NodeReply.status(.commandBad)
        }
        var bytes = [UInt8](repeating: 0, count: min(Int(header.size), RandomServer.maximum))
        host.fillRandom(&bytes)
        return NodeReply.bytes(bytes)
    }
}
