// The knobs of the RPC machine. Defaults follow Amoeba 5.3's timers where it
// has them; tests shrink them to keep virtual runs short.

import AmoebaCore

public struct RPCConfiguration: Sendable {
    /// How long a client keeps broadcasting port locates before RPC_NOTFOUND.
    public var locateTimeout: Interval = .seconds(5)
    /// Pause between locates at each hop count (100 ms in Amoeba).
    public var locateInterval: Interval = .milliseconds(100)
    /// The hop limit the locate schedule grows to (1, 3, 7, 15, 25).
    public var maxLocateHops: UInt16 = 25
    /// Added to the round trip estimate before a client asks whether its
    /// request arrived (SERVETIMEOUT).
    public var serveTimeout: Interval = .milliseconds(1000)
    /// How often a client waiting for a reply asks the server if it lives.
    public var enquireInterval: Interval = .seconds(2)
    /// Silence after which the other end is taken for dead: a client's
    /// transaction fails, a server's putrep gives up (CRASHTIME in Amoeba).
    public var crashTimeout: Interval = .seconds(20)
    /// NAKs from a server with no free thread, and relocations after FLIP
    /// could not deliver, that a transaction survives.
    public var maxRetrials: Int = 10
    /// Answered-but-unsuccessful resends (the peer said "did not get it")
    /// a transaction makes before it fails: a bound, not a pace.
    public var maxResends: Int = 2000
    /// Pause before resending to a server that had no free thread; it
    /// doubles with each further refusal, up to 32 times this.
    public var busyBackoff: Interval = .milliseconds(50)
    /// The floor and ceiling of the server's reply retransmission timer.
    public var minReplyTimeout: Interval = .milliseconds(20)
    public var maxReplyTimeout: Interval = .seconds(30)
    /// Requests held for a port whose server threads are all busy; more are NAKed.
    public var pendingRequestLimit: Int = 64
    /// How long a request is held for a port whose last slot has just
    /// gone, for its server thread's next getreq, before it is NAKed as
    /// it would have been at once (PendingRequest+Orphans.swift).
    public var betweenGetreqsGrace: Interval = .milliseconds(10)
    /// Largest data part of a request or reply accepted.
    public var maxDataSize: Int = 1 << 20
    /// Protocol state entries (client transactions plus server slots).
    public var maxStates: Int = 4096
    /// Client kernels whose transaction history the server keeps exactly.
    public var ledgerKernels: Int = 256
    /// Transactions per client kernel remembered individually (8 KiB of
    /// bitmap per kernel). A request that arrives after this many newer ones
    /// from its kernel is refused, never run: a client with many threads
    /// on a lossy link can have one request retried for seconds while
    /// thousands of others pass it, so the window is wide.
    public var ledgerWindow: Int = 65536
    /// Evicted clients whose floor the server keeps exactly (about 40
    /// bytes each; see TransactionLedger).
    public var ledgerSummaries: Int = 16384
    /// Port cache entries.
    public var portCacheSize: Int = 256

    public init() {}
}
