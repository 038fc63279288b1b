// The history buffer: ordered messages by sequence number, in a ring of
// 2^logHistory slots.
//
// The sequencer keeps every message some member may still ask for (from
// the lowest `expect` any member reported up to the next number it
// assigns) and refuses new requests while the ring is full; that is the
// group's flow control. A member uses the same ring to hold messages that
// overtook a lost one, until the gap is filled.

import AmoebaCore

struct HistoryEntry {
    /// As it will be sent again: type BCAST, JOIN or LEAVE, with its number.
    var header: GroupHeader
    /// Everything after the group header, in `order`.
    var payload: [UInt8]
    var order: ByteOrder
    /// False while the sequencer waits for resilience acknowledgements:
    /// the number is given but the message may not be delivered yet.
    var accepted = true
    /// Sequencer: the members that acknowledged a tentative message.
    var acknowledgedBy: [MemberIndex] = []
    /// Sequencer: how many acknowledgements it needs, fixed when it got its
    /// number, so that a member joining meanwhile (who never sees it) does
    /// not raise the bar.
    var acknowledgementsNeeded = 0
}

struct History {
    private var slots: [HistoryEntry?]
    /// The lowest number still held (older ones may be overwritten).
    var low: SequenceNumber

    init(size: Int, low: SequenceNumber = .first) {
        slots = [HistoryEntry?](repeating: nil, count: max(1, size))
        self.low = low
    }

    var capacity: Int { slots.count }

    private func slot(_ s: SequenceNumber) -> Int { Int(s.rawValue % UInt32(slots.count)) }

    /// Whether `s` fits the window that starts at `low`.
    func fits(_ s: SequenceNumber) -> Bool {
        s >= low && s.distance(from: low) < slots.count
    }

    subscript(_ s: SequenceNumber) -> HistoryEntry? {
        guard fits(s), let e = slots[slot(s)], e.header.sequence == s else { return nil }
        return e
    }

    /// Stores `entry` at its number, if the window has room for it.
    @discardableResult
    mutating func store(_ entry: HistoryEntry) -> Bool {
        guard fits(entry.header.sequence) else { return false }
        slots[slot(entry.header.sequence)] = entry
        return true
    }

    /// Forgets everything below `s`.
    mutating func trim(below s: SequenceNumber) {
        if s.distance(from: low) >= slots.count {
            reset(to: s)
            return
        }
        while low < s {
            if let e = slots[slot(low)], e.header.sequence == low { slots[slot(low)] = nil }
            low = low.next
        }
    }

    /// Forgets everything from `s` on: after a failure, numbers not yet
    /// delivered may be given again by the new sequencer.
    mutating func discard(from s: SequenceNumber) {
        for i in slots.indices {
            if let e = slots[i], e.header.sequence >= s { slots[i] = nil }
        }
    }

    /// Starts afresh at `s` (a joiner's first number).
    mutating func reset(to s: SequenceNumber) {
        for i in slots.indices { slots[i] = nil }
        low = s
    }
}
