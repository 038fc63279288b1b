import Testing
import AmoebaCore
@testable import FLIP

/// Reassembly appends fragments that come in order and places the others:
/// whatever the order, duplicates and overlaps, the message delivered is
/// the one sent, once, and only when every byte has come.
@Suite struct ReassemblyOrderTests {
    let key = ReassemblyKey(source: FLIPAddress(littleEndianBits: 1), destination: FLIPAddress(littleEndianBits: 2),
                            messageID: 7, isMulticast: false)
    let now = Instant(microseconds: 1_000_000)

    func message(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    /// Fragments of `m` in pieces of `step`, fed in `order`; the message
    /// each add completed, if any.
    func feed(_ m: [UInt8], step: Int, order: [Int]) -> [[UInt8]] {
        var r = Reassembler(configuration: FLIPConfiguration())
        var done: [[UInt8]] = []
        for k in order {
            let start = k * step
            let piece = Array(m[start..<min(start + step, m.count)])
            switch r.add(key, offset: UInt32(start), total: UInt32(m.count), data: piece, now: now) {
            case .complete(let whole): done.append(whole)
            case .incomplete: break
            case .refused(let why): Issue.record("refused: \(why)")
            }
        }
        #expect(r.partial.isEmpty)
        #expect(r.bytesHeld == 0)
        return done
    }

    @Test func anyOrderGivesTheMessageOnce() {
        let m = message(30_000)
        let n = (m.count + 1457) / 1458
        let orders: [[Int]] = [
            Array(0..<n),                          // in order: appended
            Array((0..<n).reversed()),             // last first: placed
            Array(0..<5) + Array((5..<n).reversed()),  // in order, then not
            [0, 1, 1, 2, 0] + Array(2..<n),        // duplicates while appending
            Array(1..<n) + [0],                    // the first fragment last
        ]
        for order in orders {
            #expect(feed(m, step: 1458, order: order) == [m], "order \(order.prefix(8))...")
        }
    }

    @Test func aFragmentClaimingAnotherSizeIsRefused() {
        var r = Reassembler(configuration: FLIPConfiguration())
        let m = message(3000)
        _ = r.add(key, offset: 0, total: 3000, data: Array(m[0..<1000]), now: now)
        guard case .refused(.inconsistentFragment) = r.add(key, offset: 1000, total: 4000,
                                                              data: Array(m[1000..<2000]), now: now) else {
            Issue.record("a fragment with another total was taken")
            return
        }
        guard case .complete(let whole) = r.add(key, offset: 1000, total: 3000, data: Array(m[1000..<3000]), now: now)
        else {
            Issue.record("the message did not complete")
            return
        }
        #expect(whole == m)
    }
}
