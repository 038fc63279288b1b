// `tty:00`: the serial console as an object. It answers the standard
// commands (std_info starts with `+`, Amoeba's mark for a terminal) and
// WRITE, which puts the request data on the console (the kernel hands in
// the output function). Input and the terminal modes come later.
import AmoebaCore
import NodeServers

public enum TTYCommand {
    public static let write: UInt16 = 4053   // FSQ_WRITE: TTY_FIRST_COM (4000) + 53
}

public final class TTYServer {
    public let identity: ServiceIdentity
    public let name: String
    private let output: ([UInt8]) -> Void
    public private(set) var bytesWritten = 0

    public init(identity: ServiceIdentity, name: String, output: @escaping ([UInt8]) -> Void) {
        self.identity = identity
        self.name = name
        self.output = output
    }

    public func handle(_ request: Message) -> Message {
        if let r = StandardRequests.handle(request, identity: identity, info: "+ serial console \(name)",
                                           status: { "\(self.name): \(self.bytesWritten) bytes written" }) {
            return r
        }
        guard identity.rights(of: request.header) != nil else { return .status(.capabilityBad) }
        guard request.header.command == TTYCommand.write else { return .status(.commandBad) }
        let n = min(Int(request.header.size), request.body.count)
        output(Array(request.body.prefix(n)))
        bytesWritten += n
        var reply = Message.status(.ok)
        reply.header.size = UInt16(n)
        return reply
    }
}
