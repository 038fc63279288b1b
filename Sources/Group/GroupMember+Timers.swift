// Time in a group member: locate rounds while joining, the retry of the
// request in flight, the retransmission requests for a gap, and the
// sequencer's periodic sync that finds members who missed the last
// messages (no later message would show them the gap).

import AmoebaCore

extension GroupMember {
    public var nextDeadline: Instant? {
        earliest(earliest(requestDeadline, earliest(retransmitDeadline, syncDeadline)), earliest(aliveDeadline, resetDeadline))
    }

    /// Whether events wait to be collected.
    public var hasOutputs: Bool { !events.isEmpty || unreadCount > 0 }

    public func tick(now time: Instant) {
        advance(time)
        if let d = requestDeadline, d <= now {
            requestDeadline = nil
            if case .locating(let hops, let retrials, let interval) = phase {
                nextLocateRound(hops: hops, retrials: retrials, interval: interval)
            } else if isMember || isJoining {
                transmitHead()
            }
        }
        if let d = retransmitDeadline, d <= now {
            retransmitDeadline = nil
            if let c = catchUp, nextSequence <= c.upTo {
                askForRetransmission(from: c.from, upTo: c.upTo)
            } else if isMember && !isSequencer && hasHeldAbove {
                askForRetransmission()
            }
        }
        if let d = syncDeadline, d <= now {
            syncDeadline = nil
            if isSequencer {
                sync(full: false)
                syncDeadline = now + configuration.syncInterval
            }
        }
        if let d = aliveDeadline, d <= now {
            aliveDeadline = nil
            if isMember {
                checkLiveness()
                if isMember { aliveDeadline = now + configuration.aliveInterval }
            }
        }
        if let d = resetDeadline, d <= now {
            resetDeadline = nil
            resetRoundTimedOut()
        }
    }

    var isJoining: Bool { if case .joining = phase { return true } else { return false } }

    /// Hop counts 0, 1, ... up to the maximum a round apart; then the wait
    /// doubles, and after `locateRetrials` such rounds the group does not exist.
    func nextLocateRound(hops: UInt16, retrials: Int, interval: Interval) {
        if hops < configuration.locateMaxHops {
            phase = .locating(hops: hops + 1, retrials: retrials, interval: interval)
            sendLocate(hops: hops + 1)
            requestDeadline = now + interval
            return
        }
        guard retrials < configuration.locateRetrials else {
            joinFailed(.bcNoExist)
            return
        }
        let longer = interval * 2
        phase = .locating(hops: hops, retrials: retrials + 1, interval: longer)
        sendLocate(hops: hops)
        requestDeadline = now + longer
    }
}
