// Who moves the node, and when.
//
// The fast path is one thread alone: it makes its call, takes the driver's
// seat, polls the link and the node's next timer, feeds what arrived,
// finds its own outcome and returns. Nothing is handed between threads, so
// a transaction costs the wakeups of a frame ping-pong and no more.
//
// With several threads calling, one drives and the others sleep on the
// room. The driver wakes them only when it delivered an outcome or when it
// leaves the seat (its own outcome came), so a driver that turns without
// news does not stir anybody. A thread that starts a call while the driver
// sleeps in poll only nudges it (a pipe) when its call needs the node
// before that poll would end: a timer earlier than the driver's.
//
// Between calls the keeper, a thread that sleeps until the node's next
// timer (at most a second), drains the link and runs the timers if nobody
// is driving. It is never woken for a transaction, only by time.

import AmoebaCore
import AmunixDaemon
import FLIP
import Foundation
import Node
import RPC
#if canImport(Glibc)
import Glibc
#endif

extension ProcessEndpoint {
    /// Waits, driving the node when the seat is free, until `ticket` has
    /// its outcome. Called and returns with the room locked.
    func wait(for ticket: Ticket) -> Outcome {
        while true {
            if let o = outcomes.removeValue(forKey: ticket) { return o }
            if closed { return .reply(.failure(.rpcAborted)) }
            if driving {
                waiters += 1
                room.wait()
                waiters -= 1
                continue
            }
            let delivered = driveOneTurn()
            // Others need waking if their outcome came, or if the driver is
            // about to leave the seat (its own came) and someone must drive.
            if waiters > 0 && (delivered || outcomes[ticket] != nil) || closed { room.broadcast() }
        }
    }

    /// One turn in the driver's seat: poll the link (unlocked) until a
    /// frame, a nudge or the node's next timer, then feed the node and
    /// drain it. Returns whether any call got its outcome.
    private func driveOneTurn() -> Bool {
        driving = true
        defer { driving = false }
        let now = MonotonicClock.now
        var wait: Int64 = 1_000_000
        if let d = node.nextDeadline { wait = max(0, min(wait, d.microseconds - now.microseconds)) }
        pollingUntil = now + .microseconds(wait)
        room.unlock()
        var fds = (pollfd(fd: link.pollDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
        // Timers are in milliseconds: round up, so a deadline is never
        // polled for early and spun on.
        let woke = withUnsafeMutablePointer(to: &fds) {
            $0.withMemoryRebound(to: pollfd.self, capacity: 2) { poll($0, 2, Int32((wait + 999) / 1000)) }
        }
        room.lock()
        pollingUntil = nil
        if woke > 0 && fds.1.revents != 0 {
            var drained = (UInt64(0), UInt64(0))
            while withUnsafeMutableBytes(of: &drained, { read(wake, $0.baseAddress, $0.count) }) > 0 {}
        }
        return feed(now: MonotonicClock.now)
    }

    /// Drains the link into the node, runs what is due and takes the
    /// node's outputs. Returns whether any call got its outcome.
    @discardableResult
    func feed(now: Instant) -> Bool {
        let node = self.node, interface = self.interface
        link.receiveAll { frame in node.receive(frame: frame, on: interface, now: now) }
        node.tick(now: now)
        return pump(now: now)
    }

    /// Takes the node's outputs until it is quiet: frames go to the link
    /// (flushed together at the end), outcomes to their calls. Returns
    /// whether any call got its outcome, after waking the driver if the
    /// node now needs it sooner than its poll would end.
    @discardableResult
    func pump(now: Instant) -> Bool {
        var delivered = false
        while true {
            node.takeOutputs(into: &outputs)
            if outputs.isEmpty { break }
            for o in outputs {
                switch o {
                case .transmit(_, let frame):
                    link.send(frame)
                case .transactionCompleted(let ticket, let result):
                    outcomes[ticket] = .reply(result)
                    delivered = true
                case .requestArrived(let ticket, let slot, let request):
                    outcomes[ticket] = .request(slot, request)
                    delivered = true
                case .upperLayerReady:
                    break
                }
            }
        }
        link.flush()
        if let until = pollingUntil, let d = node.nextDeadline, d < until { nudge() }
        if delivered && waiters > 0 && !driving { room.broadcast() }
        return delivered
    }

    /// Cuts the driver's poll short.
    func nudge() {
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
    }

    /// The keeper's life: sleep until the node's next timer (at most a
    /// second), and run it if no call is driving.
    func keep() {
        room.lock()
        while !closed {
            let now = MonotonicClock.now
            var sleep: Int64 = 1_000_000
            if let d = node.nextDeadline { sleep = max(1000, min(sleep, d.microseconds - now.microseconds)) }
            _ = room.wait(until: Date(timeIntervalSinceNow: Double(sleep) / 1e6))
            if closed { break }
            if !driving {
                driving = true
                let delivered = feed(now: MonotonicClock.now)
                driving = false
                if waiters > 0 && delivered { room.broadcast() }
            }
        }
        room.unlock()
        keeperDone.signal()
    }
}
