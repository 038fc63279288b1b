import Testing
@testable import AmoebaCore
import TestSupport

@Suite struct OneWayTests {
    @Test func knownVector() {
        #expect(Port(hex: "010203040506")!.putPort.hex == "0d6e00b12afe")
    }

    @Test func nullPortMapsToItself() {
        #expect(OneWay.apply(.null) == .null)
    }

    @Test func noPortMapsToNullAndOutputsDiffer() {
        var g = SeededRandom(seed: 7)
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

