// Segments joined by gateways in a named shape, for tests and benchmarks
// that need many segments without wiring each gateway by hand.
//
// A gateway is a node with an interface on each of two segments. With the
// default Ethernet weight (3) and the 25-hop ceiling, a broadcast crosses
// at most eight segments, so the shape decides what a client can find:
// a chain of ten segments puts its far end 30 hops away (out of reach), a
// ring of ten puts it 18 away over two disjoint paths (the loop the
// duplicate suppression must handle), a star puts every leaf 9 away.

public enum GatewayLayout: String, CaseIterable, Sendable {
    /// Gateway k joins segments k and k+1; the far end is the last segment.
    case chain
    /// Gateway k joins segments k and k+1 mod S; the far end is halfway round.
    case ring
    /// Segment 0 is a backbone; gateway k joins it to leaf segment k.
    /// Clients sit on leaf 1, the far end is the last leaf.
    case star
}

public struct SimTopology {
    public let layout: GatewayLayout
    public let segments: [SegmentID]
    public let gateways: [SimNode]
    /// Where a client sits, and the segment farthest from it.
    public let near: SegmentID
    public let far: SegmentID
    /// Ethernet hops from `near` to `far` (each weighs 3 FLIP hops).
    public let ethernetHops: Int

    /// Adds `count` (at least 1) segments and their gateways to `net`.
    public init(on net: SimNetwork, segments count: Int, layout: GatewayLayout) {
        precondition(count >= 1, "a topology needs a segment")
        self.layout = layout
        let segs = (0..<count).map { _ in net.addSegment() }
        segments = segs
        var gws: [SimNode] = []
        func join(_ a: Int, _ b: Int) {
            gws.append(net.addNode(name: "gw\(a)-\(b)", on: [segs[a], segs[b]]))
        }
        switch layout {
        case .chain:
            for k in 0..<(count - 1) { join(k, k + 1) }
            near = segs[0]
            far = segs[count - 1]
            ethernetHops = count
        case .ring:
            if count == 2 {
                join(0, 1)
            } else if count > 2 {
                for k in 0..<count { join(k, (k + 1) % count) }
            }
            near = segs[0]
            far = segs[count / 2]
            ethernetHops = count / 2 + 1
        case .star:
            for k in 1..<max(count, 1) { join(0, k) }
            near = segs[count > 1 ? 1 : 0]
            far = segs[count > 2 ? count - 1 : 0]
            ethernetHops = count > 2 ? 3 : count
        }
        gateways = gws
    }

    /// The segment host number `i` of a population joins: hosts are dealt
    /// out round-robin starting at `near`, so every segment holds its share.
    public func segment(forHost i: Int) -> SegmentID {
        let start = segments.firstIndex(of: near) ?? 0
        return segments[(start + i) % segments.count]
    }
}
