// A request or reply as the local IPC carries it: the 32-byte Amoeba
// header plus a data buffer, the same pair the network RPC carries, so a
// kernel server cannot tell a local caller from a remote one.
//
// `ServiceIdentity` is what makes a kernel server an Amoeba server: a
// secret get-port it listens on, the put-port F(get-port) its clients
// address, and the random number its capabilities' check fields derive
// from. It decides what rights a request's capability really carries.
import AmoebaCore

public struct Message: Sendable {
    public var header: Header
    public var body: [UInt8]

    public init(header: Header, body: [UInt8] = []) {
        self.header = header
        self.body = body
    }

    /// A reply carrying only a status.
    public static func status(_ code: ErrorCode) -> Message {
        var h = Header()
        h.status = code
        return Message(header: h)
    }

    /// A successful reply with `text` as its data (std_info, kstat).
    public static func text(_ s: String) -> Message {
        var h = Header()
        h.status = .ok
        let bytes = Array(s.utf8)
        h.size = UInt16(truncatingIfNeeded: bytes.count)
        return Message(header: h, body: bytes)
    }
}

public struct ServiceIdentity: Sendable {
    public let getPort: Port
    public let putPort: Port
    public let random: Port
    public let object: ObjectNumber

    public init(getPort: Port, random: Port, object: UInt32 = 0) {
        self.getPort = getPort
        self.putPort = getPort.putPort
        self.random = random
        self.object = ObjectNumber(object)!
    }

    /// The owner capability: all rights.
    public var capability: Capability {
        Capability(port: putPort, private: PrivatePart(object: object, rights: .all, random: random))
    }

    /// The rights the request's capability proves, nil when it is forged or for another object.
    public func rights(of header: Header) -> Rights? {
        guard header.private.object == object, header.private.isValid(forRandom: random) else { return nil }
        return header.private.rights
    }
}
