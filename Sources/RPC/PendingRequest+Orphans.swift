// Requests queued for a port whose last server slot went away.
//
// A request that finds every slot of its port busy waits for the next
// getreq, and meanwhile the server answers the client's probes as if it
// were serving it. If the port's last slot goes (withdrawn, or its reply
// done) and no getreq follows, nothing would ever take the request, and
// the client, told all along that the server lives, would wait forever.
// So such a request gets a grace period (serveTimeout) for a getreq to
// come, and then FAIL, which ends the client's transaction at once.

import AmoebaCore
import FLIP

extension RPCNode {
    /// A slot for `putPort` is gone; if it was the last, the requests
    /// queued for the port start their grace period.
    // The test inlined, the walk apart: nearly always nothing is queued,
    // and a call to find that out cost more than the test.
    @inline(__always)
    func slotLeft(_ putPort: Port, now: Instant) {
        if !pending.isEmpty { orphanRequests(of: putPort, now: now) }
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
        for p in pending { if let t = p.orphanedAt { d = earliest(d, t + configuration.serveTimeout) } }
        return d
    }

    /// Fails the orphaned requests whose grace has ended.
    func failOrphans(now: Instant) {
        var kept: [PendingRequest] = []
        for p in pending {
            guard let t = p.orphanedAt, t + configuration.serveTimeout <= now else {
                kept.append(p)
                continue
            }
            counters.orphansFailed += 1
            orphans -= 1
            serving.remove(p.client.address, slot: p.client.slot, tid: p.client.tid)
            sendControl(.fail, tid: p.client.tid, dest: p.client.slot, from: 0, to: p.client.address, now: now)
        }
        if kept.count != pending.count { pending = kept }
    }
}
