// Liveness: noticing that a member (or the sequencer) is gone, so that a
// dead member stops the group for a reset instead of stalling it.
//
// Every message from a member counts as a sign of life. Each alive
// interval a member checks the ones it watches: the sequencer watches
// every member, the others watch only the sequencer (a quadratic number of
// checks otherwise). One that was not heard from since the last check
// loses a retrial and is asked with ALIVEREQ; at zero it is declared dead
// and the group switches to `.resetNeeded`. A member's request timing out
// costs the sequencer a retrial too, so a sender notices a dead sequencer
// within its retries. A program that ends without leaving makes its member
// multicast DEAD (`abandon`), which stops the others at once.

import AmoebaCore
import FLIP

/// ALIVEREQ's kind, in the header's seqno: answer from the member
/// endpoint (point to point) or to show one listens to the group.
enum AliveKind: UInt32 {
    case pointToPoint = 1
    case broadcast = 2
}

extension GroupMember {
    /// Starts the liveness checks with every member counted alive.
    func startWatching() {
        for i in slots.indices where slots[i].state != .unused {
            slots[i].retrial = configuration.aliveRetrials
            slots[i].replied = true
        }
        aliveDeadline = now + configuration.aliveInterval
    }

    /// A valid message from `member` of this incarnation.
    func heardFrom(_ member: MemberIndex) {
        let i = Int(member.rawValue)
        guard i < slots.count, slots[i].state != .unused, !slots[i].isDead else { return }
        slots[i].retrial = configuration.aliveRetrials
        slots[i].replied = true
        if case .cohort(let c, let retrials, _) = phase, c == member {
            phase = .cohort(coordinator: c, retrials: retrials, heard: true)
        }
    }

    /// The alive timer: count down the silent, ask them, declare the dead.
    func checkLiveness() {
        var asked: [MemberIndex] = []
        for i in slots.indices where slots[i].state != .unused && i != Int(me.rawValue) {
            let watched = isSequencer || i == Int(sequencer.rawValue)
            if watched && !slots[i].replied {
                slots[i].retrial -= 1
                if slots[i].retrial <= 0 {
                    if slots[i].state == .joining {
                        // A joiner that went away: its slot is free again.
                        slots[i] = MemberSlot()
                        continue
                    }
                    slots[i].retrial = -1
                    enterReset()
                    return
                }
                asked.append(MemberIndex(UInt16(i)))
            }
            slots[i].replied = false
        }
        guard !asked.isEmpty else { return }
        let h = GroupHeader(type: .aliveRequest, sender: me, incarnation: incarnation,
                            sequence: SequenceNumber(AliveKind.broadcast.rawValue), expect: consumed)
        let m = h.encoded(order: configuration.byteOrder)
        if asked.count == 1 || asked.count <= liveMembers.count / 4 {
            for a in asked { unicast(m, to: a) }
        } else {
            multicast(m)
        }
    }

    /// ALIVEREQ: answer, whatever state the group is in; except that a
    /// cohort's poll (point to point) is answered only by a member that
    /// runs a reset. Otherwise cohorts that each follow another (every
    /// coordinator having yielded to someone) would keep each other alive
    /// for ever; unanswered, the poller times out and coordinates itself.
    func aliveRequested(_ h: GroupHeader) {
        heardFrom(h.sender)
        if h.sequence.rawValue == AliveKind.pointToPoint.rawValue && round == nil { return }
        let a = GroupHeader(type: .alive, sender: me, incarnation: incarnation, expect: consumed)
        unicast(a.encoded(order: configuration.byteOrder), to: h.sender)
    }

    /// DEAD: the member's host says its program ended without leaving.
    func deadArrived(_ h: GroupHeader) {
        let i = Int(h.sender.rawValue)
        guard slots[i].state != .unused, h.sender != me else { return }
        slots[i].retrial = -1
        if isMember { enterReset() }
    }

    /// The owner of this member ended without leaving (a killed program):
    /// tell the group at once, as Amoeba's kernel does, and go silent.
    public func abandon(now time: Instant) {
        advance(time)
        switch phase {
        case .member, .resetNeeded, .coordinating, .cohort:
            let h = GroupHeader(type: .dead, sender: me, incarnation: incarnation)
            statistics.sent += 1
            box.multicast(h.encoded(order: configuration.byteOrder), from: endpoint,
                          to: isSequencer ? groupPublic : groupAllPublic, maxHop: box.configuration.maxHops, now: now)
        default:
            break
        }
        phase = .left
        requestDeadline = nil
        retransmitDeadline = nil
        syncDeadline = nil
        aliveDeadline = nil
        resetDeadline = nil
        outgoing.removeAll()
        box.leave(endpoint, group: groupPublic)
        box.leave(endpoint, group: groupAllPublic)
        box.unregister(endpoint)
    }
}
