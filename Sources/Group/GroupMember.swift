// One member of one group: Amoeba's per-group kernel state, sans-I/O.
//
// It owns a FLIP endpoint on its own random address and listens on the
// group's address; the member that created the group is the sequencer
// (index 0) and orders every message. It plugs into a node beside RPC as a
// `NodeUpperLayer`: the node hands it what arrives, ticks its timers and
// sends its frames; the driver makes the calls (send, leave), reads the
// ordered messages with `receive` at its own pace and drains the calls'
// outcomes with `takeEvents()`. This file holds the state and the calls; the member's
// handling of messages is in GroupMember+Receive.swift, the sequencer's in
// GroupMember+Sequencer.swift, the timers in GroupMember+Timers.swift.

import AmoebaCore
import FLIP

/// What this machine knows about one slot of the group.
struct MemberSlot {
    var state: MemberState = .unused
    var address: FLIPAddress = .null
    var rpcAddress: FLIPAddress = .null
    /// The next number the member said it expects (its acknowledgement).
    var expect = SequenceNumber(0)
    /// The last request the sequencer ordered for this member, and where.
    var lastMessageID = GroupMessageID(0)
    var lastSequence: SequenceNumber?
    /// Liveness: checks left before the member is declared dead; below
    /// zero it is dead (a DEAD came, or it stayed silent too long).
    var retrial = 0
    /// Heard from since the last liveness check.
    var replied = true
    /// Reset: what the member voted (its next number, or a `Vote` code).
    var vote = Vote.silent
    var isDead: Bool { retrial < 0 }
}

enum MemberPhase {
    /// Looking for the sequencer with LOCATE broadcasts.
    case locating(hops: UInt16, retrials: Int, interval: Interval)
    /// HEREIS came; JOINREQ sent, waiting for the JOIN.
    case joining
    case member
    /// A member is gone: nothing is sent or ordered until a reset.
    case resetNeeded
    /// This member runs the reset (grp_reset's coordinator).
    case coordinating(ResetRound)
    /// This member voted for `coordinator`'s reset and waits for its RESULT.
    case cohort(coordinator: MemberIndex, retrials: Int, heard: Bool)
    case left
    case failed
}

/// Method BB: a member's request as it came to the group-all address,
/// kept until the sequencer's short BCAST says where it goes.
struct BufferedRequest {
    var id: GroupMessageID
    var payload: [UInt8]
    var order: ByteOrder
}

struct PendingSend {
    var id: GroupMessageID
    var type: GroupMessageType
    var header: Header
    var data: [UInt8]
    var retrials: Int
}

public final class GroupMember {
    public let configuration: GroupConfiguration
    let box: FLIPBox
    public let endpoint: EndpointID
    /// The public address other members reach this one at.
    public let address: FLIPAddress
    let rpcAddress: FLIPAddress
    public let port: Port
    var joinHeader: Header

    var phase: MemberPhase
    var me = MemberIndex(0)
    var sequencer = MemberIndex(0)
    /// The group's two private addresses; members listen on their public forms.
    var groupAddress = FLIPAddress.null
    var groupAllAddress = FLIPAddress.null
    /// Their public forms, kept: the one-way function is DES, too dear
    /// to run for every multicast.
    var groupPublic = FLIPAddress.null
    var groupAllPublic = FLIPAddress.null
    var incarnation = Incarnation(rawValue: 0)
    var slots: [MemberSlot]
    /// The next number to deliver: everything below has been delivered.
    var nextSequence = SequenceNumber.first
    var history: History
    /// The highest number heard of (ordered, tentative or announced);
    /// at or above `nextSequence` it means something is still missing.
    var highestHeld = SequenceNumber(0)
    /// Sequencer: the number the next request gets. Ahead of
    /// `nextSequence` while messages wait for resilience acknowledgements.
    var nextAssign = SequenceNumber.first

    var outgoing: [PendingSend] = []
    /// Delivered in order, not yet read by `receive`.
    var unread: [GroupDelivery] = []
    var unreadHead = 0
    /// The `expect` last sent in a STATE.
    var lastReported = SequenceNumber(0)
    /// Method BB, one request per sender, by slot.
    var buffered: [BufferedRequest?]
    /// Requests of this many bytes or more (Amoeba header included) go by
    /// method BB; the group's value, learnt when joining.
    var large: UInt32
    /// The group's resilience degree, learnt when joining.
    var resilience: UInt16
    var transmitting = false
    var transmitAgain = false
    var lastMessageID = GroupMessageID(0)
    var events: [GroupEvent] = []

    var now = Instant.zero
    /// When the request in flight (or the locate round) is sent again.
    var requestDeadline: Instant?
    /// When the held gap is asked for again.
    var retransmitDeadline: Instant?
    var lastRetransmitAsk: Instant?
    /// Sequencer: when lagging members are next asked where they are.
    var syncDeadline: Instant?
    /// When the watched members are next checked for signs of life.
    var aliveDeadline: Instant?
    /// When the reset's current round times out.
    var resetDeadline: Instant?
    /// Catching up from one member during a reset: ask it for what is
    /// missing up to and including `upTo`.
    var catchUp: (from: MemberIndex, upTo: SequenceNumber)?
    /// The application asked for a reset (grp_reset) and waits for it.
    var resetCall: ResetCall?
    /// The new group's private addresses, drawn for `resetCall` while
    /// this member is another's cohort, in case it must coordinate.
    var resetAddresses: (FLIPAddress, FLIPAddress)?

    public internal(set) var statistics = GroupStatistics()

    init(box: FLIPBox, port: Port, configuration: GroupConfiguration, memberAddress: FLIPAddress,
         rpcAddress: FLIPAddress, phase: MemberPhase, header: Header) {
        self.box = box
        self.port = port
        self.configuration = configuration
        self.rpcAddress = rpcAddress
        endpoint = box.register(privateAddress: memberAddress)
        address = memberAddress.publicAddress
        self.phase = phase
        joinHeader = header
        slots = [MemberSlot](repeating: MemberSlot(), count: configuration.groupSize)
        history = History(size: configuration.historySize)
        buffered = [BufferedRequest?](repeating: nil, count: slots.count)
        large = configuration.large
        resilience = configuration.resilience
    }

    /// grp_create: a new group on `port`, with this member as its sequencer.
    public static func create<G: RandomNumberGenerator>(box: FLIPBox, port: Port, configuration: GroupConfiguration = .init(),
                                                        rpcAddress: FLIPAddress = .null, using random: inout G) -> GroupMember {
        let memberAddress = FLIPAddress.random(using: &random)
        let g = GroupMember(box: box, port: port, configuration: configuration, memberAddress: memberAddress,
                            rpcAddress: rpcAddress, phase: .member, header: Header(port: port))
        g.groupAddress = FLIPAddress.random(using: &random)
        g.groupAllAddress = FLIPAddress.random(using: &random)
        g.listenOnGroup()
        g.slots[0] = MemberSlot(state: .member, address: g.address, rpcAddress: rpcAddress, expect: .first)
        g.startWatching()
        return g
    }

    /// grp_join: starts looking for the group on `header.port`; `.joined`
    /// or `.joinFailed` tells how it ended. Members get `header` in the JOIN.
    public static func join<G: RandomNumberGenerator>(box: FLIPBox, header: Header, configuration: GroupConfiguration = .init(),
                                                      rpcAddress: FLIPAddress = .null, using random: inout G,
                                                      now: Instant) -> GroupMember {
        let memberAddress = FLIPAddress.random(using: &random)
        let g = GroupMember(box: box, port: header.port, configuration: configuration, memberAddress: memberAddress,
                            rpcAddress: rpcAddress, phase: .locating(hops: 0, retrials: 0, interval: configuration.locateInterval),
                            header: header)
        g.now = now
        g.sendLocate(hops: 0)
        g.requestDeadline = now + configuration.locateInterval
        return g
    }

    func listenOnGroup() {
        groupPublic = groupAddress.publicAddress
        groupAllPublic = groupAllAddress.publicAddress
        box.join(endpoint, group: groupPublic)
        box.join(endpoint, group: groupAllPublic)
    }

    public var isSequencer: Bool { isMember && me == sequencer }
    var isMember: Bool { if case .member = phase { return true } else { return false } }

    // MARK: the calls

    /// grp_send: queues a message for the group. `.sent` comes once it is
    /// ordered; the member sends one request at a time, in call order.
    @discardableResult
    public func send(_ header: Header, _ data: [UInt8] = [], now time: Instant) -> GroupMessageID {
        advance(time)
        lastMessageID = lastMessageID.next
        let id = lastMessageID
        guard data.count <= configuration.maxMessageSize else {
            events.append(.sendFailed(id, .bcTooBig))
            return id
        }
        guard isMember else {
            // During a reset: BC_ABORT, as Amoeba; the caller tries again.
            events.append(.sendFailed(id, isResetting ? .bcAbort : .bcFail))
            return id
        }
        enqueue(PendingSend(id: id, type: .broadcastRequest, header: header, data: data, retrials: 0))
        return id
    }

    /// grp_leave: the LEAVE carrying `header` is ordered like a message and
    /// delivered to every member, this one last of all (`.left`). A
    /// sequencer may leave only as the last member (it would have to hand
    /// the group on): otherwise `.sendFailed(id, BC_FAIL)` for the id
    /// returned.
    @discardableResult
    public func leave(_ header: Header, now time: Instant) -> GroupMessageID {
        advance(time)
        lastMessageID = lastMessageID.next
        guard isMember, !(isSequencer && liveMembers.count > 1) else {
            events.append(.sendFailed(lastMessageID, isResetting ? .bcAbort : .bcFail))
            return lastMessageID
        }
        enqueue(PendingSend(id: lastMessageID, type: .leaveRequest, header: header, data: [], retrials: 0))
        return lastMessageID
    }

    /// grp_receive: the next message in the total order, if one is here.
    /// What is not read holds the group back: the sequencer keeps its
    /// history until every member has read past it, and stops ordering
    /// when that is full, so a slow reader slows the senders instead of
    /// losing messages or growing without bound.
    public func receive(now time: Instant) -> GroupDelivery? {
        advance(time)
        guard unreadHead < unread.count else { return nil }
        let d = unread[unreadHead]
        unreadHead += 1
        if unreadHead == unread.count {
            unread.removeAll(keepingCapacity: true)
            unreadHead = 0
        } else if unreadHead >= 256 && unreadHead * 2 >= unread.count {
            unread.removeFirst(unreadHead)
            unreadHead = 0
        }
        // A reader that was holding the group back says so once it moved
        // on by half a history, instead of waiting to be asked.
        if isMember && !isSequencer && consumed.distance(from: lastReported) >= history.capacity / 2 { sendState() }
        return d
    }

    /// grp_receive's `more`: messages delivered in order and not yet read.
    public var unreadCount: Int { unread.count - unreadHead }

    /// The next number this member's reader will take: what it
    /// acknowledges to the sequencer as `expect`.
    var consumed: SequenceNumber { SequenceNumber(nextSequence.rawValue &- UInt32(unreadCount)) }

    func sendState() {
        lastReported = consumed
        let st = GroupHeader(type: .state, sender: me, incarnation: incarnation, sequence: nextSequence, expect: consumed)
        unicast(st.encoded(order: configuration.byteOrder), to: sequencer)
    }

    public func takeEvents() -> [GroupEvent] {
        var taken: [GroupEvent] = []
        swap(&taken, &events)
        return taken
    }

    /// grp_info.
    public var info: GroupInfo {
        GroupInfo(expect: consumed, total: liveMembers.count, me: me, sequencer: sequencer, members: liveMembers)
    }

    var liveMembers: [MemberIndex] {
        var out: [MemberIndex] = []
        for (i, s) in slots.enumerated() where s.state == .member { out.append(MemberIndex(UInt16(i))) }
        return out
    }

    // MARK: sending requests

    func enqueue(_ p: PendingSend) {
        outgoing.append(p)
        if outgoing.count == 1 { transmitHead() }
    }

    /// Sends the request at the head of the queue, or orders it at once on
    /// the sequencer. On the sequencer an order completes at once and asks
    /// for the next: a loop, not recursion, so a long queue cannot run a
    /// kernel stack out.
    func transmitHead() {
        if transmitting {
            transmitAgain = true
            return
        }
        transmitting = true
        repeat {
            transmitAgain = false
            transmitHeadOnce()
        } while transmitAgain
        transmitting = false
    }

    func transmitHeadOnce() {
        // During a reset requests wait; `resume` sends them afterwards.
        guard var p = outgoing.first, isMember || isJoining else { return }
        if isSequencer {
            let i = Int(me.rawValue)
            if slots[i].lastMessageID >= p.id {
                // Ordered already, still waiting for acknowledgements.
                if let s = slots[i].lastSequence, let e = history[s], !e.accepted { sendTentative(e) }
                requestDeadline = now + configuration.replyTimeout
                return
            }
            let type: GroupMessageType = p.type == .leaveRequest ? .leave : .broadcast
            let h = GroupHeader(type: type, sender: me, incarnation: incarnation, messageID: p.id, expect: consumed)
            var payload = p.header.encoded(order: configuration.byteOrder)
            payload += p.data
            if !order(h, payload: payload, order: configuration.byteOrder) {
                requestDeadline = now + configuration.retransmitGap
            } else if outgoing.first?.id == p.id {
                requestDeadline = now + configuration.replyTimeout
            }
            return
        }
        p.retrials += 1
        outgoing[0] = p
        if p.retrials > configuration.maxRetrials {
            if p.type == .joinRequest {
                joinFailed(.bcFail)
                return
            }
            outgoing.removeFirst()
            events.append(.sendFailed(p.id, .bcFail))
            requestDeadline = nil
            transmitAgain = true
            return
        }
        let h = GroupHeader(type: p.type, sender: me, incarnation: incarnation, messageID: p.id, expect: consumed)
        var m = h.encoded(order: configuration.byteOrder)
        m += p.header.encoded(order: configuration.byteOrder)
        m += p.data
        if p.retrials > 1 {
            statistics.requestRetransmissions += 1
            // No answer costs the sequencer a liveness retrial, so a sender
            // finds a dead sequencer within its retries (grp_send).
            if p.type != .joinRequest {
                let s = Int(sequencer.rawValue)
                slots[s].retrial -= 1
                if slots[s].retrial <= 0 {
                    slots[s].retrial = -1
                    enterReset()
                    return
                }
            }
        }
        if p.type == .broadcastRequest && UInt32(clamping: Header.size + p.data.count) >= large {
            // Method BB: the data goes to everybody at once; the sequencer
            // answers with a short BCAST that only gives it its number.
            var payload = p.header.encoded(order: configuration.byteOrder)
            payload += p.data
            buffered[Int(me.rawValue)] = BufferedRequest(id: p.id, payload: payload, order: configuration.byteOrder)
            statistics.sent += 1
            statistics.sentBB += 1
            box.multicast(m, from: endpoint, to: groupAllPublic, maxHop: box.configuration.maxHops, now: now)
        } else {
            unicast(m, to: sequencer)
        }
        requestDeadline = now + configuration.replyTimeout
    }

    /// A request of ours came back ordered.
    func completed(_ id: GroupMessageID, at s: SequenceNumber) {
        guard let p = outgoing.first, p.id == id else { return }
        outgoing.removeFirst()
        requestDeadline = nil
        if p.type == .broadcastRequest { events.append(.sent(id, s)) }
        transmitHead()
    }

    // MARK: output helpers

    /// This member's place among the members other than the sequencer
    /// (1, 2, ...): those ranked up to the resilience degree acknowledge.
    var rank: Int {
        var r = 0
        for (i, s) in slots.enumerated() where s.state == .member && i != Int(sequencer.rawValue) {
            r += 1
            if i == Int(me.rawValue) { return r }
        }
        return Int.max
    }

    /// min(r, total - 1): acknowledgements a message needs before it counts.
    var effectiveResilience: Int {
        min(Int(resilience), max(0, liveMembers.count - 1))
    }

    func unicast(_ m: [UInt8], to member: MemberIndex) {
        let i = Int(member.rawValue)
        guard i < slots.count, !slots[i].address.isNull else { return }
        statistics.sent += 1
        box.unicast(m, from: endpoint, to: slots[i].address, now: now)
    }

    func multicast(_ m: [UInt8]) {
        statistics.sent += 1
        box.multicast(m, from: endpoint, to: groupPublic, maxHop: box.configuration.maxHops, now: now)
    }

    func sendLocate(hops: UInt16) {
        let h = GroupHeader(type: .locate, sender: MemberIndex(0))
        let body = LocateBody(header: h, amoebaHeader: Header(port: port), rpcAddress: rpcAddress, memberAddress: address)
        statistics.sent += 1
        box.multicast(body.encoded(order: configuration.byteOrder), from: endpoint, to: .null, maxHop: hops, now: now)
    }

    func advance(_ time: Instant) {
        if now < time { now = time }
    }
}

public struct GroupStatistics: Sendable, Equatable {
    public var sent = 0
    public var received = 0
    public var malformed = 0
    public var duplicates = 0
    public var requestRetransmissions = 0
    public var retransmitRequests = 0
    public var retransmissionsAnswered = 0
    public var syncs = 0
    public var historyFull = 0
    public var sentBB = 0
    /// Sequencer: short BCASTs that numbered a request sent by BB.
    public var announcedBB = 0
    public var acknowledgementsSent = 0
    public var acknowledgementsReceived = 0
    /// Resets this member coordinated (rounds started, won or not).
    public var resets = 0
}
