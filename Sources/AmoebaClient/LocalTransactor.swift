// A transport that calls a server's handler directly, in this process.
// `amoeba-init` uses it to fill a fresh name space before any server runs,
// and the tests use it to check the clients against the real handlers
// without a network. A handler never fails as a transaction does, so this
// never throws.

import AmoebaCore

public struct LocalTransactor: Transactor {
    public let handle: (Header, [UInt8]) -> (Header, [UInt8])

    public init(_ handle: @escaping (Header, [UInt8]) -> (Header, [UInt8])) {
        self.handle = handle
    }

    public func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        let (h, d) = handle(header, data)
        return (h, d)
    }
}

/// Routes each request to the handler whose put-port it names, so that one
/// in-process transport reaches several servers (a directory server and a
/// file server, say); an unknown port is RPC_NOTFOUND, as on a network.
public struct LocalNetwork: Transactor {
    public var servers: [(port: Port, handle: (Header, [UInt8]) -> (Header, [UInt8]))]

    public init() { servers = [] }

    public mutating func add(port: Port, _ handle: @escaping (Header, [UInt8]) -> (Header, [UInt8])) {
        servers.append((port, handle))
    }

    public func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        for s in servers where s.port == header.port {
            let (h, d) = s.handle(header, data)
            return (h, d)
        }
        throw .rpcNotFound
    }
}
