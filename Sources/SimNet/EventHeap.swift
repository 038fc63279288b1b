// The simulator's pending events (frames in flight, drivers' timers) in a
// binary min-heap: by time, then by the order they were made, so that
// events due at one instant happen in a reproducible order.

import AmoebaCore

protocol Scheduled {
    var time: Instant { get }
    var sequence: Int { get }
}

struct EventHeap<Element: Scheduled> {
    private var heap: [Element] = []

    var peek: Element? { heap.first }
    var count: Int { heap.count }

    private static func before(_ a: Element, _ b: Element) -> Bool {
        a.time != b.time ? a.time < b.time : a.sequence < b.sequence
    }

    mutating func push(_ e: Element) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !Self.before(heap[i], heap[parent]) { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Element? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && Self.before(heap[l], heap[m]) { m = l }
                if r < heap.count && Self.before(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
