// Duplicate-broadcast suppression.
//
// In a network with loops (two gateways joining the same two segments) a
// broadcast comes back around and would be forwarded forever. Amoeba
// remembers the identity (source, message id, offset) of each LOCATE and
// broadcast MULTIDATA it has seen and drops repeats. We keep a bounded
// memory with first-in first-out forgetting, which is enough: a loop brings
// a copy back within milliseconds.

struct BroadcastKey: Hashable {
    var source: FLIPAddress
    var messageID: UInt32
    var offset: UInt32
}

struct BroadcastMemory {
    private var seen: Set<BroadcastKey> = []
    private var order: [BroadcastKey] = []
    private var next = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Records `key`; returns true if it had been seen already.
    mutating func checkAndInsert(_ key: BroadcastKey) -> Bool {
        if seen.contains(key) { return true }
        seen.insert(key)
        if order.count < capacity {
            order.append(key)
        } else {
            seen.remove(order[next])
            order[next] = key
            next = (next + 1) % capacity
        }
        return false
    }
}
