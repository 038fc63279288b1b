// Where servers are: put-port -> the FLIP address of a process listening on
// it and its protocol slot, learned from HEREIS replies to port locates.
// Bounded; the least recently used entry goes first. An entry is dropped
// when the server stops answering, so the next transaction locates afresh.

import AmoebaCore
import FLIP

struct ServerLocation: Equatable {
    var address: FLIPAddress
    var slot: UInt16
    /// The measured locate round trip, the base of the client's timers.
    var roundTrip: Interval
}

struct PortCache {
    private var entries: [Port: (location: ServerLocation, lastUsed: UInt64)] = [:]
    private var clock: UInt64 = 0
    private let capacity: Int
    /// The last port looked up, its location and when it was last used: a
    /// client calls one server again and again, and the look-up of the
    /// port per call (a SipHash, later an access to the dictionary's
    /// values and a uniqueness check of its storage to date the use) was
    /// most of a transaction's cost here. Its entry's `lastUsed` is
    /// brought up to date when another port takes its place; forgotten
    /// by every insertion or removal.
    private var recentPort = Port.null
    private var recentLocation: ServerLocation?
    private var recentUsedAt: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    // The last port's answer inlined, any other looked up apart.
    @inline(__always)
    mutating func lookup(_ port: Port) -> ServerLocation? {
        clock += 1
        if let location = recentLocation, port == recentPort {
            recentUsedAt = clock
            return location
        }
        return lookUpAnew(port)
    }

    @inline(never)
    private mutating func lookUpAnew(_ port: Port) -> ServerLocation? {
        forgetRecent()
        guard let e = entries[port] else { return nil }
        recentPort = port
        recentLocation = e.location
        recentUsedAt = clock
        return e.location
    }

    /// Dates the last port's entry by its last use and forgets it.
    private mutating func forgetRecent() {
        guard recentLocation != nil else { return }
        entries[recentPort]?.lastUsed = recentUsedAt
        recentLocation = nil
    }

    mutating func install(_ port: Port, _ location: ServerLocation) {
        forgetRecent()
        clock += 1
        if entries[port] == nil, entries.count >= capacity {
            var victim: Port?
            var oldest = UInt64.max
            for (p, e) in entries where e.lastUsed < oldest {
                oldest = e.lastUsed
                victim = p
            }
            if let v = victim { entries[v] = nil }
        }
        entries[port] = (location, clock)
    }

    /// Forgets `port`, but only if it still points at `address`: a newer
    /// answer from another server is kept.
    mutating func remove(_ port: Port, ifAt address: FLIPAddress) {
        if entries[port]?.location.address == address {
            forgetRecent()
            entries[port] = nil
        }
    }
}
