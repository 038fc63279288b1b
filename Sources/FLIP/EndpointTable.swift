// The endpoints registered on a box: who listens on which public address,
// and which groups each has joined.
//
// A node body holds a handful of endpoints (its two RPC machines, a group
// member or two), and every arriving packet asks whether its address is
// one of them, every sent message which address its endpoint has. Ids only
// grow, so the table is kept as arrays in id order: a look-up by id is a
// binary search and a look-up by address a short scan, where a hashed
// dictionary cost a SipHash each time (dear on the kernel's 32-bit guest).
// Walks go in id order, so what the box does never depends on hashing.

struct Endpoint {
    var privateAddress: FLIPAddress
    var publicAddress: FLIPAddress
    var groups: Set<FLIPAddress> = []
    /// How many leading bytes of a message of several fragments it takes
    /// apart from the rest (`FLIPBox.register(privateAddress:headSize:)`).
    var headSize = 0
}

struct EndpointTable {
    /// Ids in ascending order, and index for index their entries and
    /// public addresses (kept apart: the address scan is the hot one).
    private(set) var ids: [Int] = []
    private(set) var entries: [Endpoint] = []
    private(set) var addresses: [FLIPAddress] = []

    var isEmpty: Bool { ids.isEmpty }

    /// Adds `endpoint` under `id`, which must be above every id so far.
    mutating func append(_ endpoint: Endpoint, id: Int) {
        precondition(ids.last.map { $0 < id } ?? true, "endpoint ids only grow")
        ids.append(id)
        entries.append(endpoint)
        addresses.append(endpoint.publicAddress)
    }

    @discardableResult
    mutating func remove(_ id: Int) -> Bool {
        guard let k = place(of: id) else { return false }
        ids.remove(at: k)
        entries.remove(at: k)
        addresses.remove(at: k)
        return true
    }

    /// Where `id` sits in the arrays, by binary search.
    func place(of id: Int) -> Int? {
        var lo = 0, hi = ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < ids.count && ids[lo] == id ? lo : nil
    }

    func publicAddress(of id: Int) -> FLIPAddress? {
        place(of: id).map { addresses[$0] }
    }

    func headSize(of id: Int) -> Int {
        place(of: id).map { entries[$0].headSize } ?? 0
    }

    /// Group membership changes go through here (the public address, which
    /// the scan relies on, never changes).
    mutating func updateGroups(of id: Int, _ change: (inout Set<FLIPAddress>) -> Void) {
        guard let k = place(of: id) else { return }
        change(&entries[k].groups)
    }

    func contains(address: FLIPAddress) -> Bool { addresses.contains(address) }

    /// Where the one entry listening on `address` sits, if exactly one
    /// does and none listens on `other`: an arriving frame's receiver, its
    /// source not one of ours, in one pass over the addresses.
    @inline(__always)
    func soleIndex(of address: FLIPAddress, unless other: FLIPAddress) -> Int? {
        addresses.withUnsafeBufferPointer { a in
            var found = -1
            for k in 0..<a.count {
                let x = a[k]
                if x == other { return nil }
                if x == address {
                    if found >= 0 { return nil }
                    found = k
                }
            }
            return found >= 0 ? found : nil
        }
    }
}

/// The endpoints listening on one address, in id order. Almost always one:
/// it is kept inline, so finding an arriving packet's receivers makes no
/// array and copies nothing of the table (a copy of the table retained and
/// released its three arrays, twice per packet).
struct Listeners: Sequence {
    private var first: EndpointID?
    private var more: [EndpointID]?

    var isEmpty: Bool { first == nil }

    mutating func add(_ e: EndpointID) {
        if first == nil { first = e } else { more = (more ?? []) + [e] }
    }

    struct Iterator: IteratorProtocol {
        let listeners: Listeners
        var position = 0

        mutating func next() -> EndpointID? {
            let k = position
            position += 1
            if k == 0 { return listeners.first }
            guard let more = listeners.more, k - 1 < more.count else { return nil }
            return more[k - 1]
        }
    }

    func makeIterator() -> Iterator { Iterator(listeners: self) }
}
