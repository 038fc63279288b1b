// A kernel node's configuration (`NodeConfiguration.kernelNode`): the
// wider credit window it grants its neighbours lets a 30000-byte message's
// 21 frames through without the sender holding any back for credit, where
// Amoeba's fixed window of 8 holds back some of every such message.

import Testing
import AmoebaCore
import FLIP
import Node
import RPC
import SimNet
import TestSupport

@Suite struct KernelNodeConfigurationTests {
    /// Frames the client held back for want of credit over `count`
    /// 30000-byte transactions, after one that brings the first credit
    /// (and with it the grant).
    func framesHeldBack(_ configuration: NodeConfiguration, count: Int) -> Int {
        var random = SeededRandom(seed: 11)
        var pair = NodePair(configuration: configuration, using: &random)
        let big = RPCMessage(header: Header(port: pair.putPort, command: 1),
                             data: [UInt8](repeating: 0x5A, count: 30000))
        #expect(pair.transact(big) == nil)
        let before = pair.client.statistics.flip.framesStalled
        for _ in 0..<count { #expect(pair.transact(big) == nil) }
        #expect(pair.executions == count + 1)
        return pair.client.statistics.flip.framesStalled - before
    }

    @Test func aKernelNodeTakesA30000ByteMessageWithoutItsSenderWaitingForCredit() {
        #expect(framesHeldBack(.kernelNode, count: 20) == 0)
        // A window of 24: one frame of every message still waits.
        var narrower = NodeConfiguration.kernelNode
        narrower.flip.creditGrant = 16
        #expect(framesHeldBack(narrower, count: 20) == 20)
        // Amoeba's window, for contrast: every message waits for credit.
        #expect(framesHeldBack(NodeConfiguration(), count: 5) >= 5 * (21 - 8))
    }
}
