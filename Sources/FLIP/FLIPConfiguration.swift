// The knobs of a FLIP box: timeouts and limits, all with defaults.
//
// Defaults follow Amoeba where it has a number (25 hops, 8 credits, five
// unanswered asks for credit) and are otherwise
// picked so that a simulated run finds a few gateways away in well under a
// second and gives up on a missing address in a few seconds.

import AmoebaCore

public struct FLIPConfiguration: Sendable {
    /// The largest max-hop count a data packet may carry.
    public var maxHops: UInt16 = 25
    /// FLIP data bytes per frame (1500 - 2 - 40 on Ethernet).
    public var maxFragmentData: Int = EthernetFrame.maxData
    /// Time between LOCATE rounds; the hop count grows by one each round,
    /// and once it reaches `maxHops` the time between rounds doubles.
    public var locateInterval: Interval = .milliseconds(50)
    /// How long to locate before reporting `.unreachable`.
    public var locateTimeout: Interval = .seconds(3)
    /// An unfinished message is dropped this long after its last fragment.
    public var reassemblyTimeout: Interval = .seconds(2)
    /// The longest message the box will reassemble; longer ones are dropped.
    public var maxMessageSize: Int = 1 << 20
    /// How many messages may be half-reassembled at once, and how many
    /// bytes they may hold together: a stranger's fragments must not be
    /// able to take all memory.
    public var maxReassemblies: Int = 64
    public var maxReassemblyBytes: Int = 4 << 20
    /// A route unused this long is forgotten.
    public var routeLifetime: Interval = .seconds(60)
    /// Most addresses the routing table holds; the least recently used go
    /// first when a new one does not fit.
    public var maxRoutedAddresses: Int = 4096
    /// A route heard from within this long is answering: of two usable
    /// routes of the same standing, the older answering one is used, and a
    /// LOCATE for the address passing through spares it.
    public var routeAnswerWindow: Interval = .seconds(30)
    /// Routes kept per address; a stranger's claims beyond it push out each
    /// other (candidates go first), never a usable route.
    public var maxRoutesPerAddress: Int = 4
    /// A frame claiming a routed address from a new place makes the box
    /// ask the address where it lives (a probe: a short locate whose answer
    /// must echo our LOCATE's random id); the route moves only to a place
    /// that answers. At most one probe per address per interval...
    public var routeProbeInterval: Interval = .seconds(1)
    /// ...lasting this long (messages sent meanwhile wait for it)...
    public var routeProbeTimeout: Interval = .milliseconds(250)
    /// ...and at most this many at once, and started per second.
    public var maxRouteProbes: Int = 8
    /// Most Ethernet neighbours flow control keeps state for.
    public var maxPeers: Int = 1024
    /// Frames a sender may have outstanding per peer before it needs credit.
    public var initialCredit: UInt8 = 8
    /// The receiver returns credit once this many frames have been drained.
    public var creditThreshold: UInt8 = 4
    /// Extra credit this box gives each neighbour, once, with the first
    /// credit it returns: the sender's window becomes `initialCredit` plus
    /// this. 0 is Amoeba's fixed window of 8 frames, which one round trip
    /// per 8 frames caps (on a LAN whose round trip is 40 µs, 300 MB/s
    /// whatever the link). An Amoeba sender adds whatever credit it is
    /// given, so the grant widens its window too; only a receiver with
    /// buffers for the wider window per neighbour should grant (a Linux
    /// host's socket buffers; a kernel node's 128-buffer receive ring
    /// grants less, NodeConfiguration.kernelNode).
    public var creditGrant: UInt8 = 0
    /// A sender stalled for credit this long asks for it (REQCREDIT).
    /// Amoeba waits 2 s; every frame lost costs the sender a credit that
    /// only this ask recovers, so on a lossy link 2 s stalls dominate. The
    /// interval is not visible on the wire; 200 ms suits today's LANs.
    public var creditRequestInterval: Interval = .milliseconds(200)
    /// After this many unanswered asks, the queued frames are dropped.
    public var maxCreditRequests: Int = 5
    /// Frames queued per peer before further ones are dropped.
    public var maxQueuedFrames: Int = 4096
    /// Broadcast (LOCATE, broadcast MULTIDATA) identities remembered to
    /// suppress duplicates in looped topologies.
    public var broadcastMemory: Int = 1024
    /// Remembered NOTHERE reports, so a many-fragment message is reported
    /// undeliverable once.
    public var reportMemory: Int = 256

    public init() {}
}
