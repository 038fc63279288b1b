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

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func lookup(_ port: Port) -> ServerLocation? {
        guard let i = entries.index(forKey: port) else { return nil }
        clock += 1
        entries.values[i].lastUsed = clock  // in place: the key is hashed once
        return entries.values[i].location
    }

    mutating func install(_ port: Port, _ location: ServerLocation) {
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
        if entries[port]?.location.address == address { entries[port] = nil }
    }
}
