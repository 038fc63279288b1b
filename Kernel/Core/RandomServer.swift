// `random`: random bytes for anyone who asks (ports, check fields, keys).
// GETRANDOM asks for `size` bytes and gets at most `maximum` back; the
// bytes come from the kernel's entropy source (RDRAND where the CPU has
// it, mixed with the cycle counter), handed in as a function.
import AmoebaCore

public enum RandomCommand {
    public static let getRandom: UInt16 = 2600
}

public final class RandomServer {
    public static let maximum = 4096
    public let identity: ServiceIdentity
    private let fill: (inout [UInt8]) -> Void

    public init(identity: ServiceIdentity, fill: @escaping (inout [UInt8]) -> Void) {
        self.identity = identity
        self.fill = fill
    }

    public func handle(_ request: Message) -> Message {
        if let r = StandardRequests.handle(request, identity: identity, info: "random number server",
                                           status: { "random: up" }) {
            return r
        }
        guard identity.rights(of: request.header) != nil else { return .status(.capabilityBad) }
        guard request.header.command == RandomCommand.getRandom else { return .status(.commandBad) }
        let count = min(Int(request.header.size), RandomServer.maximum)
        var bytes = [UInt8](repeating: 0, count: count)
        fill(&bytes)
        var reply = Message.status(.ok)
        reply.body = bytes
        reply.header.size = UInt16(count)
        return reply
    }
}
