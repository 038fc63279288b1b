// What a node did and holds, for status pages, tests and drains: its box's
// counters, each RPC machine's, and the node's own bookkeeping.

import FLIP
import RPC

public struct NodeStatistics: Sendable {
    public var flip: FLIPStatistics
    /// The machine that runs this node's transactions.
    public var client: RPCStatistics
    /// The machine that serves this node's ports.
    public var server: RPCStatistics
    /// Transactions whose owner still waits for the result.
    public var transactionsInFlight: Int
    /// Server slots waiting in getreq for a request.
    public var slotsWaiting: Int
    /// Requests handed to their owner and not yet answered.
    public var requestsBeingServed: Int
    /// Replies sent and not yet acknowledged by their client.
    public var repliesInFlight: Int
    /// Replies given up on: the client never acknowledged them.
    public var repliesUnacknowledged: Int
    /// Protocol states held by each machine: transactions still running
    /// (also those whose owner went away), and slots listening, serving or
    /// replying.
    public var clientStates: Int
    public var serverStates: Int

    /// Both machines' counters added together.
    public var rpc: RPCStatistics {
        var r = client
        r.transactionsStarted += server.transactionsStarted
        r.transactionsSucceeded += server.transactionsSucceeded
        r.transactionsFailed += server.transactionsFailed
        r.retransmissions += server.retransmissions
        r.duplicatesRefused += server.duplicatesRefused
        r.staleReplies += server.staleReplies
        r.malformed += server.malformed
        r.orphansFailed += server.orphansFailed
        for i in r.sent.indices where i < server.sent.count { r.sent[i] += server.sent[i] }
        for i in r.received.indices where i < server.received.count { r.received[i] += server.received[i] }
        return r
    }
}
