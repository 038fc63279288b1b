// Several calls in flight from one thread of a program with its own
// endpoint (AmoebaClient's CallPipeline.swift says why).
//
// A call started here is a call like trans's, with a ticket of its own;
// what differs is who waits for it. The pipeline's thread waits under one
// ticket of the pipeline's, for whichever of its calls ends first, and
// `pump` wakes that ticket for any of them (the `pipelined` map). Starting
// a call only queues its frames: they leave at the thread's next wait,
// together with those of the calls started beside it and the ACK of the
// reply just taken, in one system call. The thread alone moves the node
// while it waits, as a lone trans does, so nothing is handed between
// threads: a 30 KB piece costs the wakeups of its frames and no more.

import AmoebaCore
import Amunix
import AmunixDaemon
import RPC

extension ProcessEndpoint {
    /// One thread's calls in flight together.
    public final class Pipeline: @unchecked Sendable {
        let endpoint: ProcessEndpoint
        /// The ticket the pipeline's thread waits under; no call's.
        let waiter: Ticket
        let timeout: Duration?
        /// The calls in flight: ticket and the caller's tag.
        private var calls: [(ticket: Ticket, tag: Int)] = []

        init(endpoint: ProcessEndpoint, waiter: Ticket, timeout: Duration?) {
            self.endpoint = endpoint
            self.waiter = waiter
            self.timeout = timeout
        }

        deinit { close() }

        public var inFlight: Int { calls.count }

        /// Starts a call; `next` gives its outcome with `tag`. Throws
        /// RPC_ABORTED once the endpoint is closed.
        public func start(_ header: Header, _ data: [UInt8], tag: Int) throws(ErrorCode) {
            let ticket = try endpoint.startPipelined(RPCMessage(header: header, data: data), for: waiter, timeout: timeout)
            calls.append((ticket, tag))
        }

        /// Waits for the first of the calls in flight to end; nil when
        /// none is. A call still in flight when the endpoint closes ends
        /// with RPC_ABORTED.
        public func next() -> (tag: Int, result: Result<(header: Header, data: [UInt8]), ErrorCode>)? {
            guard !calls.isEmpty else { return nil }
            guard let ended = endpoint.waitForPipelined(waiter) else {
                return (calls.removeLast().tag, .failure(.rpcAborted))
            }
            guard let i = calls.firstIndex(where: { $0.ticket == ended.ticket }) else {
                // Every call of the pipeline is in `calls`; nothing else is filed for it.
                preconditionFailure("an outcome for a call the pipeline did not start")
            }
            return (calls.remove(at: i).tag, ended.outcome.reply)
        }

        /// Drops the calls in flight: their replies, if any come, are
        /// the node's to discard.
        public func close() {
            guard !calls.isEmpty else { return }
            endpoint.abandonPipelined(calls.map(\.ticket))
            calls.removeAll()
        }
    }

    /// A pipeline whose calls each end with RPC_FAILURE after `timeout`
    /// (nil: as trans without one, when the RPC layer gives up).
    public func pipeline(timeout: Duration? = nil) -> Pipeline {
        room.lock()
        defer { room.unlock() }
        return Pipeline(endpoint: self, waiter: takeTicket(), timeout: timeout)
    }

    func startPipelined(_ message: consuming RPCMessage, for waiter: Ticket,
                        timeout: Duration?) throws(ErrorCode) -> Ticket {
        room.lock()
        defer { room.unlock() }
        guard !closed else { throw .rpcAborted }
        let ticket = takeTicket()
        pipelined[ticket] = waiter
        // Queued, not flushed: the frames leave at the pipeline's next
        // wait, with the other calls' started meanwhile.
        startCall(message, as: ticket, timeout: timeout)
        return ticket
    }

    func waitForPipelined(_ waiter: Ticket) -> (ticket: Ticket, outcome: Outcome)? {
        room.lock()
        defer { room.unlock() }
        return waitForAnyCall(of: waiter)
    }

    func abandonPipelined(_ tickets: [Ticket]) {
        room.lock()
        defer { room.unlock() }
        for t in tickets { pipelined[t] = nil }
        outcomes.removeAll { tickets.contains($0.ticket) }
        guard !closed else { return }
        node.abandon(where: { tickets.contains($0) }, now: MonotonicClock.now)
        pump()
        flush()
    }
}
