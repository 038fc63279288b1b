// A member's side of the protocol: what arrives from the sequencer and
// from joiners, and delivery in order.
//
// Everything here reads network input, so a message that does not decode,
// comes from a slot that cannot exist or belongs to another incarnation is
// counted and dropped; nothing traps.

import AmoebaCore
import FLIP

extension GroupMember {
    /// A FLIP event from the box. Only deliveries to this member's endpoint
    /// count; undeliverable reports are left to the retry timers.
    public func handle(_ event: FLIPEvent, now time: Instant) {
        advance(time)
        guard case .deliver(let d) = event, d.endpoint == endpoint else { return }
        statistics.received += 1
        // Group messages are read from an array indexed from 0: made once.
        let message = d.message
        if d.destination.isNull {
            if let l = LocateBody.decode(message) { locateArrived(l, from: d.source) }
            return
        }
        guard let (h, order) = try? GroupHeader.decode(message) else {
            statistics.malformed += 1
            return
        }
        guard Int(h.sender.rawValue) < slots.count else {
            statistics.malformed += 1
            return
        }
        switch phase {
        case .locating:
            if h.type == .hereIs { hereIsArrived(h, message, order, from: d.source) }
            return
        case .joining:
            if h.type == .join, h.sender == me { ordered(h, message, order) }
            return
        case .left, .failed:
            return
        case .resetNeeded, .coordinating, .cohort:
            handleDuringReset(h, message, order)
            return
        case .member:
            break
        }
        guard h.incarnation == incarnation else {
            statistics.malformed += 1
            return
        }
        // A sign of life from whoever sent the frame: ordered messages
        // name their original sender, but come from the sequencer.
        if d.source == slots[Int(h.sender.rawValue)].address { heardFrom(h.sender) }
        if h.sender != sequencer && d.source == slots[Int(sequencer.rawValue)].address { heardFrom(sequencer) }
        switch h.type {
        case .broadcast, .join, .leave:
            // The sequencer makes these; one arriving at it is forged or stale.
            if !isSequencer { ordered(h, message, order) }
        case .broadcastRequest, .joinRequest, .leaveRequest:
            if isSequencer {
                requestArrived(h, message, order, from: d.source)
            } else if h.type == .broadcastRequest && h.sequence.rawValue != 0 {
                tentativeArrived(h, message, order)
            } else if h.type == .broadcastRequest && h.sender != me && message.count >= GroupHeader.size + Header.size {
                // Method BB: hold it until the sequencer gives it a number.
                buffered[Int(h.sender.rawValue)] = BufferedRequest(id: h.messageID, payload: Array(message[GroupHeader.size...]),
                                                                   order: order)
            }
        case .ack:
            if isSequencer { acknowledgementArrived(h) }
        case .retransmit:
            if isSequencer { retransmitRequested(h, from: d.source) }
        case .sync:
            if !isSequencer { syncArrived(h, message, order) }
        case .state:
            if isSequencer { stateArrived(h) }
        case .reformRequest:
            reformRequested(h)
        case .aliveRequest:
            aliveRequested(h)
        case .dead:
            deadArrived(h)
        case .result:
            // The RESULTACK was lost: the new sequencer sends it again.
            if h.sender == sequencer && h.sequence < nextSequence && h.sequence.rawValue != 0 { sendResultAck() }
        default:
            // ALIVE counted above; VOTE and RESULTACK come late, after
            // the reset they belonged to.
            break
        }
    }

    /// While the group is stopped only the reset's messages count, and
    /// ordered messages of the old incarnation sent point to point (the
    /// coordinator's collection, a cohort catching up). A RESULT carries
    /// the next incarnation.
    func handleDuringReset(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder) {
        guard h.incarnation == incarnation || (h.type == .result && h.incarnation.isAfter(incarnation)) else {
            statistics.malformed += 1
            return
        }
        var cohort = false
        if case .cohort = phase { cohort = true }
        switch h.type {
        case .broadcast, .join, .leave:
            if m.count > GroupHeader.size { ordered(h, m, order) }
        case .reformRequest:
            reformRequested(h)
        case .vote:
            voteArrived(h)
        case .sync:
            if cohort { resetSyncArrived(h, coordinator: h.sender) }
        case .state:
            resetStateArrived(h)
        case .retransmit:
            resetRetransmitRequested(h)
        case .result:
            if cohort { resultArrived(h, m, order, coordinator: h.sender) }
        case .resultAck:
            resultAcknowledged(h)
        case .aliveRequest:
            aliveRequested(h)
        case .alive:
            heardFrom(h.sender)
        case .dead:
            deadArrived(h)
        default:
            break
        }
    }

    // MARK: joining

    func hereIsArrived(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder, from source: FLIPAddress) {
        var r = WireReader(m, from: GroupHeader.size, order: order)
        // The group's sizes rule, not this member's configuration; bounded,
        // so that a forged HEREIS cannot make it allocate without limit.
        guard let body = HereIsBody.decode(&r), (2...GroupConfiguration.largestGroup).contains(body.maxGroup),
              (4...GroupConfiguration.largestLogHistory).contains(body.logHistory),
              body.yourIndex.rawValue < body.maxGroup, body.sequencer.rawValue < body.maxGroup,
              body.yourIndex != body.sequencer else {
            statistics.malformed += 1
            return
        }
        if Int(body.maxGroup) != slots.count {
            slots = [MemberSlot](repeating: MemberSlot(), count: Int(body.maxGroup))
            buffered = [BufferedRequest?](repeating: nil, count: Int(body.maxGroup))
        }
        if 1 << Int(body.logHistory) != history.capacity { history = History(size: 1 << Int(body.logHistory)) }
        me = body.yourIndex
        sequencer = body.sequencer
        large = body.large
        resilience = body.resilience
        incarnation = h.incarnation
        groupAddress = body.groupAddress
        groupAllAddress = body.groupAllAddress
        slots[Int(sequencer.rawValue)].address = source
        listenOnGroup()
        phase = .joining
        lastMessageID = lastMessageID.next
        outgoing.insert(PendingSend(id: lastMessageID, type: .joinRequest, header: joinHeader, data: [], retrials: 0), at: 0)
        transmitHead()
    }

    /// Locating ran out of rounds, or the JOINREQ out of retrials.
    func joinFailed(_ code: ErrorCode) {
        phase = .failed
        requestDeadline = nil
        outgoing.removeAll()
        box.unregister(endpoint)
        events.append(.joinFailed(code))
    }

    // MARK: ordered messages

    /// A BCAST, JOIN or LEAVE with its number, from the group address or
    /// sent again to this member alone.
    func ordered(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder) {
        let s = h.sequence
        if case .joining = phase {
            // Our own JOIN: the group starts here for us.
            var r = WireReader(m, from: GroupHeader.size, order: order)
            guard r.header() != nil, let body = JoinBody.decode(&r, maxGroup: slots.count),
                  body.sequencer.rawValue < UInt16(slots.count) else {
                statistics.malformed += 1
                return
            }
            for (i, row) in body.rows.enumerated() {
                slots[i] = MemberSlot(state: row.state, address: row.address, rpcAddress: row.rpcAddress,
                                      expect: row.expect, lastMessageID: row.messageID)
            }
            sequencer = body.sequencer
            incarnation = body.incarnation
            nextSequence = s
            highestHeld = SequenceNumber(0)
            history.reset(to: s)
            phase = .member
            startWatching()
            events.append(.joined(me))
        }
        guard s >= nextSequence else {
            statistics.duplicates += 1
            return
        }
        // Only numbers this member could hold count as a gap to fill.
        if s > highestHeld && admits(s) { highestHeld = s }
        if let e = history[s] {
            if !e.accepted && m.count == GroupHeader.size && e.header.messageID == h.messageID {
                // The short BCAST that makes a held tentative message official.
                var official = e
                official.accepted = true
                official.header = h
                history.store(official)
                deliverInOrder()
                // A gap below stays a gap until asked for: nothing else
                // (the next short BCAST neither) would show it.
                if hasHeldAbove && history[nextSequence]?.accepted != true { askForRetransmission() }
            } else if e.accepted || m.count == GroupHeader.size {
                statistics.duplicates += 1
                return
            }
        }
        if m.count == GroupHeader.size {
            guard history[s]?.accepted != true else { return }
            // Method BB: the body came earlier, to the group-all address.
            let i = Int(h.sender.rawValue)
            if let b = buffered[i], b.id == h.messageID {
                buffered[i] = nil
                makeRoom(for: s)
                if admits(s), history.store(HistoryEntry(header: h, payload: b.payload, order: b.order)) { deliverInOrder() }
            }
            // Accepted, but its body never reached us: ask for all of it.
            if hasHeldAbove && history[nextSequence]?.accepted != true { askForRetransmission() }
            return
        }
        // Room for what overtook a gap: nothing below the next delivery is
        // needed again by a member that is not the sequencer.
        if !isSequencer { makeRoom(for: s) }
        guard admits(s), history.store(HistoryEntry(header: h, payload: Array(m[GroupHeader.size...]), order: order)) else {
            return   // too far ahead: a sync or a later gap brings it back
        }
        deliverInOrder()
        if hasHeldAbove && history[nextSequence]?.accepted != true { askForRetransmission() }
    }

    /// Frees the oldest slots `s` needs, but no more: what a member has
    /// delivered stays while there is room, because a reset's coordinator
    /// may have to collect it from this member.
    func makeRoom(for s: SequenceNumber) {
        guard !history.fits(s), s >= history.low else { return }
        let needed = SequenceNumber(s.rawValue &- UInt32(history.capacity - 1))
        history.trim(below: min(needed, nextSequence))
    }

    /// Whether a member has room for `s`: what it holds, read or not, stays
    /// within one history of what its reader took, so a slow reader costs
    /// bounded memory; what it refuses comes back once it has read on.
    func admits(_ s: SequenceNumber) -> Bool {
        isSequencer || s.distance(from: consumed) < history.capacity
    }

    /// Whether something at or above `nextSequence` is known of: a message
    /// that overtook a gap, or a tentative one not yet made official.
    var hasHeldAbove: Bool { highestHeld >= nextSequence }

    /// With resilience: the sequencer's tentative message with its number.
    /// Hold it, and acknowledge it if this member is ranked to.
    func tentativeArrived(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder) {
        let s = h.sequence
        guard s >= nextSequence else { return }
        if history[s]?.accepted != true {
            var payload = Array(m[GroupHeader.size...])
            var payloadOrder = order
            if payload.isEmpty {
                // Method BB: the body is the request buffered for its sender.
                let i = Int(h.sender.rawValue)
                guard let b = buffered[i], b.id == h.messageID else { return }
                payload = b.payload
                payloadOrder = b.order
            }
            guard payload.count >= Header.size else { return }
            makeRoom(for: s)
            guard admits(s) else { return }
            var official = h
            official.type = .broadcast
            var e = HistoryEntry(header: official, payload: payload, order: payloadOrder)
            e.accepted = false
            guard history.store(e) else { return }
            if s > highestHeld { highestHeld = s }
        }
        if history[nextSequence] == nil { askForRetransmission() }
        if rank <= Int(resilience) {
            let ack = GroupHeader(type: .ack, sender: me, incarnation: incarnation, sequence: s,
                                  messageID: h.messageID, expect: consumed)
            statistics.acknowledgementsSent += 1
            unicast(ack.encoded(order: configuration.byteOrder), to: sequencer)
        }
    }

    /// Hands the user every message from `nextSequence` on that is here.
    func deliverInOrder() {
        while let e = history[nextSequence], e.accepted {
            let s = nextSequence
            nextSequence = s.next
            deliver(e)
        }
        if !hasHeldAbove && catchUp == nil { retransmitDeadline = nil }
        if catchUp != nil { resetProgress() }
    }

    func deliver(_ e: HistoryEntry) {
        let h = e.header
        var r = WireReader(e.payload, from: 0, order: e.order)
        let header = r.header() ?? Header()
        let i = Int(h.sender.rawValue)
        var kind = GroupDeliveryKind.message
        switch h.type {
        case .join:
            kind = .join
            if h.sender != me, !isSequencer, let body = JoinBody.decode(&r, maxGroup: slots.count) {
                // A fresh slot: nothing of a member that held it before.
                slots[i] = MemberSlot(state: .member, address: body.newMember, rpcAddress: body.rows[i].rpcAddress,
                                      expect: h.sequence, lastMessageID: h.messageID, lastSequence: h.sequence,
                                      retrial: configuration.aliveRetrials)
            }
            unread.append(GroupDelivery(sequence: h.sequence, kind: kind, sender: h.sender, header: header, data: []))
            if h.sender == me { completed(h.messageID, at: h.sequence) }
            return
        case .leave:
            kind = .leave
            slots[i].state = .unused
        case .result:
            // The table was taken from the RESULT when it was accepted.
            unread.append(GroupDelivery(sequence: h.sequence, kind: .reset, sender: h.sender, header: header, data: []))
            return
        default:
            break
        }
        if !isSequencer {
            // What a new sequencer needs to know retried requests by.
            slots[i].lastMessageID = h.messageID
            slots[i].lastSequence = h.sequence
        }
        let data = kind == .message ? r.rest() : []
        unread.append(GroupDelivery(sequence: h.sequence, kind: kind, sender: h.sender, header: header, data: data))
        if h.sender == me {
            completed(h.messageID, at: h.sequence)
            if kind == .leave { finishLeaving() }
        }
    }

    func finishLeaving() {
        phase = .left
        requestDeadline = nil
        retransmitDeadline = nil
        syncDeadline = nil
        outgoing.removeAll()
        box.leave(endpoint, group: groupPublic)
        box.leave(endpoint, group: groupAllPublic)
        box.unregister(endpoint)
        events.append(.left)
    }

    // MARK: recovery

    /// Asks the sequencer for the missing numbers from `nextSequence` on,
    /// a few at a time and not more often than RETRANSTIME.
    func askForRetransmission(from target: MemberIndex? = nil, upTo last: SequenceNumber? = nil) {
        if let t = lastRetransmitAsk, now < t + configuration.retransmitGap {
            retransmitDeadline = t + configuration.retransmitGap
            return
        }
        lastRetransmitAsk = now
        var asked = 0
        var s = nextSequence
        let limit = last ?? SequenceNumber(nextSequence.rawValue &+ UInt32(history.capacity))
        while s <= limit && asked < configuration.maxRetransmitPending && admits(s) {
            if history[s]?.accepted != true {
                let h = GroupHeader(type: .retransmit, sender: me, incarnation: incarnation, sequence: s, expect: consumed)
                unicast(h.encoded(order: configuration.byteOrder), to: target ?? catchUp?.from ?? sequencer)
                statistics.retransmitRequests += 1
                asked += 1
            }
            s = s.next
        }
        retransmitDeadline = now + configuration.retransmitGap
    }

    /// SYNC: the sequencer's next number in `sequence`, then the members
    /// that must answer.
    func syncArrived(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder) {
        var r = WireReader(m, from: GroupHeader.size, order: order)
        var named = false
        while !named, let v = r.u16() { named = v == me.rawValue }
        guard named else { return }
        if nextSequence >= h.sequence {
            sendState()
        } else {
            lastRetransmitAsk = nil
            askForRetransmission(upTo: SequenceNumber(h.sequence.rawValue &- 1))
        }
    }
}
