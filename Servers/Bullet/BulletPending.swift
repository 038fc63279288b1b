// Uncommitted files are memory a client holds on the server without
// paying for it: a client that creates files and never commits them (or
// dies halfway through a put) must not make the server grow for good.
//
// So their number and total size are bounded, and each expires when no
// request has touched it for a while. Past a bound, the file left alone
// longest goes first: a put in progress touches its file with every piece,
// so it is the abandoned ones that go. A file dropped this way simply is no
// more; its next MODIFY gets STD_CAPBAD, and the client starts over.

import AmoebaCore

public struct PendingLimits: Sendable {
    /// Uncommitted files kept at once.
    public var files = 1024
    /// Bytes in them together.
    public var bytes = 512 << 20
    /// Seconds an untouched uncommitted file lives.
    public var lifetime: Int64 = 600
    /// Bytes of MODIFYs one file may hold ahead of a gap: a client with
    /// several writes in flight sends at most a few dozen pieces ahead.
    public var earlyBytes = 4 << 20

    public init() {}
}

extension BulletServer {
    /// The request just handled named object `n`: if it is uncommitted, it
    /// is in use.
    func notePendingUse(_ n: UInt32) {
        guard pending[n] != nil else { return }
        requests += 1
        pending[n]!.lastUse = requests
        pending[n]!.changedAt = clock()
    }

    /// Drops expired uncommitted files, then the longest untouched ones
    /// until the bounds hold.
    func trimPending() {
        guard !pending.isEmpty else { return }
        let now = clock()
        if now - lastExpiry >= 1 {
            lastExpiry = now
            let limit = pendingLimits.lifetime
            for (n, f) in pending where now - f.changedAt > limit { dropPending(n) }
        }
        var bytes = 0
        for f in pending.values { bytes += f.memoryBytes }
        guard pending.count > pendingLimits.files || bytes > pendingLimits.bytes else { return }
        let oldestFirst = pending.sorted { $0.value.lastUse < $1.value.lastUse }
        var count = pending.count
        for (n, f) in oldestFirst where count > pendingLimits.files || bytes > pendingLimits.bytes {
            dropPending(n)
            count -= 1
            bytes -= f.memoryBytes
        }
    }

    /// Uncommitted files held, and their bytes.
    public var pendingUsage: (files: Int, bytes: Int) {
        (pending.count, pending.values.reduce(0) { $0 + $1.memoryBytes })
    }
}
