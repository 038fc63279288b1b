// What makes a node's server an Amoeba server: a secret get-port it listens
// on, the put-port F(get-port) its clients address, the object number its
// capability names and the random number that capability's check field
// derives from. It decides what rights a request's capability really
// carries.
//
// Every server takes its identity as an input rather than drawing one:
// a kernel node's directory must come from a configured secret to survive
// reboots (AMOEBA-FACTS §8), and a test wants fixed ones.
import AmoebaCore

public struct ServiceIdentity: Hashable, Sendable {
    public let getPort: Port
    public let putPort: Port
    public let random: Port
    public let object: ObjectNumber

    public init(getPort: Port, random: Port, object: ObjectNumber) {
        self.getPort = getPort
        self.putPort = getPort.putPort
        self.random = random
        self.object = object
    }

    /// An identity whose capability names object 0, as most servers' do.
    public init(getPort: Port, random: Port) {
        self.init(getPort: getPort, random: random, object: ObjectNumber.server)
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

    /// The reply to STD_RESTRICT on this object: the capability cut down to
    /// the mask in `offset`, or STD_CAPBAD for a capability that proves
    /// nothing (Amoeba's tod server does exactly this).
    public func restrictReply(_ request: Header) -> Header {
        guard let have = rights(of: request) else { return .status(.capabilityBad) }
        let mask = Rights(rawValue: UInt8(truncatingIfNeeded: request.offset))
        var h = Header.status(.ok)
        h.port = putPort
        h.private = PrivatePart(object: object, rights: have.intersection(mask), random: random)
        return h
    }
}

extension ObjectNumber {
    /// Object 0: the number a server's own capability usually carries.
    public static let server = ObjectNumber(0)!
    /// Object 1: what Amoeba gives the sys server and a kernel's directory
    /// (syssvr.c; mkhost for the host capability).
    public static let node = ObjectNumber(1)!
}
