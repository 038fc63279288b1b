// A simulated machine: a FLIP box with one interface per segment it joins,
// and whatever upper layer (RPC in the RPC tests) a test puts on top.

import AmoebaCore
import FLIP

public struct SegmentID: Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}

/// Whatever sits on top of a node's FLIP box (RPC in the RPC tests).
public protocol SimUpperLayer: AnyObject {
    /// Only `.deliver` and `.undeliverable` events are passed up.
    func handle(_ event: FLIPEvent, now: Instant)
    func tick(now: Instant)
    var nextDeadline: Instant? { get }
}

public final class SimNode {
    public let name: String
    public let box: FLIPBox
    public var upper: SimUpperLayer?
    public let interfaces: [InterfaceID]
    /// The segment each interface is attached to, index for index.
    public let segments: [SegmentID]
    public internal(set) var isAlive = true
    let index: Int

    init(name: String, box: FLIPBox, interfaces: [InterfaceID], segments: [SegmentID], index: Int) {
        self.name = name
        self.box = box
        self.interfaces = interfaces
        self.segments = segments
        self.index = index
    }
}
