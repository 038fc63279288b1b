// A simulated machine: a node body (FLIP box, RPC machines and whatever
// upper layers a test adds) with one interface per segment it joins.
//
// What the node hands back other than frames goes to `onOutput`, where a
// test plays the programs that own the transactions and server slots. An
// owner is an integer tag the test picks.

import AmoebaCore
import FLIP
import Node

public struct SegmentID: Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}

/// What owns a transaction or a server slot on a simulated node.
public typealias SimOwner = Int

public final class SimNode {
    public let name: String
    public let node: Node<SimOwner>
    public var box: FLIPBox { node.box }
    /// Completions, requests and upper-layer notices, as they come out.
    public var onOutput: ((NodeOutput<SimOwner>) -> Void)?
    public let interfaces: [InterfaceID]
    /// The segment each interface is attached to, index for index.
    public let segments: [SegmentID]
    public internal(set) var isAlive = true
    /// Which side of a partition the node is on (`SimNetwork.partition`).
    public internal(set) var side = 0
    let index: Int

    init(name: String, node: Node<SimOwner>, interfaces: [InterfaceID], segments: [SegmentID], index: Int) {
        self.name = name
        self.node = node
        self.interfaces = interfaces
        self.segments = segments
        self.index = index
    }

    /// Puts `layer` on the node's box beside RPC.
    @discardableResult
    public func add(upperLayer layer: some NodeUpperLayer) -> NodeUpperLayerID {
        node.add(upperLayer: layer)
    }
}
