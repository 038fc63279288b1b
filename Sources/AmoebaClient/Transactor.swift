// The one thing a client of the directory and file servers needs from the
// world: a way to send a request and wait for its reply. On Linux that is
// amunixd's trans; in a test it is a server handler called directly; in a
// kernel it would be the RPC layer. Keeping the clients generic over this
// protocol keeps them free of I/O, so the same path-resolution code runs
// everywhere and is tested without a network.

import AmoebaCore

public protocol Transactor {
    /// Sends one request and returns the reply, or throws the Amoeba error
    /// of a failed transaction (RPC_*). A reply carrying an error status is
    /// returned as is: the clients decide what it means.
    func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8])
}

extension Transactor {
    /// A transaction whose reply must say STD_OK; any other status is thrown.
    func call(_ header: Header, _ data: [UInt8] = []) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        let r = try transact(header, data)
        guard r.header.status == .ok else { throw r.header.status }
        return r
    }
}
