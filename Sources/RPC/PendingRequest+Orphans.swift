// Requests queued for a port whose last server slot went away.
//
// A request that finds every slot of its port busy waits for the next
// getreq, and meanwhile the server answers the client's probes as if it
// were serving it. If the port's last slot goes (withdrawn, or its reply
// done) and no getreq follows, nothing would ever take the request, and
// the client, told all along that the server lives, would wait forever.
// So such a request gets a grace period (serveTimeout) for a getreq to
// come, and then FAIL, which ends the client's transaction at once.
//
// A request that comes just after its port's last slot went is held the
// same way, briefly. A server thread between its putrep and its next
// getreq has no slot: its client's ACK ends the last one, and a request
// right behind it (the next call, often in the same turn) found none and
// was NAKed, which costs the client a back-off of 50 ms. Amoeba NAKs it
// too, but its servers keep threads waiting; ours often have one. Held
// for `betweenGetreqsGrace`, it goes to the next getreq; if none comes it
// is NAKed then, as it would have been, and only then: so it enters the
// ledger when a slot takes it, and a resend after the NAK is new.

import AmoebaCore
import FLIP

extension RPCNode {
    /// A slot for `putPort` is gone; if it was the last, the requests
    /// queued for the port start their grace period.
    // The test inlined, the walk apart: nearly always nothing is queued,
    // and a call to find that out cost more than the test.
    @inline(__always)
    func slotLeft(_ putPort: Port, now: Instant) {
        lastSlotLeft = (putPort, now)
        if !pending.isEmpty { orphanRequests(of: putPort, now: now) }
    }

    /// Whether the last slot to go was of `putPort`, within the grace: a
    /// request for it then is held, not NAKed (the caller knows the port
    /// has no slot now).
    func portJustLeft(_ putPort: Port, now: Instant) -> Bool {
        lastSlotLeft.port == putPort && now - lastSlotLeft.at <= configuration.betweenGetreqsGrace
    }

    /// Queues `request` between its port's slots: orphaned at once, with
    /// the short grace, not recorded in the ledger until a slot takes it.
    func hold(_ request: consuming PendingRequest, now: Instant) {
        request.orphanedAt = now
        request.heldSince = now
        serving.set(request.client.address, slot: request.client.slot, tid: request.client.tid, state: 0)
        pending.append(request)
        orphans += 1
    }

    /// How long a queued request may wait once orphaned.
    private func grace(_ p: PendingRequest) -> Interval {
        p.heldSince == nil ? configuration.serveTimeout : configuration.betweenGetreqsGrace
    }

    @inline(never)
    private func orphanRequests(of putPort: Port, now: Instant) {
        guard !hasSlots(for: putPort) else { return }
        for i in pending.indices where pending[i].putPort == putPort && pending[i].orphanedAt == nil {
            pending[i].orphanedAt = now
            orphans += 1
        }
    }

    /// A slot for `putPort` appeared: its queued requests will be taken.
    @inline(__always)
    func slotCame(_ putPort: Port) {
        if orphans > 0 { adoptOrphans(of: putPort) }
    }

    @inline(never)
    private func adoptOrphans(of putPort: Port) {
        for i in pending.indices where pending[i].putPort == putPort && pending[i].orphanedAt != nil {
            pending[i].orphanedAt = nil
            orphans -= 1
        }
    }

    /// When the first orphaned request's grace ends.
    var orphanDeadline: Instant? {
        var d: Instant?
        for p in pending { if let t = p.orphanedAt { d = earliest(d, t + grace(p)) } }
        return d
    }

    /// Fails the orphaned requests whose grace has ended; NAKs those held
    /// between slots (the client backs off and resends, or looks elsewhere).
    func failOrphans(now: Instant) {
        var kept: [PendingRequest] = []
        for p in pending {
            guard let t = p.orphanedAt, t + grace(p) <= now else {
                kept.append(p)
                continue
            }
            orphans -= 1
            serving.remove(p.client.address, slot: p.client.slot, tid: p.client.tid)
            if p.heldSince != nil {
                sendControl(.nak, tid: p.client.tid, dest: p.client.slot, from: 0, to: p.client.address, now: now)
            } else {
                counters.orphansFailed += 1
                sendControl(.fail, tid: p.client.tid, dest: p.client.slot, from: 0, to: p.client.address, now: now)
            }
        }
        if kept.count != pending.count { pending = kept }
    }
}
