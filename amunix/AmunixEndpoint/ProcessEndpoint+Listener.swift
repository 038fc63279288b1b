// Several getreqs listening from one server thread of a program with its
// own endpoint: the server's side of ProcessEndpoint.Pipeline.
//
// A server keeps several getreqs waiting so that a request that comes
// while it handles another is taken at once. With a thread per getreq on
// one endpoint, that costs a thread switch per request: the thread
// driving the node is the one that has waited longest in getreq, and the
// node gives a request to the slot that has listened longest, another
// thread's, which the driver must wake before it goes back to its poll.
// For a bullet-server, whose handler runs under one lock anyway, those
// switches were a fifth of its CPU per 50 MB get (79-81 ms against 65-69
// with a single thread and getreq).
//
// A listener keeps `depth` getreqs listening for one thread: it waits,
// driving the node, for a request on any of them, and listens again on
// its next wait, so slots listen while the thread handles what it took.
// Requests taken meanwhile wait as outcomes, handed over in turn.

import AmoebaCore
import AmunixDaemon
import RPC

extension ProcessEndpoint {
    /// One server thread's getreqs on a port.
    public final class Listener: @unchecked Sendable {
        let endpoint: ProcessEndpoint
        /// The ticket the listener's thread waits under; no getreq's.
        let waiter: Ticket
        public let getPort: AmoebaCore.Port
        /// Getreqs kept listening.
        public let depth: Int
        /// The getreqs listening, by ticket.
        private var listening: [Ticket] = []

        init(endpoint: ProcessEndpoint, waiter: Ticket, getPort: AmoebaCore.Port, depth: Int) {
            self.endpoint = endpoint
            self.waiter = waiter
            self.getPort = getPort
            self.depth = depth
        }

        deinit { close() }

        /// Waits for the next request on any of the listener's getreqs,
        /// listening again first. Throws RPC_ABORTED once the endpoint
        /// closes, RPC_FAILURE when the node's server table has no room
        /// for a single getreq.
        public func next() throws(ErrorCode) -> EndpointRequest {
            while listening.count < depth {
                do throws(ErrorCode) {
                    listening.append(try endpoint.startListening(getPort, for: waiter))
                } catch {
                    // A full table leaves fewer listening; none is an error.
                    if error != .rpcFailure || listening.isEmpty { throw error }
                    break
                }
            }
            guard let ended = endpoint.waitForPipelined(waiter) else { throw .rpcAborted }
            listening.removeAll { $0 == ended.ticket }
            return try ended.outcome.request()
        }

        /// Withdraws the getreqs still listening.
        public func close() {
            guard !listening.isEmpty else { return }
            endpoint.abandonPipelined(listening)
            listening.removeAll()
        }
    }

    /// A listener keeping `depth` getreqs on the put-port of `getPort`
    /// for one thread. A null port is refused (RPC_BADPORT).
    public func listen(_ getPort: AmoebaCore.Port, depth: Int) throws(ErrorCode) -> Listener {
        guard !getPort.isNull else { throw .rpcBadPort }
        room.lock()
        defer { room.unlock() }
        guard !closed else { throw .rpcAborted }
        return Listener(endpoint: self, waiter: takeTicket(), getPort: getPort, depth: max(1, depth))
    }

    func startListening(_ getPort: AmoebaCore.Port, for waiter: Ticket) throws(ErrorCode) -> Ticket {
        room.lock()
        defer { room.unlock() }
        guard !closed else { throw .rpcAborted }
        let ticket = takeTicket()
        guard node.getreq(port: getPort, owner: ticket) != nil else { throw .rpcFailure }
        pipelined[ticket] = waiter
        pump()
        return ticket
    }
}
