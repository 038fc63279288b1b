// When each simulated node next wants a tick, filed in a heap so that the
// simulator finds the earliest without asking every node at every step.
//
// A node's deadline is read from its body whenever the simulator has just
// driven it (`refresh`) and for all nodes when a run starts (`rescan`),
// since a test may poke a box directly between runs. An entry filed before
// the node's deadline moved is stale: it is recognised by comparing with
// the node's latest filed deadline and dropped when it reaches the top.

import AmoebaCore

struct NodeDeadline: Scheduled {
    var time: Instant
    /// The node's index: ties at one instant go in node order.
    var sequence: Int
}

struct NodeDeadlines {
    private var heap = EventHeap<NodeDeadline>()
    /// The deadline last filed per node (nil: none, or dead).
    private var filed: [Instant?] = []
    /// Times a node body was asked for its deadline (the cost a step pays
    /// for the nodes it did not touch, which should be nothing).
    private(set) var reads = 0

    mutating func refresh(_ node: SimNode) {
        let i = node.index
        while filed.count <= i { filed.append(nil) }
        reads += 1
        let d = node.isAlive ? node.node.nextDeadline : nil
        if d == filed[i] { return }
        filed[i] = d
        if let d { heap.push(NodeDeadline(time: d, sequence: i)) }
    }

    mutating func rescan(_ nodes: [SimNode]) {
        for n in nodes { refresh(n) }
        // Stale entries would otherwise pile up over a long test.
        if heap.count > 4 * max(nodes.count, 16) {
            heap = EventHeap()
            filed = Array(repeating: nil, count: filed.count)
            for n in nodes { refresh(n) }
        }
    }

    private func isCurrent(_ e: NodeDeadline) -> Bool {
        e.sequence < filed.count && filed[e.sequence] == e.time
    }

    /// The earliest deadline filed, stale entries dropped on the way.
    var earliest: Instant? {
        mutating get {
            while let top = heap.peek, !isCurrent(top) { _ = heap.pop() }
            return heap.peek?.time
        }
    }

    /// The nodes whose filed deadline is `time` or earlier, in node order,
    /// each once; their entries leave the heap (the caller refreshes them).
    mutating func due(at time: Instant) -> [Int] {
        var out: [Int] = []
        while let top = heap.peek, top.time <= time {
            _ = heap.pop()
            if isCurrent(top) {
                filed[top.sequence] = nil
                out.append(top.sequence)
            }
        }
        return out.sorted()
    }
}
