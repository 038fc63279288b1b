// The simulator's promise: the same seed gives the same run, frame for
// frame, and another seed a different one.

import Testing
import AmoebaCore
@testable import FLIP
import SimNet

@Suite struct DeterminismTests {
    /// A faulty two-hop run; returns a trace of every frame sent.
    func trace(seed: UInt64) -> [[UInt8]] {
        let net = SimNetwork(seed: seed)
        let bad = FaultProfile(drop: 0.1, duplicate: 0.1, reorder: 0.2, corrupt: 0.05, delay: 0.2)
        let s1 = net.addSegment(faults: bad), s2 = net.addSegment(faults: bad)
        let a = Host(net, "a", on: [s1], seed: 1)
        _ = net.addNode(name: "g", on: [s1, s2])
        let b = Host(net, "b", on: [s2], seed: 2)
        var frames = [[UInt8]]()
        net.onTransmit = { _, _, bytes in frames.append(bytes) }
        for k in 0..<5 {
            _ = a.send(net, pattern(20_000 + k), to: b.address)
            net.run(for: .milliseconds(500))
        }
        net.run(for: .seconds(10))
        frames.append(Array("delivered \(b.recorder.deliveries.count) at \(net.now.microseconds)".utf8))
        return frames
    }

    @Test func sameSeedSameRun() {
        let one = trace(seed: 5), two = trace(seed: 5)
        #expect(one.count > 50)
        #expect(one == two)
        #expect(trace(seed: 6) != one)
    }
}
