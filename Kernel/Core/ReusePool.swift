// Objects kept for reuse once nobody else holds them.
//
// The network thread turns every request from the network into a
// Transaction record queued on its port exactly as a local client's. A
// record made per request and freed when its reply went out cost an
// allocation, a deinit and the releases of its fields on every network
// transaction; the network thread now gives each record back here once
// its reply is posted and takes the next one from here.
//
// A record given back may still be referenced for a while: the kernel
// server that answered it holds it until its next request comes in, and a
// worker answering for a server (the proc server's exec) may hold it
// longer. So an object is handed out again only when the pool's reference
// is the only one (`isKnownUniquelyReferenced`); with a server that holds
// its last request, the record of the request before is free again, and
// two records alternate. The pool is a ring of fixed capacity: when it is
// full the oldest object is let go, and whoever still holds it frees it as
// before. Nothing grows with the traffic.

public struct ReusePool<Element: AnyObject> {
    public let capacity: Int
    /// Objects given back, oldest at `head`.
    private var slots: [Element?]
    private var head = 0
    public private(set) var count = 0
    /// Objects handed out again, and asks that found none free (KSTAT n).
    public private(set) var reused: UInt64 = 0
    public private(set) var missed: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        slots = [Element?](repeating: nil, count: self.capacity)
    }

    /// The oldest object given back, if nobody else holds it any more;
    /// nil otherwise (the caller makes a new one).
    public mutating func take() -> Element? {
        guard count > 0, isKnownUniquelyReferenced(&slots[head]), let e = slots[head].take() else {
            missed &+= 1
            return nil
        }
        head = head + 1 == capacity ? 0 : head + 1
        count -= 1
        reused &+= 1
        return e
    }

    /// Keeps `e` for reuse; the oldest kept object is let go if the pool is full.
    public mutating func give(_ e: Element) {
        if count == capacity {
            slots[head] = nil
            head = head + 1 == capacity ? 0 : head + 1
            count -= 1
        }
        var tail = head + count
        if tail >= capacity { tail -= capacity }
        slots[tail] = e
        count += 1
    }
}
