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
    /// Where the last port looked up sits in `entries`: a client calls one
    /// server again and again, and the SipHash of the port per call was
    /// most of a look-up. Forgotten by every insertion or removal.
    private var recentPort = Port.null
    private var recentIndex: Dictionary<Port, (location: ServerLocation, lastUsed: UInt64)>.Index?

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func lookup(_ port: Port) -> ServerLocation? {
        let i: Dictionary<Port, (location: ServerLocation, lastUsed: UInt64)>.Index
        if let r = recentIndex, port == recentPort {
            i = r
        } else {
            guard let found = entries.index(forKey: port) else { return nil }
            i = found
            recentPort = port
            recentIndex = found
        }
        clock += 1
        // In place (the key is hashed once), and in one access: read again
        // through the dictionary's values, the location cost a call.
        return PortCache.use(&entries.values[i], at: clock)
    }

    private static func use(_ entry: inout (location: ServerLocation, lastUsed: UInt64), at clock: UInt64)
        -> ServerLocation {
        entry.lastUsed = clock
        return entry.location
    }

    mutating func install(_ port: Port, _ location: ServerLocation) {
        recentIndex = nil
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
            recentIndex = nil
            entries[port] = nil
        }
    }
}
