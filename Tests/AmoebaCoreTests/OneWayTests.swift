import Testing
@testable import AmoebaCore

@Suite struct OneWayTests {
    @Test func knownVector() {
        #expect(Port(hex: "010203040506")!.putPort.hex == "0d6e00b12afe")
    }

    @Test func nullPortMapsToItself() {
        #expect(OneWay.apply(.null) == .null)
    }

    @Test func noPortMapsToNullAndOutputsDiffer() {
        var g = SplitMix(seed: 7)
        var seen = Set<Port>()
        for _ in 0..<200 {
            let p = Port.random(using: &g)
            let q = p.putPort
            #expect(!q.isNull)
            #expect(q != p)
            seen.insert(q)
        }
        #expect(seen.count == 200)
    }
}

/// A small deterministic generator for tests.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
