// Reset: rebuilding the group after a member or the sequencer failed
// (grp_reset; AMOEBA-FACTS §5.2). The member whose program calls reset
// coordinates. It asks every member with REFORMREQ whether it goes along;
// each answers VOTE with its next sequence number (or STOP/ABORT when it
// should coordinate itself: the higher next number wins, then the lower
// index). Members silent for the reset's retrials are left out. The
// coordinator fetches what it lacks from the voter that got furthest,
// brings every voter to the same point with SYNC, then orders a RESULT,
// which names the new members, the coordinator as the new sequencer, new
// group addresses and the next incarnation. Members answer RESULTACK.
//
// Why nothing acknowledged is lost: a message is announced as sent only
// once r members besides the sequencer hold it, and when the group stops
// every member accepts the tentative messages it holds without a gap
// (the sequencer may have made them official and died). The highest vote
// therefore covers every message any sender was told of, and the
// coordinator gives all survivors everything up to it before the RESULT.
// Numbers past that were never official anywhere and are dropped; a
// request that was in flight is sent again to the new sequencer.

import AmoebaCore
import FLIP

/// VOTE's seqno when it is not a number (flgroup.c).
enum Vote {
    static let stop: Int64 = -1
    static let abort: Int64 = -2
    static let crashed: Int64 = -3
    static let silent: Int64 = -4

    /// The value a VOTE header carries, read as Amoeba's signed field.
    static func value(_ s: SequenceNumber) -> Int64 { Int64(Int32(bitPattern: s.rawValue)) }
    static func wire(_ v: Int64) -> SequenceNumber { SequenceNumber(UInt32(truncatingIfNeeded: v)) }
}

/// What the application's grp_reset asked for.
struct ResetCall {
    var header: Header
    var minimum: Int
}

/// The coordinator's progress.
struct ResetRound {
    enum Stage {
        case voting
        /// Fetching messages from the voter that got furthest.
        case collecting(from: MemberIndex, upTo: SequenceNumber)
        /// Bringing every voter up to the coordinator's next number.
        case updating
        /// RESULT sent; waiting for every new member's RESULTACK.
        case announcing
    }
    var stage = Stage.voting
    var call: ResetCall
    /// The new group's private addresses, drawn when the call was made.
    var groupAddress: FLIPAddress
    var groupAllAddress: FLIPAddress
    /// The RESULT as sent, for the members that have not acknowledged it.
    var result: [UInt8] = []
}

extension GroupMember {
    var isResetting: Bool {
        switch phase {
        case .resetNeeded, .coordinating, .cohort: return true
        default: return false
        }
    }

    /// grp_reset: rebuilds the group with the members that can be reached.
    /// `.reset(total)` when it has at least `minimum` members, else
    /// `.resetFailed(BC_FAIL)`; BC_ILLRESET when no reset was needed and
    /// the group is smaller than `minimum`, or a reset is already running.
    public func reset<G: RandomNumberGenerator>(_ header: Header, minimum: Int, now time: Instant,
                                                using random: inout G) {
        advance(time)
        switch phase {
        case .member:
            let total = liveMembers.count
            events.append(minimum <= total ? .reset(total: total) : .resetFailed(.bcIllegalReset))
        case .resetNeeded:
            resetCall = ResetCall(header: header, minimum: minimum)
            coordinate(using: &random)
        case .cohort:
            // Another member coordinates; this call ends with its RESULT,
            // or coordinates itself if that member goes silent.
            resetCall = ResetCall(header: header, minimum: minimum)
            resetAddresses = (FLIPAddress.random(using: &random), FLIPAddress.random(using: &random))
        default:
            events.append(.resetFailed(.bcIllegalReset))
        }
    }

    /// The group stops: called when a member is found dead, a DEAD or a
    /// REFORMREQ arrives. Tentative messages held without a gap are
    /// accepted (the sequencer may have made them official before it
    /// died); anything beyond is dropped, since the new sequencer will
    /// number afresh from there.
    func enterReset() {
        guard isMember else { return }
        // Stopped first: delivering our own messages below completes
        // their sends, which must not order or send the next one.
        phase = .resetNeeded
        var s = nextSequence
        while var e = history[s] {
            if !e.accepted {
                e.accepted = true
                e.acknowledgedBy = []
                history.store(e)
            }
            s = s.next
        }
        deliverInOrder()
        history.discard(from: nextSequence)
        highestHeld = SequenceNumber(nextSequence.rawValue &- 1)
        nextAssign = nextSequence
        for i in buffered.indices { buffered[i] = nil }
        box.leave(endpoint, group: groupPublic)
        box.leave(endpoint, group: groupAllPublic)
        requestDeadline = nil
        retransmitDeadline = nil
        syncDeadline = nil
        aliveDeadline = nil
        resetDeadline = nil
        catchUp = nil
        events.append(.resetNeeded)
    }

    // MARK: the coordinator

    func coordinate<G: RandomNumberGenerator>(using random: inout G) {
        let addresses = resetAddresses ?? (FLIPAddress.random(using: &random), FLIPAddress.random(using: &random))
        resetAddresses = nil
        guard let call = resetCall else { return }
        beginCoordinating(call, addresses)
    }

    func beginCoordinating(_ call: ResetCall, _ addresses: (FLIPAddress, FLIPAddress)) {
        for i in slots.indices where slots[i].state != .unused {
            if !slots[i].isDead { slots[i].retrial = configuration.aliveRetrials }
            slots[i].replied = false
            slots[i].vote = slots[i].isDead ? Vote.crashed : Vote.silent
        }
        let mine = Int(me.rawValue)
        slots[mine].vote = Int64(nextSequence.rawValue)
        slots[mine].replied = true
        slots[mine].expect = consumed
        phase = .coordinating(ResetRound(call: call, groupAddress: addresses.0, groupAllAddress: addresses.1))
        statistics.resets += 1
        sendReform()
        resetDeadline = now + configuration.resetTimeout
        if votingFinished { finishVoting() }
    }

    var round: ResetRound? {
        if case .coordinating(let r) = phase { return r }
        return nil
    }

    func setStage(_ s: ResetRound.Stage) {
        guard var r = round else { return }
        r.stage = s
        phase = .coordinating(r)
    }

    /// Members that must still answer: in the table, not dead, not me.
    var others: [Int] {
        slots.indices.filter { slots[$0].state != .unused && $0 != Int(me.rawValue) && !slots[$0].isDead }
    }

    func sendReform() {
        let h = GroupHeader(type: .reformRequest, sender: me, incarnation: incarnation, sequence: nextSequence,
                            expect: consumed)
        let m = h.encoded(order: configuration.byteOrder)
        for i in others where slots[i].vote == Vote.silent { unicast(m, to: MemberIndex(UInt16(i))) }
    }

    var votingFinished: Bool { others.allSatisfy { slots[$0].vote != Vote.silent } }

    /// A round ran out: the silent lose a retrial, the dead are left out,
    /// and the round's message goes out again.
    func resetRoundTimedOut() {
        switch phase {
        case .coordinating(let r):
            // Only members this round waits on can be found dead: one that
            // voted (or is up to date, or acknowledged) has nothing to say.
            for i in others where awaited(i, in: r.stage) {
                if !slots[i].replied {
                    slots[i].retrial -= 1
                    if slots[i].retrial <= 0 {
                        slots[i].retrial = -1
                        slots[i].vote = Vote.crashed
                    }
                }
                slots[i].replied = false
            }
            resetDeadline = now + configuration.resetTimeout
            switch r.stage {
            case .voting:
                if votingFinished { finishVoting() } else { sendReform() }
            case .collecting(let from, let upTo):
                if slots[Int(from.rawValue)].isDead {
                    finishVoting()   // pick the next furthest voter
                } else {
                    lastRetransmitAsk = nil
                    askForRetransmission(from: from, upTo: upTo)
                }
            case .updating:
                updateMembers()
            case .announcing:
                announce()
            }
        case .cohort(let c, let retrials, let heard):
            resetDeadline = now + configuration.resetTimeout
            if heard {
                phase = .cohort(coordinator: c, retrials: configuration.aliveRetrials, heard: false)
            } else if retrials <= 1 {
                // The coordinator is gone, or no longer coordinates: start
                // over, as coordinator if the application asked for a reset.
                // It is not counted dead: the new round's REFORMREQ finds out.
                phase = .resetNeeded
                catchUp = nil
                resetDeadline = nil
                if let call = resetCall {
                    beginCoordinating(call, resetAddresses ?? (groupAddress, groupAllAddress))
                    resetAddresses = nil
                } else {
                    events.append(.resetNeeded)
                }
                return
            } else {
                phase = .cohort(coordinator: c, retrials: retrials - 1, heard: false)
            }
            let h = GroupHeader(type: .aliveRequest, sender: me, incarnation: incarnation,
                                sequence: SequenceNumber(AliveKind.pointToPoint.rawValue), expect: consumed)
            unicast(h.encoded(order: configuration.byteOrder), to: c)
        default:
            resetDeadline = nil
        }
    }

    /// Whether the coordinator still waits for member `i` in `stage`.
    func awaited(_ i: Int, in stage: ResetRound.Stage) -> Bool {
        switch stage {
        case .voting, .announcing: return slots[i].vote == Vote.silent
        case .collecting(let from, _): return i == Int(from.rawValue)
        case .updating: return slots[i].vote >= 0 && slots[i].vote != Int64(nextSequence.rawValue)
        }
    }

    /// Every member voted or is counted dead: is the group big enough,
    /// and does the coordinator lack messages some voter has?
    func finishVoting() {
        guard let r = round else { return }
        var count = 0
        var furthest = Int(me.rawValue)
        for i in slots.indices where slots[i].state != .unused && slots[i].vote >= 0 {
            count += 1
            if slots[i].vote > slots[furthest].vote { furthest = i }
        }
        guard count >= r.call.minimum else {
            fail()
            return
        }
        let top = SequenceNumber(UInt32(truncatingIfNeeded: slots[furthest].vote))
        if top > nextSequence {
            let upTo = SequenceNumber(top.rawValue &- 1)
            setStage(.collecting(from: MemberIndex(UInt16(furthest)), upTo: upTo))
            catchUp = (MemberIndex(UInt16(furthest)), upTo)
            slots[furthest].replied = false
            lastRetransmitAsk = nil
            askForRetransmission(from: MemberIndex(UInt16(furthest)), upTo: upTo)
            return
        }
        slots[Int(me.rawValue)].vote = Int64(nextSequence.rawValue)
        catchUp = nil
        setStage(.updating)
        for i in others { slots[i].replied = false }
        updateMembers()
    }

    /// Called after deliveries during a reset: whether catching up is done.
    func resetProgress() {
        guard let c = catchUp, nextSequence > c.upTo else { return }
        catchUp = nil
        switch phase {
        case .coordinating(let r):
            if case .collecting = r.stage { finishVoting() }
        case .cohort:
            // Tell the coordinator at once instead of at its next SYNC.
            lastReported = consumed
            let st = GroupHeader(type: .state, sender: me, incarnation: incarnation, sequence: nextSequence,
                                 expect: consumed)
            unicast(st.encoded(order: configuration.byteOrder), to: c.from)
        default:
            break
        }
    }

    /// SYNC, point to point, to every voter not yet at the coordinator's
    /// next number; when all are, the new group is built.
    func updateMembers() {
        let target = Int64(nextSequence.rawValue)
        var waiting = false
        for i in others where slots[i].vote >= 0 && slots[i].vote != target {
            waiting = true
            let h = GroupHeader(type: .sync, sender: me, incarnation: incarnation, sequence: nextSequence,
                                expect: nextSequence)
            var m = h.encoded(order: configuration.byteOrder)
            GroupWire.put(UInt16(i), into: &m, configuration.byteOrder)
            unicast(m, to: MemberIndex(UInt16(i)))
        }
        guard !waiting, let r = round else { return }
        var count = 0
        for i in slots.indices where slots[i].state != .unused && slots[i].vote >= 0 { count += 1 }
        guard count >= r.call.minimum else {
            fail()
            return
        }
        build(r)
    }

    /// The new group: voters stay, the coordinator orders the RESULT
    /// under the next incarnation and becomes the sequencer.
    func build(_ r: ResetRound) {
        var total: UInt16 = 0
        for i in slots.indices where slots[i].state != .unused {
            if slots[i].vote < 0 {
                slots[i] = MemberSlot()
            } else {
                slots[i].state = .member
                total += 1
            }
        }
        incarnation = incarnation.next
        sequencer = me
        groupAddress = r.groupAddress
        groupAllAddress = r.groupAllAddress
        let h = GroupHeader(type: .result, sender: me, incarnation: incarnation, sequence: nextSequence,
                            messageID: slots[Int(me.rawValue)].lastMessageID, expect: nextSequence)
        var payload = r.call.header.encoded(order: configuration.byteOrder)
        ResultBody(states: slots.map { $0.state }, groupAddress: groupAddress, groupAllAddress: groupAllAddress,
                   total: total, sequencer: me, incarnation: incarnation)
            .encode(into: &payload, order: configuration.byteOrder)
        var round = r
        round.stage = .announcing
        round.result = h.encoded(order: configuration.byteOrder) + payload
        phase = .coordinating(round)
        makeRoom(for: nextSequence)
        history.store(HistoryEntry(header: h, payload: payload, order: configuration.byteOrder))
        highestHeld = nextSequence
        // Each new member's vote turns from silent to 0 with its RESULTACK.
        for i in others { slots[i].vote = Vote.silent }
        // Delivered here at once; the members get it with the RESULT.
        deliverInOrder()
        nextAssign = nextSequence
        listenOnGroup()
        announce()
    }

    /// Sends the RESULT to the members that have not acknowledged it;
    /// when all have (or are dead), the group runs again.
    func announce() {
        guard let r = round else { return }
        var waiting = false
        for i in others where slots[i].vote == Vote.silent {
            waiting = true
            unicast(r.result, to: MemberIndex(UInt16(i)))
        }
        if !waiting { finishReset() }
    }

    func finishReset() {
        let total = liveMembers.count
        phase = .member
        resetDeadline = nil
        resetCall = nil
        catchUp = nil
        syncDeadline = now + configuration.syncInterval
        startWatching()
        events.append(.reset(total: total))
        resume()
    }

    /// Requests queued before the failure go to the new sequencer, from
    /// their first try. One that was ordered and survived was delivered
    /// while catching up and completed then.
    func resume() {
        for i in outgoing.indices { outgoing[i].retrials = 0 }
        transmitHead()
    }

    /// Too few members: every voter learns it from a RESULT numbered 0.
    func fail() {
        let h = GroupHeader(type: .result, sender: me, incarnation: incarnation)
        let m = h.encoded(order: configuration.byteOrder)
        for i in others where slots[i].vote >= 0 { unicast(m, to: MemberIndex(UInt16(i))) }
        phase = .resetNeeded
        resetDeadline = nil
        resetCall = nil
        catchUp = nil
        events.append(.resetFailed(.bcFail))
    }

    // MARK: messages

    /// Lower next numbers yield; on a tie the lower index coordinates.
    func staysCoordinator(against s: SequenceNumber, _ other: MemberIndex) -> Bool {
        if s != nextSequence { return s < nextSequence }
        return me < other
    }

    /// REFORMREQ: another member wants to rebuild the group.
    func reformRequested(_ h: GroupHeader) {
        heardFrom(h.sender)
        var vote: Int64
        switch phase {
        case .coordinating(let r):
            if case .announcing = r.stage {
                vote = Vote.stop
            } else if staysCoordinator(against: h.sequence, h.sender) {
                vote = Vote.stop
            } else {
                vote = Int64(nextSequence.rawValue)
                becomeCohort(of: h.sender, keeping: r)
            }
        case .member where isSequencer && staysCoordinator(against: h.sequence, h.sender):
            // The sequencer is alive and ahead: it will run the reset.
            vote = Vote.abort
            enterReset()
        case .member, .resetNeeded:
            enterReset()
            vote = Int64(nextSequence.rawValue)
            becomeCohort(of: h.sender, keeping: nil)
        case .cohort(let c, _, _):
            if c == h.sender || !staysCoordinator(against: h.sequence, h.sender) {
                vote = Int64(nextSequence.rawValue)
                becomeCohort(of: h.sender, keeping: nil)
            } else {
                vote = Vote.stop
            }
        default:
            return
        }
        let v = GroupHeader(type: .vote, sender: me, incarnation: incarnation, sequence: Vote.wire(vote), expect: consumed)
        unicast(v.encoded(order: configuration.byteOrder), to: h.sender)
    }

    func becomeCohort(of c: MemberIndex, keeping r: ResetRound?) {
        if let r = r {
            // Our own call waits for the other coordinator's RESULT.
            resetCall = r.call
            resetAddresses = (r.groupAddress, r.groupAllAddress)
        }
        phase = .cohort(coordinator: c, retrials: configuration.aliveRetrials, heard: true)
        catchUp = nil
        resetDeadline = now + configuration.resetTimeout
    }

    /// VOTE, at the coordinator while it counts.
    func voteArrived(_ h: GroupHeader) {
        guard let r = round, case .voting = r.stage else { return }
        let i = Int(h.sender.rawValue)
        guard slots[i].state != .unused else { return }
        heardFrom(h.sender)
        let v = Vote.value(h.sequence)
        if v == Vote.stop || v == Vote.abort {
            // The other member runs the reset; this call waits for it.
            becomeCohort(of: h.sender, keeping: r)
            return
        }
        slots[i].vote = v
        if h.expect <= SequenceNumber(UInt32(truncatingIfNeeded: max(v, 0))) { slots[i].expect = h.expect }
        if votingFinished { finishVoting() }
    }

    /// STATE during a reset: where a voter got to after a SYNC.
    func resetStateArrived(_ h: GroupHeader) {
        guard let r = round, case .updating = r.stage else { return }
        let i = Int(h.sender.rawValue)
        guard slots[i].state != .unused, slots[i].vote >= 0 else { return }
        heardFrom(h.sender)
        slots[i].vote = Int64(h.sequence.rawValue)
        if h.expect <= h.sequence { slots[i].expect = h.expect }
        if slots[i].vote == Int64(nextSequence.rawValue) { updateMembers() }
    }

    /// SYNC from the coordinator: report, or fetch what is missing from it.
    func resetSyncArrived(_ h: GroupHeader, coordinator c: MemberIndex) {
        heardFrom(c)
        if nextSequence >= h.sequence {
            lastReported = consumed
            let st = GroupHeader(type: .state, sender: me, incarnation: incarnation, sequence: nextSequence,
                                 expect: consumed)
            unicast(st.encoded(order: configuration.byteOrder), to: c)
        } else {
            let upTo = SequenceNumber(h.sequence.rawValue &- 1)
            catchUp = (c, upTo)
            lastRetransmitAsk = nil
            askForRetransmission(from: c, upTo: upTo)
        }
    }

    /// RETRANS during a reset, from the coordinator collecting or a cohort
    /// catching up: answered from the history by whoever holds it.
    func resetRetransmitRequested(_ h: GroupHeader) {
        heardFrom(h.sender)
        if let e = history[h.sequence], e.accepted { resend(e, to: h.sender) }
    }

    /// RESULT at a cohort: the new group, once this member is where the
    /// coordinator is; numbered 0, the reset failed.
    func resultArrived(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder, coordinator c: MemberIndex) {
        heardFrom(c)
        if h.sequence.rawValue == 0 {
            unicast(GroupHeader(type: .resultAck, sender: me, incarnation: incarnation).encoded(order: configuration.byteOrder), to: c)
            phase = .resetNeeded
            resetDeadline = nil
            resetCall = nil
            catchUp = nil
            events.append(.resetFailed(.bcFail))
            return
        }
        if h.sequence > nextSequence {
            let upTo = SequenceNumber(h.sequence.rawValue &- 1)
            catchUp = (c, upTo)
            askForRetransmission(from: c, upTo: upTo)
            return
        }
        guard h.sequence == nextSequence else { return }
        var r = WireReader(m, from: GroupHeader.size, order: order)
        guard r.header() != nil, let body = ResultBody.decode(&r, maxGroup: slots.count),
              body.sequencer == c, body.states[Int(me.rawValue)] == .member else {
            statistics.malformed += 1
            return
        }
        for (i, s) in body.states.enumerated() {
            if s == .member {
                slots[i].state = .member
            } else {
                slots[i] = MemberSlot()
            }
        }
        incarnation = h.incarnation
        sequencer = body.sequencer
        groupAddress = body.groupAddress
        groupAllAddress = body.groupAllAddress
        makeRoom(for: h.sequence)
        history.store(HistoryEntry(header: h, payload: Array(m[GroupHeader.size...]), order: order))
        highestHeld = h.sequence
        phase = .member
        deliverInOrder()
        listenOnGroup()
        sendResultAck()
        resetDeadline = nil
        resetCall = nil
        resetAddresses = nil
        catchUp = nil
        startWatching()
        events.append(.reset(total: Int(body.total)))
        resume()
    }

    func sendResultAck() {
        let a = GroupHeader(type: .resultAck, sender: me, incarnation: incarnation, sequence: nextSequence,
                            expect: consumed)
        unicast(a.encoded(order: configuration.byteOrder), to: sequencer)
    }

    /// RESULTACK at the coordinator.
    func resultAcknowledged(_ h: GroupHeader) {
        guard let r = round, case .announcing = r.stage else { return }
        let i = Int(h.sender.rawValue)
        guard slots[i].state == .member else { return }
        heardFrom(h.sender)
        slots[i].vote = 0
        if others.allSatisfy({ slots[$0].vote != Vote.silent }) { finishReset() }
    }
}
