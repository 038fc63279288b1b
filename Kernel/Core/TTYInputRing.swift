// What was typed on a terminal and not yet read: a ring of bytes of fixed
// size, filled by the serial receive interrupt and emptied by the tty
// server's reads. Its storage is allocated once, when the ring is made, so
// the interrupt handler never allocates (the heap is not an interrupt-time
// service). When nobody reads and the typist goes on, the ring fills; a
// byte that finds it full is dropped and counted, as Amoeba's tty drops
// (and beeps for) a character that finds its input queue full. So a
// flood on the serial line costs at most the ring, never a crash.
public struct TTYInputRing {
    public let capacity: Int
    private var storage: [UInt8]
    private var head = 0
    public private(set) var count = 0
    /// Bytes dropped because the ring was full, since boot.
    public private(set) var overflowed: UInt64 = 0
    /// Bytes taken in, since boot (dropped ones not included).
    public private(set) var received: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a tty input ring needs room")
        self.capacity = capacity
        storage = [UInt8](repeating: 0, count: capacity)
    }

    public var isEmpty: Bool { count == 0 }

    /// Keeps `byte`; false (and counted) when the ring is full.
    @discardableResult
    public mutating func push(_ byte: UInt8) -> Bool {
        guard count < capacity else {
            overflowed &+= 1
            return false
        }
        storage[(head + count) % capacity] = byte
        count += 1
        received &+= 1
        return true
    }

    /// Takes up to `limit` of the oldest bytes (none for a limit ≤ 0).
    public mutating func take(upTo limit: Int) -> [UInt8] {
        let n = min(max(limit, 0), count)
        var out = [UInt8]()
        out.reserveCapacity(n)
        for i in 0..<n { out.append(storage[(head + i) % capacity]) }
        head = (head + n) % capacity
        count -= n
        return out
    }
}
