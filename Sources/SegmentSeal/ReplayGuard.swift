// Which sealed datagrams a receiver has already taken, so that a recorded
// one sent again is refused (the seal alone would open it again).
//
// Every sender numbers its datagrams with a counter that follows its clock
// in microseconds (SegmentSeal.swift). A receiver refuses any counter more
// than `maximumAge` behind its own clock or `maximumLead` ahead of it, and
// remembers per sender the highest counter taken and which of the
// `windowSize` counters below it were taken too (a bitmap, so a datagram
// overtaken by a later one is still taken once). What is older than the
// window is refused: on a wire that rarely reorders, that is a loss, which
// the RPC layer recovers from.
//
// Only datagrams whose tag was right reach this table, so only key holders
// add senders; it is bounded all the same (`capacity`, the least recently
// heard forgotten first). A forgotten sender might still have datagrams
// young enough to pass the clock check, so forgetting one raises a floor
// that every sender not in the table must be above. The floor starts at
// the receiver's own start (less the counter's lag, SegmentSeal.swift): a
// datagram sealed before it started was never meant for it, and so a
// restarted daemon takes no replay of its past.

public struct ReplayGuard: Sendable {
    public static let windowSize = 128
    /// Microseconds a counter may lag behind the receiver's clock.
    public static let maximumAge: UInt64 = 30_000_000
    /// Microseconds a counter may run ahead of the receiver's clock.
    public static let maximumLead: UInt64 = 30_000_000
    public static let defaultCapacity = 256

    public enum Verdict: Equatable, Sendable {
        case fresh
        case replayed
        case tooOld
        case tooFarAhead
    }

    struct Sender: Sendable {
        var highest: UInt64
        /// Bit i: counter highest - i was taken (bit 0 is highest itself).
        var low: UInt64
        var high: UInt64
        var lastHeard: UInt64
    }

    public let capacity: Int
    private var senders: [UInt32: Sender] = [:]
    /// Counters at or below this are refused from senders not in the table.
    public private(set) var floor: UInt64
    public private(set) var forgotten = 0
    public var senderCount: Int { senders.count }

    /// A receiver that refuses, from senders it has not heard, counters at
    /// or below `floor` (what a sender numbers datagrams sent before the
    /// receiver started with: microseconds on the wall clock).
    public init(floor: UInt64, capacity: Int = ReplayGuard.defaultCapacity) {
        precondition(capacity > 0, "a replay guard remembers at least one sender")
        self.capacity = capacity
        self.floor = floor
    }

    /// Whether `counter` from `sender` is new; if so it is recorded.
    public mutating func admit(sender id: UInt32, counter: UInt64, now: UInt64) -> Verdict {
        if now > ReplayGuard.maximumAge && counter < now - ReplayGuard.maximumAge { return .tooOld }
        if now < UInt64.max - ReplayGuard.maximumLead && counter > now + ReplayGuard.maximumLead { return .tooFarAhead }
        if var s = senders[id] {
            let verdict = s.take(counter)
            if verdict == .fresh {
                s.lastHeard = now
                senders[id] = s
            }
            return verdict
        }
        guard counter > floor else { return .replayed }
        if senders.count >= capacity { forgetLeastRecent(now: now) }
        senders[id] = Sender(highest: counter, low: 1, high: 0, lastHeard: now)
        return .fresh
    }

    private mutating func forgetLeastRecent(now: UInt64) {
        var oldest: (id: UInt32, sender: Sender)?
        for (id, s) in senders where oldest == nil || s.lastHeard < oldest!.sender.lastHeard {
            oldest = (id, s)
        }
        guard let (id, s) = oldest else { return }
        senders[id] = nil
        forgotten += 1
        // Its datagrams up to `highest` could still pass the clock check.
        if s.highest > floor { floor = s.highest }
    }
}

extension ReplayGuard.Sender {
    mutating func take(_ counter: UInt64) -> ReplayGuard.Verdict {
        if counter > highest {
            let shift = counter - highest
            if shift >= UInt64(ReplayGuard.windowSize) {
                (low, high) = (0, 0)
            } else if shift >= 64 {
                (high, low) = (low &<< (shift - 64), 0)
            } else {
                high = high &<< shift | low &>> (64 - shift)
                low = low &<< shift
            }
            low |= 1
            highest = counter
            return .fresh
        }
        let back = highest - counter
        guard back < UInt64(ReplayGuard.windowSize) else { return .replayed }
        if back < 64 {
            let bit: UInt64 = 1 &<< back
            if low & bit != 0 { return .replayed }
            low |= bit
        } else {
            let bit: UInt64 = 1 &<< (back - 64)
            if high & bit != 0 { return .replayed }
            high |= bit
        }
        return .fresh
    }
}
