// A server's identity, kept under object 0 of its store: the get-port it
// listens on and the random number of its super capability. Storing them is
// what lets a restarted server answer on the same put-port and honour every
// capability it handed out before the restart.

import AmoebaCore

public struct ServerIdentity: Equatable, Sendable {
    public var getPort: Port
    public var superRandom: Port

    public init(getPort: Port, superRandom: Port) {
        self.getPort = getPort
        self.superRandom = superRandom
    }

    /// The object number the identity is stored under.
    public static let key: UInt32 = 0

    /// The record: a four-byte `magic` naming the kind of server, then the
    /// two ports.
    public func encoded(magic: [UInt8]) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(bytes: magic)  // no limit: cannot fail
        try! w.write(getPort)
        try! w.write(superRandom)
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8], magic: [UInt8]) throws(MarshalError) -> ServerIdentity {
        var r = BufferReader(bytes)
        guard try r.readBytes(magic.count) == magic else { throw .invalidValue }
        let identity = ServerIdentity(getPort: try r.readPort(), superRandom: try r.readPort())
        guard r.isAtEnd else { throw .invalidValue }
        return identity
    }

    /// Loads the identity from `store`, or mints one with `random` and
    /// commits it when the store is fresh.
    public static func loadOrCreate<S: ObjectStore>(
        from store: S, magic: [UInt8], random: () -> Port
    ) throws(StorageError) -> ServerIdentity {
        if store.size(of: key) != nil {
            let bytes = try store.read(key)
            do {
                return try decode(bytes, magic: magic)
            } catch {
                throw .corrupt
            }
        }
        let identity = ServerIdentity(getPort: random(), superRandom: random())
        try store.commit(.write(key: key, bytes: identity.encoded(magic: magic)))
        return identity
    }
}
