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

    /// A kernel node's: Amoeba's, but each neighbour is granted 18 frames
    /// of credit beyond Amoeba's 8 (`FLIPConfiguration.creditGrant`). A
    /// window of 26 takes message after 30000-byte message (21 frames each)
    /// without the sender holding a frame back for credit: credit comes
    /// back four frames at a time, and with a window of 24 one frame of
    /// every message still waited. The kernel NIC's 128 receive buffers
    /// hold four such windows at once; a Linux host, with socket buffers of
    /// megabytes, grants 112.
    public static var kernelNode: NodeConfiguration {
        var c = NodeConfiguration()
        c.flip.creditGrant = 18
        return c
    }
}
