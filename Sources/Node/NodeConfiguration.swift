// The knobs of a node body: those of its FLIP box and of its RPC machines.
//
// Both RPC machines (the one that starts this node's transactions and the
// one that serves its ports) take the same RPC settings, so a node's
// client and server sides keep the same timers.

import FLIP
import RPC

public struct NodeConfiguration: Sendable {
    public var flip: FLIPConfiguration
    public var rpc: RPCConfiguration

    public init(flip: FLIPConfiguration = .init(), rpc: RPCConfiguration = .init()) {
        self.flip = flip
        self.rpc = rpc
    }
}
