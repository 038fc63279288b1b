// The raw header codec agrees byte for byte with AmoebaCore's Header codec.
import Testing
import AmoebaCore
@testable import KernelCore
import TestSupport

@Test func rawHeaderMatchesTheGeneralCodec() {
    var rng = SeededRandom(99)
    for _ in 0..<200 {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<32 { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
        let general = try! Header.decode(bytes, order: .little)
        let raw = bytes.withUnsafeBytes { RawHeader.load(from: $0.baseAddress!) }
        #expect(raw == general)
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { RawHeader.store(general, to: $0.baseAddress!) }
        #expect(out == general.encoded(order: .little))
        #expect(out == bytes)
    }
}
