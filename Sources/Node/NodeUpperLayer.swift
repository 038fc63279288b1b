// A protocol that shares the node's FLIP box with RPC: group communication
// next, and in tests whatever records what the box hands up.
//
// A layer registers its own endpoints on `node.box` and sends through the
// box directly; the node drains the box, so its frames leave with the
// node's outputs. What arrives for an endpoint that is not one of the RPC
// machines' is handed to every layer, which keeps what is addressed to its
// own endpoints. A layer's results for its users have types the node
// cannot know, so the node only says when there are some
// (`NodeOutput.upperLayerReady`) and the driver collects them from the
// layer itself.

import AmoebaCore
import FLIP

public protocol NodeUpperLayer: AnyObject {
    /// A `.deliver` or `.undeliverable` event not meant for RPC.
    func handle(_ event: FLIPEvent, now: Instant)
    func tick(now: Instant)
    var nextDeadline: Instant? { get }
    /// Whether the layer holds results its driver has not collected. Asked
    /// after the node handed the layer an event or ticked it.
    var hasOutputs: Bool { get }
}

extension NodeUpperLayer {
    /// A layer whose users read its state directly has nothing to hand back.
    public var hasOutputs: Bool { false }
}

/// One upper layer added to a node, in the order they were added.
public struct NodeUpperLayerID: Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}
