// What a capture of our traffic must show to pass for Amoeba 5.3's: no
// runt frames, the UNSAFE flag exactly on untrusted networks, and whole
// messages delivered with whether they came in pieces.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet
import TestSupport

@Suite struct WireConformanceTests {
    /// A locate, a message of several frames through a gateway (credits
    /// flow back) and a one-byte answer: every frame any box puts on a
    /// segment is at least the Ethernet minimum of 60 bytes.
    @Test func noFrameIsShorterThanTheEthernetMinimum() {
        let net = SimNetwork(seed: 61)
        let s1 = net.addSegment(), s2 = net.addSegment()
        let a = Host(net, "a", on: [s1], seed: 1)
        _ = net.addNode(name: "g", on: [s1, s2])
        let b = Host(net, "b", on: [s2], seed: 2)
        var sizes: [Int] = []
        var kinds: Set<UInt8> = []
        net.onTransmit = { _, _, bytes in
            sizes.append(bytes.count)
            if let f = flipFrame(bytes) { kinds.insert(f.control.type.rawValue) }
        }
        _ = a.send(net, pattern(20_000), to: b.address)
        #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(5)))
        _ = b.send(net, [1], to: a.address)
        #expect(net.run(until: { a.recorder.deliveries.count == 1 }, limit: .seconds(5)))
        net.run(for: .milliseconds(100))
        #expect(!sizes.isEmpty)
        #expect(sizes.allSatisfy { $0 >= EthernetFrame.minimumSize })
        // Control frames (credits) were among them: the case that was 16 bytes.
        #expect(kinds.contains(FragmentControlType.credit.rawValue))
        #expect(b.recorder.deliveries[0].wasFragmented)
        #expect(!a.recorder.deliveries[0].wasFragmented)
    }

    /// Frames a box sends on a trusted network carry no UNSAFE flag; on an
    /// untrusted one every FLIP packet carries it (Amoeba marks what
    /// crosses an untrusted network so no one believes it later).
    @Test func unsafeFlagMarksExactlyTheUntrustedNetworks() {
        for trusted in [true, false] {
            let net = SimNetwork(seed: 62)
            let seg = net.addSegment(trusted: trusted)
            let a = Host(net, "a", on: [seg], seed: 1)
            let b = Host(net, "b", on: [seg], seed: 2)
            var flags: [UInt8] = []
            net.onTransmit = { _, _, bytes in
                if let h = flipFrame(bytes)?.flip { flags.append(h.flags.rawValue) }
            }
            _ = a.send(net, pattern(3000), to: b.address)
            #expect(net.run(until: { b.recorder.deliveries.count == 1 }, limit: .seconds(5)))
            #expect(!flags.isEmpty)
            #expect(flags.allSatisfy { ($0 & FLIPFlags.unsafe.rawValue != 0) == !trusted }, "trusted \(trusted)")
        }
    }
}
