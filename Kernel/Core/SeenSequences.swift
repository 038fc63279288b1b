// Which (client, sequence) pairs a server has executed, for counting
// duplicates exactly: the bench fixture's proof that a request retried
// through a lossy network ran once and only once.
//
// It was a hashed set of every pair, one SipHash per request (two on
// average, with the rehashes of a set that never stops growing): about
// 660 of a network null transaction's guest instructions, as much as the
// kernel's whole routing of the request. A load generator numbers its
// requests 0, 1, 2, ... per client and they arrive nearly in order, so
// each client keeps a mark below which every sequence has been seen, and
// the few seen above it (arrived early, out of order) in a short sorted
// list. A request arriving in order only moves the mark; nothing is
// hashed and nothing grows. The answer is exact for any order of arrival;
// only the list's length depends on it.

public struct SeenSequences {
    private struct Client {
        let tag: UInt64
        /// Every sequence below this has been seen.
        var mark: UInt64 = 0
        /// Sequences seen at or above `mark`, ascending; never `mark` itself.
        var above: [UInt64] = []
    }

    /// Few clients: a list with the last one used in front of the walk.
    private var clients: [Client] = []
    private var last = 0

    public init() {}

    /// Notes that `client` ran `sequence`; false if it had run it before.
    public mutating func insert(client tag: UInt64, sequence: UInt64) -> Bool {
        let c = position(of: tag)
        if sequence < clients[c].mark { return false }
        if sequence == clients[c].mark {
            clients[c].mark += 1
            // Sequences that came early now join the run below the mark.
            var joined = 0
            while joined < clients[c].above.count, clients[c].above[joined] == clients[c].mark {
                clients[c].mark += 1
                joined += 1
            }
            if joined > 0 { clients[c].above.removeFirst(joined) }
            return true
        }
        // Ahead of the mark: kept in order until the gap below it fills.
        var low = 0, high = clients[c].above.count
        while low < high {
            let mid = (low + high) / 2
            if clients[c].above[mid] < sequence { low = mid + 1 } else { high = mid }
        }
        if low < clients[c].above.count, clients[c].above[low] == sequence { return false }
        clients[c].above.insert(sequence, at: low)
        return true
    }

    /// Sequences held beyond the marks (for tests: in-order arrivals hold none).
    public var heldAboveMarks: Int {
        var n = 0
        for c in clients { n += c.above.count }
        return n
    }

    private mutating func position(of tag: UInt64) -> Int {
        if last < clients.count, clients[last].tag == tag { return last }
        for i in clients.indices where clients[i].tag == tag {
            last = i
            return i
        }
        clients.append(Client(tag: tag))
        last = clients.count - 1
        return last
    }
}
