// A receiver with room widens a sender's window beyond Amoeba's 8 frames,
// once, by returning extra credit (creditGrant): within the protocol, since
// a sender adds whatever credit it is given. Without a grant the window
// stays Amoeba's.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet
import TestSupport

@Suite struct CreditGrantTests {
    /// The window a sends into a withholding b after one two-frame
    /// message: Amoeba's 8 less the 2 b drained but has not returned yet
    /// (it returns 4 at a time); with a grant, b's first credit carried
    /// 1 + 24, so 8 + 24 less the one frame still owed.
    @Test(arguments: [(UInt8(0), 6), (UInt8(24), 31)])
    func theGrantWidensTheWindowOnce(grant: UInt8, window: Int) {
        var c = FLIPConfiguration()
        c.creditGrant = grant
        c.reassemblyTimeout = .seconds(10)
        c.creditRequestInterval = .seconds(2)
        let net = SimNetwork(seed: 31)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1, configuration: c)
        let b = Host(net, "b", on: [s], seed: 2, configuration: c)
        var dataFrames = 0, grants = 0
        net.onTransmit = { node, _, bytes in
            guard let f = flipFrame(bytes) else { return }
            if node === a.node, f.flip?.packetType == .unidata { dataFrames += 1 }
            if node === b.node, f.control.type == .credit, grant > 0, f.control.count >= grant { grants += 1 }
        }
        // A first two-frame message: the first credit b returns carries the grant.
        _ = a.send(net, pattern(2_000, seed: 1), to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(2)))
        net.run(for: .milliseconds(100))
        // Now b keeps everything: a sends exactly its window, then waits.
        b.node.box.isWithholdingCredit = true
        dataFrames = 0
        let message = pattern(60_000, seed: 2)   // 42 frames
        _ = a.send(net, message, to: b.address)
        net.run(for: .seconds(1))
        #expect(dataFrames == window)
        #expect(grants == (grant > 0 ? 1 : 0))
        b.node.box.isWithholdingCredit = false
        net.flush(b.node)
        #expect(net.run(until: { b.recorder.deliveries.count == 2 }, limit: .seconds(5)))
        #expect(b.recorder.deliveries.last?.message == message)
        #expect(dataFrames == 42)
    }

    /// A granted window is returned a quarter at a time (8 frames), not
    /// Amoeba's 4: a wider window does not cost more CREDIT frames.
    @Test(arguments: [(UInt8(0), 10), (UInt8(24), 6)])
    func aWiderWindowIsReturnedInFewerCredits(grant: UInt8, credits: Int) {
        var c = FLIPConfiguration()
        c.creditGrant = grant
        let net = SimNetwork(seed: 32)
        let s = net.addSegment()
        let a = Host(net, "a", on: [s], seed: 1, configuration: c)
        let b = Host(net, "b", on: [s], seed: 2, configuration: c)
        var creditFrames = 0
        net.onTransmit = { node, _, bytes in
            if node === b.node, flipFrame(bytes)?.control.type == .credit { creditFrames += 1 }
        }
        let message = pattern(60_000, seed: 3)   // 42 frames
        _ = a.send(net, message, to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(5)))
        #expect(b.recorder.deliveries.first?.message == message)
        #expect(creditFrames == credits)
    }
}

@Suite struct CreditGrantMemoryTests {
    /// A full peer table forgets a quiet peer; when it comes back it is
    /// not granted again, or an Amoeba sender's credit byte, which adds
    /// every grant, would climb by 24 at each return and wrap.
    @Test func aForgottenPeerIsNotGrantedAgain() {
        var c = FLIPConfiguration()
        c.creditGrant = 24
        c.maxPeers = 2
        let net = SimNetwork(seed: 33)
        let s = net.addSegment()
        let b = Host(net, "b", on: [s], seed: 2, configuration: c)
        let senders = (0..<4).map { Host(net, "s\($0)", on: [s], seed: UInt64(10 + $0), configuration: c) }
        var grantsTo: [EthernetAddress: Int] = [:]
        net.onTransmit = { node, _, bytes in
            guard node === b.node, let f = flipFrame(bytes), f.control.type == .credit, f.control.count >= 24 else { return }
            grantsTo[f.destination, default: 0] += 1
        }
        var delivered = 0
        // s0 first, then three others push it out of b's two-peer table,
        // then s0 again.
        for (n, sender) in (senders + [senders[0]]).enumerated() {
            _ = sender.send(net, pattern(2_000, seed: UInt8(n)), to: b.address)
            delivered += 1
            #expect(net.run(until: { b.recorder.deliveries.count == delivered }, limit: .seconds(2)))
            net.run(for: .milliseconds(100))
        }
        #expect(grantsTo.count == 4)
        #expect(grantsTo.values.allSatisfy { $0 == 1 })
    }
}
