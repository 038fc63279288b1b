// Who moves the node, and when.
//
// The fast path is one thread alone: it makes its call, takes the driver's
// seat, polls the link and the node's next timer, feeds what arrived,
// finds its own outcome and returns. Nothing is handed between threads, so
// a transaction costs the wakeups of a frame ping-pong and no more.
//
// With several threads calling, one drives and the others sleep in the
// room, each on a condition of its own (Amunix's WaitRoom): an outcome
// wakes the thread it is for and nobody else, and a driver leaving the
// seat (its own outcome came) wakes one waiter to take it, and keeps the
// seat for it. A thread that starts a call while the driver sleeps (on a
// pcap: link in a blocking receive on its socket, else polling the link
// and a pipe: AmunixDaemon's DriverSleep.swift) only nudges it, by a
// signal or through the pipe, when its call needs the node before that
// wait would end: a timer earlier than the driver's.
//
// A call that ends does not flush what its last turn queued (the ACK of
// its reply): the next call's first frames take it along, one system call
// and, on the server's side, one wakeup for both. Held frames wait at most
// `heldFrameDelay`, far below the 20 ms a server waits before resending a
// reply for want of its ACK: the keeper flushes them.
//
// Between calls the keeper, a thread that sleeps until the node's next
// timer (at most a second), drains the link and runs the timers if nobody
// is driving. While calls come and go it naps `heldFrameDelay` at a time;
// it is rung awake only when a call ends with frames held while it sleeps
// long, that is on the first call after a quiet spell, never in a stream;
// and so when a listener's thread leaves with a request while its other
// getreqs listen, so that requests behind it are taken within a nap.
//
// Within `heldFrameDelay` of a call's end or a putrep the keeper flushes
// and runs what timers are due, but leaves arrived frames to the next
// call. A server thread between its putrep and its next getreq has no
// slot listening: had the keeper taken the client's ACK and next request
// then, the ACK would end the port's last slot and the request would find
// none, and be refused with a NAK that costs the client a 50 ms back-off
// (one null transaction in 2,000 on rpc_bench, mean latency 3x the p50).

import AmoebaCore
import Amunix
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
            if let o = takeOutcome(ticket) {
                leaveServed(ticket)
                return o
            }
            if closed {
                room.leave(ticket)
                return .reply(.failure(.rpcAborted))
            }
            takeATurn(as: ticket) { $0.hasOutcome(ticket) }
        }
    }

    /// As `wait(for:)`, for the first of a pipeline's calls to end: the
    /// pipeline's thread waits under `waiter`. Nil once the endpoint closes.
    func waitForAnyCall(of waiter: Ticket) -> (ticket: Ticket, outcome: Outcome)? {
        while true {
            if let ended = takeOutcome(ofCallsOf: waiter) {
                // Calls started since the last turn send their frames now:
                // with outcomes waiting, the thread may not drive again
                // before the keeper's next nap.
                flush()
                leaveServed(waiter)
                return ended
            }
            if closed {
                room.leave(waiter)
                return nil
            }
            takeATurn(as: waiter) { $0.hasOutcome(ofCallsOf: waiter) }
        }
    }

    /// The thread waiting as `ticket` leaves with what it waited for.
    private func leaveServed(_ ticket: Ticket) {
        room.leave(ticket)
        // Handed the seat, but served before taking it: pass it on.
        if seatHandedTo == ticket { handOnTheSeat() }
        callEnded()
    }

    /// One turn of a thread still waiting as `ticket`: in the driver's seat
    /// if it is free, else asleep until an outcome or the seat comes.
    /// `served` says whether what it waits for has come.
    @inline(__always)
    private func takeATurn(as ticket: Ticket, served: (ProcessEndpoint) -> Bool) {
        if !mayDrive(ticket) {
            room.wait(for: ticket)
            if !served(self) && !closed && !mayDrive(ticket) { idleWakeups += 1 }
            return
        }
        seatHandedTo = nil
        driveOneTurn()
        // The turn woke those whose outcome came (`pump`). Leaving the
        // seat, the driver hands it on: to one waiter, or to all when
        // the endpoint closes (they leave, and `close` waits for it).
        if closed {
            room.wakeEveryone()
        } else if served(self) {
            handOnTheSeat()
        }
    }

    /// The seat is free, and not kept for a waiter woken to take it: a
    /// call coming in meanwhile (often the leaving driver's next one)
    /// would take it first and leave the woken thread nothing to do.
    private func mayDrive(_ ticket: Ticket) -> Bool {
        !driving && (seatHandedTo == nil || seatHandedTo == ticket)
    }

    /// Wakes one waiter still without its outcome to drive next, and
    /// keeps the seat for it. (`close` waits as ticket 0 and needs none.)
    private func handOnTheSeat() {
        seatHandedTo = room.wakeAnyone { $0 != 0 && !hasOutcome($0) }
    }

    /// One turn in the driver's seat: poll the link (unlocked) until a
    /// frame, a nudge or the node's next timer, then feed the node and
    /// drain it.
    private func driveOneTurn() {
        driving = true
        defer { driving = false }
        let deadline = node.nextDeadline
        flush()
        sleeper.willWait()
        // Read once the sleep is armed against signals (`willWait`): a
        // timer that fires after this read ends the wait; one that fired
        // before it lies at or before `now`, and the wait arms it again.
        // The wait takes this time rather than read the clock itself (a
        // clock read costs ~22 ns here, a few of them a transaction).
        let now = MonotonicClock.now
        // At most a second: a driver wakes now and then even with no timer.
        var until = now + .seconds(1)
        if let d = deadline, d < until { until = d }
        pollingUntil = until
        room.unlock()
        _ = sleeper.wait(until: until, now: now)
        room.lock()
        pollingUntil = nil
        let wasNudged = nudged
        nudged = false
        // The node's timers run only when one is due: asking each of its
        // machines costs more than the rest of a turn's bookkeeping, and
        // what the frames start is due later. (A call made meanwhile with
        // an earlier deadline nudged the poll; its turn runs the timers.)
        let after = MonotonicClock.now
        lastClockRead = after
        feed(now: after, runningTimers: deadline.map { $0 <= after } ?? false || wasNudged)
    }

    /// Drains the link into the node (unless not `receiving`: the keeper
    /// between calls), runs what is due and takes the node's outputs.
    func feed(now: Instant, runningTimers: Bool = true, receiving: Bool = true) {
        let node = self.node, interface = self.interface
        if receiving { link.receiveAll { frame in node.receive(frame: frame, on: interface, now: now) } }
        // Without timers to run, `pump` still routes what arrived.
        if runningTimers { node.tick(now: now) }
        pump()
    }

    /// Takes the node's outputs until it is quiet: frames are queued on
    /// the link (held until `flush`), outcomes go to their calls, whose
    /// threads are woken; then the driver is woken if the node now needs
    /// it sooner than its poll would end.
    func pump() {
        // Each output is moved out of the node and consumed: its frame or
        // message goes on with no copy.
        while node.drainOutputs({ (o: consuming NodeOutput<Ticket>) in
            switch consume o {
            case .transmit(_, let frame):
                link.send(frame)
                // Copied as it was queued: the storage may carry the
                // node's next fragment.
                node.recycle(frame: consume frame)
                held = true
            case .transactionCompleted(let ticket, let result):
                outcomes.append((ticket, .reply(result)))
                room.wake(waiter(of: ticket))
            case .requestArrived(let ticket, let slot, let request):
                outcomes.append((ticket, .request(slot, request)))
                room.wake(waiter(of: ticket))
            case .upperLayerReady:
                break
            }
        }) > 0 {}
        if !nudged, let until = pollingUntil, let d = node.nextDeadline, d < until { nudge() }
    }

    /// The ticket whose thread waits for `ticket`'s outcome: a pipeline's
    /// or listener's for its calls and getreqs, else the ticket's own.
    @inline(__always)
    func waiter(of ticket: Ticket) -> Ticket {
        pipelined.isEmpty ? ticket : pipelined[ticket] ?? ticket
    }

    func takeOutcome(_ ticket: Ticket) -> Outcome? {
        guard let i = outcomes.firstIndex(where: { $0.ticket == ticket }) else { return nil }
        // Each ticket has one outcome at most, so their order is nobody's:
        // the last takes the place of the one taken, nothing shifts.
        let last = outcomes.count - 1
        if i != last { outcomes.swapAt(i, last) }
        return outcomes.removeLast().outcome
    }

    func hasOutcome(_ ticket: Ticket) -> Bool {
        outcomes.contains { $0.ticket == ticket }
    }

    /// The first outcome of a call of the pipeline waiting as `waiter`,
    /// taken, and its call's ticket.
    func takeOutcome(ofCallsOf waiter: Ticket) -> (ticket: Ticket, outcome: Outcome)? {
        guard let i = outcomes.firstIndex(where: { pipelined[$0.ticket] == waiter }) else { return nil }
        let ended = outcomes.remove(at: i)
        pipelined[ended.ticket] = nil
        return ended
    }

    func hasOutcome(ofCallsOf waiter: Ticket) -> Bool {
        outcomes.contains { pipelined[$0.ticket] == waiter }
    }

    /// Cuts the driver's wait short; under the room's lock, while it waits.
    func nudge() {
        nudged = true
        sleeper.nudge()
    }

    /// Puts the held frames on the link.
    func flush() {
        guard held else { return }
        held = false
        link.flush()
    }

    /// How long frames held by an ended call may wait for the next call.
    static let heldFrameDelay: Interval = .milliseconds(5)

    /// A call got its outcome: if the keeper sleeps past the held frames'
    /// delay, ring it when the call leaves frames held, or leaves a
    /// listener's other getreqs or a pipeline's other calls out while its
    /// thread is away (a server handling the request it took): until that
    /// thread waits again only the keeper reads the link, and after a
    /// quiet spell it sleeps a second. The time is the last the endpoint
    /// read, most often the turn that brought the outcome: a moment early
    /// at most, which only makes the keeper's checks a little more
    /// careful, and a clock read fewer per call.
    private func callEnded() {
        let now = lastClockRead
        lastCallEnded = now
        if (held || !pipelined.isEmpty) && keeperWakes > now + ProcessEndpoint.heldFrameDelay { ringKeeper() }
    }

    func ringKeeper() {
        keeperBell.lock()
        bellRung = true
        keeperBell.signal()
        keeperBell.unlock()
    }

    /// The keeper's life: nap until the node's next timer, at most a
    /// second, or `heldFrameDelay` while calls come and go; then, if no
    /// call is driving, flush what is held, drain the link, run the timers.
    func keep() {
        while true {
            room.lock()
            if closed {
                room.unlock()
                break
            }
            if !driving {
                // Under the room's lock throughout: `pump` wakes the
                // waiters whose outcome this brought.
                flush()
                let now = MonotonicClock.now
                lastClockRead = now
                feed(now: now, receiving: now - lastCallEnded >= ProcessEndpoint.heldFrameDelay)
                flush()
            }
            let now = MonotonicClock.now
            var nap: Int64 = 1_000_000
            if now - lastCallEnded < .seconds(1) { nap = ProcessEndpoint.heldFrameDelay.microseconds }
            if let d = node.nextDeadline { nap = max(1000, min(nap, d.microseconds - now.microseconds)) }
            keeperWakes = now + .microseconds(nap)
            room.unlock()
            keeperBell.lock()
            if !bellRung { _ = keeperBell.wait(until: Date(timeIntervalSinceNow: Double(nap) / 1e6)) }
            bellRung = false
            keeperBell.unlock()
        }
        keeperDone.signal()
    }
}
