// The server slots a kernel node keeps open in its node body for each port
// served here, so that the node answers locates for the port and takes in
// its requests from the network.
//
// The node's RPC table is shared by every port and by the transactions the
// node sends out, so opening a slot can be refused while it is full. A
// refusal that were only counted would leave the port a slot short for
// good, and a port refused every slot would never be reachable from the
// network again, though the table frees a moment later. So a refused slot
// is owed: the network thread retries what is owed on every turn, and at
// least every `retryInterval` while anything is owed, until it opens (as
// amunixd owes its host servers' listens). Owed slots open oldest first,
// so a busy port cannot starve one refused before it.
//
// The keeper is the policy only; `open` is the network thread's getreq on
// the node, answering whether the slot opened. A port that stopped being
// served says "opened" there: nothing is owed to it any more.
import AmoebaCore

public struct ServerSlotKeeper<Listener: AnyObject> {
    /// One entry per slot refused and not yet opened, oldest first.
    public private(set) var owed: [Listener] = []
    /// Every refusal, retries included (KSTAT's `slots refused`).
    public private(set) var refusals: UInt64 = 0
    /// How soon the network thread wakes to retry while a slot is owed,
    /// even with nothing else to do.
    public static var retryInterval: Interval { .milliseconds(100) }

    public init() {}

    /// Opens `count` slots for `listener`, after any slots owed before:
    /// those the node refuses are owed.
    public mutating func open(_ count: Int, for listener: Listener, with open: (Listener) -> Bool) {
        guard count > 0 else { return }
        guard owed.isEmpty else {
            for _ in 0..<count { owed.append(listener) }
            retry(with: open)
            return
        }
        // Nothing owed before (nearly always: every reply re-opens a slot
        // here): opened in place, and only what the node refuses joins the
        // list, instead of every slot passing through it.
        var left = count
        while left > 0, open(listener) { left -= 1 }
        guard left > 0 else { return }
        refusals &+= 1
        for _ in 0..<left { owed.append(listener) }
    }

    /// Opens the owed slots, oldest first, until the node refuses one.
    public mutating func retry(with open: (Listener) -> Bool) {
        var opened = 0
        while opened < owed.count {
            guard open(owed[opened]) else {
                refusals &+= 1
                break
            }
            opened += 1
        }
        if opened > 0 { owed.removeFirst(opened) }
    }

    /// `listener` is served no more: nothing is owed to it.
    public mutating func forget(_ listener: Listener) {
        owed.removeAll { $0 === listener }
    }

    /// When the network thread must wake to retry, given the time now.
    public func retryDeadline(now: Instant) -> Instant? {
        owed.isEmpty ? nil : now + Self.retryInterval
    }

    /// Slots owed to `listener`.
    public func owedCount(to listener: Listener) -> Int {
        owed.reduce(0) { $0 + ($1 === listener ? 1 : 0) }
    }
}
