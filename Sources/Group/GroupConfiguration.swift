// The parameters of a group (grp_create's arguments) and of the protocol's
// timers, with Amoeba's defaults (AMOEBA-FACTS §5.4). Tests shorten the
// timers: virtual time is free, but a simulated run that waits eight
// seconds for a sync wastes events on nothing.

import AmoebaCore

public struct GroupConfiguration: Sendable {
    /// Most members the group can hold (maxgroup > 1).
    public var maxGroup: UInt16 = 32
    /// log2 of the history buffer's slots (≥ 4).
    public var logHistory: UInt16 = 7
    /// log2 of the largest message (≥ 10).
    public var logMessageSize: UInt16 = 14
    /// Members besides the sequencer that must hold a message before it
    /// is delivered anywhere (< 32). Joins and leaves are not held back.
    /// A joiner takes the group's value; only the creator's counts.
    public var resilience: UInt16 = 0
    /// Requests of at least this many bytes (Amoeba header included) take
    /// method BB; smaller ones PB. The sequencer's own always go PB.
    public var large: UInt32 = 10000

    /// How long a member waits for its request to be ordered before it
    /// sends it again (grp_set's reply).
    public var replyTimeout: Interval = .milliseconds(1000)
    /// RETRANSTIME: the least gap between two retransmission requests.
    public var retransmitGap: Interval = .milliseconds(50)
    /// How often the sequencer asks lagging members where they are.
    public var syncInterval: Interval = .milliseconds(8000)
    /// Between locate rounds while joining; the hop count grows by one a round.
    public var locateInterval: Interval = .milliseconds(100)
    public var locateMaxHops: UInt16 = 25
    /// Locate rounds after the hop count reached its maximum, waits doubling.
    public var locateRetrials: Int = 10
    /// Sends of one request before giving up with BC_FAIL.
    public var maxRetrials: Int = 10
    /// How often a member checks that the members it watches have been
    /// heard from (the sequencer watches all, the others the sequencer).
    public var aliveInterval: Interval = .milliseconds(10000)
    /// Checks in a row a watched member may stay silent before it is
    /// declared dead (BCRETRIAL); ALIVEREQs go out meanwhile.
    public var aliveRetrials: Int = 10
    /// Between rounds of a reset (REFORMREQ, SYNC, RESULT sent again; a
    /// cohort polls its coordinator).
    public var resetTimeout: Interval = .milliseconds(2000)
    /// Retransmission requests outstanding at once (RETRANS_MAX_PENDING).
    public var maxRetransmitPending: Int = 4
    /// The order this member writes its integers in; receivers accept either.
    public var byteOrder: ByteOrder = .little

    public init() {}

    /// The most a joiner accepts from a group's HEREIS.
    static let largestGroup: UInt16 = 1024
    static let largestLogHistory: UInt16 = 12

    /// logHistory within what every member accepts.
    var effectiveLogHistory: UInt16 { min(max(logHistory, 4), GroupConfiguration.largestLogHistory) }
    var historySize: Int { 1 << Int(effectiveLogHistory) }
    var groupSize: Int { Int(min(max(maxGroup, 2), GroupConfiguration.largestGroup)) }
    var maxMessageSize: Int { 1 << Int(min(logMessageSize, 24)) }
}

extension ErrorCode {
    public static let bcFail = ErrorCode(rawValue: -20)
    public static let bcAbort = ErrorCode(rawValue: -21)
    public static let bcTooBig = ErrorCode(rawValue: -22)
    public static let bcBadPort = ErrorCode(rawValue: -23)
    public static let bcNoExist = ErrorCode(rawValue: -24)
    public static let bcTooMany = ErrorCode(rawValue: -25)
    public static let bcIllegalReset = ErrorCode(rawValue: -28)
}
