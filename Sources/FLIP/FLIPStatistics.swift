// Counters of what a box did, for tests, `flip_stat`-like tools and
// debugging. Every frame that the box refuses is counted under a reason;
// nothing is dropped silently.

public enum FLIPDropReason: Hashable, Sendable {
    case unknownInterface
    case malformed
    case notForUs
    case hopLimit
    case nullAddress
    case duplicateBroadcast
    case unknownType
    case noRoute
    case badHereIs
    case inconsistentFragment
    case messageTooLarge
    case tooManyReassemblies
    case reassemblyTimeout
    case creditTimeout
    case queueFull
    case unsupportedControl
    case insecure
}

// The counts every frame moves (frames in and out, messages sent and
// delivered) are added to with wrapping arithmetic on the straight paths:
// a 64-bit count never wraps, and the overflow check cost a branch each.
public struct FLIPStatistics: Sendable {
    public var framesIn = 0
    public var framesOut = 0
    public var messagesSent = 0
    public var messagesDelivered = 0
    public var localDeliveries = 0
    public var locatesSent = 0
    public var locatesReceived = 0
    public var locateRounds = 0
    public var locatesGivenUp = 0
    public var hereIsSent = 0
    public var hereIsReceived = 0
    public var notHereSent = 0
    public var notHereReceived = 0
    public var untrustedSent = 0
    public var untrustedReceived = 0
    public var unidataForwarded = 0
    public var multidataForwarded = 0
    public var broadcastsForwarded = 0
    public var creditFramesSent = 0
    public var creditFramesReceived = 0
    public var creditRequestsSent = 0
    public var creditRequestsReceived = 0
    public var creditPiggybacked = 0
    public var framesStalled = 0
    public var routesLearned = 0
    public var routesInvalidated = 0
    /// HEREIS answers that echoed one of our (or a relayed) LOCATE's ids.
    public var routesProven = 0
    /// Claims from a new place for an address already routed: kept as
    /// candidates, not used.
    public var routeClaimsHeldBack = 0
    /// Probes started to check such a claim.
    public var routeProbes = 0
    public var reassembliesStarted = 0
    public var reassembliesActive = 0
    public var drops: [FLIPDropReason: Int] = [:]

    public init() {}

    public var totalDropped: Int {
        var n = 0
        for (_, v) in drops { n += v }
        return n
    }

    public func dropped(_ reason: FLIPDropReason) -> Int { drops[reason] ?? 0 }

    mutating func drop(_ reason: FLIPDropReason) { drops[reason, default: 0] += 1 }
}
