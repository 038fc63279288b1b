// The sequencer's side: it gives every request the next number, keeps
// the history until every member has acknowledged it, answers
// retransmission requests, and answers joiners' locates.
//
// Method PB: a member unicasts BCASTREQ, the sequencer multicasts BCAST
// with the whole payload. Method BB: the member multicasts its BCASTREQ to
// the group-all address and the sequencer's BCAST only numbers it. With
// resilience r the number goes out first in a tentative BCASTREQ; members
// ranked up to r acknowledge, and a short BCAST makes it official. A
// retried request (a messid it has already ordered) is answered by sending
// that member its ordered message again, so a lost BCAST costs the sender
// one retry, not a reset.

import AmoebaCore
import FLIP

extension GroupMember {
    /// A joiner's LOCATE: reserve it a slot and tell it where the group is.
    func locateArrived(_ l: LocateBody, from source: FLIPAddress) {
        guard isSequencer, l.amoebaHeader.port == port, !l.memberAddress.isNull, l.memberAddress == source else { return }
        var index: Int?
        for (i, s) in slots.enumerated() where s.address == source && (s.state == .joining || s.state == .member) {
            index = i
            break
        }
        if index == nil {
            for (i, s) in slots.enumerated() where s.state == .unused {
                index = i
                break
            }
        }
        guard let i = index else { return }   // full: the joiner ends with BC_NOEXIST
        if slots[i].state == .unused {
            // Counted alive from here: liveness frees the slot of a joiner
            // that goes silent, not of one whose JOINREQ is still coming.
            slots[i] = MemberSlot(state: .joining, address: source, rpcAddress: l.rpcAddress, expect: nextSequence,
                                  retrial: configuration.aliveRetrials)
        } else {
            heardFrom(MemberIndex(UInt16(i)))
        }
        let h = GroupHeader(type: .hereIs, sender: me, incarnation: incarnation)
        var m = h.encoded(order: configuration.byteOrder)
        HereIsBody(maxGroup: UInt16(slots.count), logHistory: configuration.effectiveLogHistory,
                   logMessageSize: configuration.logMessageSize, resilience: resilience,
                   large: configuration.large, yourIndex: MemberIndex(UInt16(i)), sequencer: me,
                   groupAddress: groupAddress, groupAllAddress: groupAllAddress)
            .encode(into: &m, order: configuration.byteOrder)
        statistics.sent += 1
        box.unicast(m, from: endpoint, to: source, now: now)
    }

    /// BCASTREQ, JOINREQ or LEAVEREQ from a member.
    func requestArrived(_ h: GroupHeader, _ m: [UInt8], _ order: ByteOrder, from source: FLIPAddress) {
        let i = Int(h.sender.rawValue)
        guard slots[i].address == source else { return }
        switch (h.type, slots[i].state) {
        case (.joinRequest, .joining), (.joinRequest, .member), (.broadcastRequest, .member), (.leaveRequest, .member):
            break
        case (.leaveRequest, .unused), (.broadcastRequest, .unused):
            // Left already: its LEAVE was ordered; send it again below.
            guard h.messageID <= slots[i].lastMessageID else { return }
        default:
            return
        }
        acknowledged(i, h.expect)
        if h.messageID <= slots[i].lastMessageID {
            statistics.duplicates += 1
            if let s = slots[i].lastSequence, let e = history[s] {
                if e.accepted { resend(e, to: h.sender) } else { sendTentative(e) }
            }
            return
        }
        var out = h
        var payload: [UInt8]
        switch h.type {
        case .joinRequest:
            out.type = .join
            var r = WireReader(m, from: GroupHeader.size, order: order)
            guard let joinHeader = r.header() else { return }
            slots[i].state = .member
            slots[i].expect = nextSequence
            payload = joinHeader.encoded(order: configuration.byteOrder)
            joinBody(newMember: source).encode(into: &payload, order: configuration.byteOrder)
            if !self.order(out, payload: payload, order: configuration.byteOrder) {
                // History full: it stays a joiner and asks again.
                slots[i].state = .joining
            }
            return
        case .leaveRequest:
            out.type = .leave
        default:
            out.type = .broadcast
        }
        payload = Array(m[GroupHeader.size...])
        _ = self.order(out, payload: payload, order: order)
    }

    func joinBody(newMember: FLIPAddress) -> JoinBody {
        var rows: [MemberRow] = []
        for s in slots {
            rows.append(MemberRow(address: s.address, rpcAddress: s.rpcAddress,
                                  state: s.state == .joining ? .unused : s.state,
                                  expect: s.expect, messageID: s.lastMessageID))
        }
        return JoinBody(newMember: newMember, rows: rows, groupAllAddress: groupAllAddress,
                        total: UInt16(liveMembers.count), sequencer: me, nextSequence: nextSequence,
                        incarnation: incarnation, resilience: resilience, large: large)
    }

    /// Gives `h` the next number, keeps it, and multicasts it. False when
    /// the history is full: the request is dropped, its sender retries,
    /// and the members that hold the history back are asked where they are.
    @discardableResult
    func order(_ h: GroupHeader, payload: [UInt8], order: ByteOrder) -> Bool {
        trimHistory()
        if nextAssign.distance(from: history.low) >= history.capacity {
            statistics.historyFull += 1
            sync(full: true)
            return false
        }
        var out = h
        out.sequence = nextAssign
        nextAssign = nextAssign.next
        out.incarnation = incarnation
        out.expect = nextSequence
        let i = Int(h.sender.rawValue)
        slots[i].lastMessageID = h.messageID
        slots[i].lastSequence = out.sequence
        var entry = HistoryEntry(header: out, payload: payload, order: order)
        if out.sequence > highestHeld { highestHeld = out.sequence }
        if syncDeadline == nil { syncDeadline = now + configuration.syncInterval }
        if h.type == .broadcast && effectiveResilience > 0 {
            // Joins and leaves are made official at once (see the report:
            // the joiner cannot take part in acknowledging its own join).
            entry.accepted = false
            entry.acknowledgementsNeeded = effectiveResilience
            history.store(entry)
            sendTentative(entry)
            return true
        }
        history.store(entry)
        var m = out.encoded(order: order)
        if isBB(entry) { statistics.announcedBB += 1 } else { m += payload }
        multicast(m)
        deliverInOrder()
        return true
    }

    /// Multicasts a message that has its number but waits for
    /// acknowledgements: as BCASTREQ, carrying the number, in full.
    func sendTentative(_ e: HistoryEntry) {
        var h = e.header
        h.type = .broadcastRequest
        var m = h.encoded(order: e.order)
        if !isBB(e) { m += e.payload }
        multicast(m)
    }

    /// Whether the members got this message's body from its sender (method
    /// BB), so that the sequencer announces only its number. Its own
    /// messages, joins and leaves always go in full (method PB).
    func isBB(_ e: HistoryEntry) -> Bool {
        e.header.type == .broadcast && e.header.sender != me && UInt32(clamping: e.payload.count) >= large
    }

    /// BC_ACK: a member holds a tentative message. Once enough members do,
    /// it becomes official: the short BCAST tells the members, and every
    /// message up to the next one still waiting is delivered here.
    func acknowledgementArrived(_ h: GroupHeader) {
        let i = Int(h.sender.rawValue)
        guard slots[i].state == .member, h.sender != me, var e = history[h.sequence], !e.accepted,
              e.header.messageID == h.messageID else { return }
        statistics.acknowledgementsReceived += 1
        acknowledged(i, h.expect)
        if !e.acknowledgedBy.contains(h.sender) { e.acknowledgedBy.append(h.sender) }
        if e.acknowledgedBy.count >= min(e.acknowledgementsNeeded, effectiveResilience) {
            e.accepted = true
            e.acknowledgedBy = []
            multicast(e.header.encoded(order: configuration.byteOrder))
        }
        history.store(e)
        deliverInOrder()
    }

    func resend(_ e: HistoryEntry, to member: MemberIndex) {
        var m = e.header.encoded(order: e.order)
        m += e.payload
        statistics.retransmissionsAnswered += 1
        unicast(m, to: member)
    }

    /// A member's `expect`: everything below it has reached it.
    func acknowledged(_ i: Int, _ expect: SequenceNumber) {
        guard slots[i].state == .member, expect <= nextSequence, slots[i].expect < expect else { return }
        slots[i].expect = expect
    }

    /// Forgets what every live member has acknowledged.
    func trimHistory() {
        var low = consumed
        for (i, s) in slots.enumerated() where s.state == .member && i != Int(me.rawValue) {
            if s.expect < low { low = s.expect }
        }
        if history.low < low { history.trim(below: low) }
    }

    func retransmitRequested(_ h: GroupHeader, from source: FLIPAddress) {
        let i = Int(h.sender.rawValue)
        guard slots[i].address == source, slots[i].state != .unused || slots[i].lastSequence != nil else { return }
        acknowledged(i, h.expect)
        let s = max(h.sequence, slots[i].state == .member ? slots[i].expect : h.sequence)
        if let e = history[s], e.accepted { resend(e, to: h.sender) }
    }

    func stateArrived(_ h: GroupHeader) {
        acknowledged(Int(h.sender.rawValue), h.expect)
        trimHistory()
    }

    /// SYNC to the group naming the members that must answer: on the timer,
    /// those behind; when the history is full, those holding it back.
    func sync(full: Bool) {
        var list: [UInt8] = []
        for (i, s) in slots.enumerated() where s.state == .member && i != Int(me.rawValue) {
            if full ? s.expect <= history.low : s.expect != nextSequence {
                GroupWire.put(UInt16(i), into: &list, configuration.byteOrder)
            }
        }
        if !full {
            // Tentative messages not acknowledged in a sync interval go out again.
            var s = nextSequence
            while s < nextAssign {
                if let e = history[s], !e.accepted { sendTentative(e) }
                s = s.next
            }
        }
        guard !list.isEmpty else { return }
        statistics.syncs += 1
        let h = GroupHeader(type: .sync, sender: me, incarnation: incarnation, sequence: nextSequence, expect: nextSequence)
        var m = h.encoded(order: configuration.byteOrder)
        m += list
        multicast(m)
    }
}
