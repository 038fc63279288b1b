// A message for an endpoint registered with a head size is reassembled in
// two buffers, its first bytes and the rest, so that the rest is handed up
// as the array it was placed in. Whatever the order of the fragments and
// wherever they cut the message, the two parts must join to the message
// sent, and endpoints that did not ask must still get it whole.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct ReassemblySplitTests {
    let key = ReassemblyKey(source: FLIPAddress(littleEndianBits: 1), destination: FLIPAddress(littleEndianBits: 2),
                            messageID: 7, isMulticast: false)
    let now = Instant(microseconds: 1_000_000)

    func message(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 7) } }

    /// Feeds `m` in pieces of `step` in `order`, split after `split`
    /// bytes; the head and rest of each message completed.
    func feed(_ m: [UInt8], step: Int, order: [Int], split: Int) -> [(head: [UInt8], body: [UInt8])] {
        var r = Reassembler(configuration: FLIPConfiguration())
        var done: [(head: [UInt8], body: [UInt8])] = []
        for k in order {
            let start = k * step
            let piece = m[start..<min(start + step, m.count)]
            var head: [UInt8] = []
            switch r.add(key, offset: UInt32(start), total: UInt32(m.count), fragment: piece, split: split,
                         head: &head, now: now) {
            case .incomplete?: break
            case .refused(let why)?: Issue.record("refused: \(why)")
            case .complete(let body)?: done.append((head, body))
            case nil: Issue.record("a fragment was taken for the whole message")
            }
        }
        #expect(r.partial.isEmpty)
        #expect(r.bytesHeld == 0)
        return done
    }

    @Test(arguments: [1_458, 1_000, 40, 56, 57])
    func anyOrderGivesTheTwoPartsOnce(step: Int) {
        let m = message(30_000)
        let n = (m.count + step - 1) / step
        let orders: [[Int]] = [
            Array(0..<n),
            Array((0..<n).reversed()),
            Array(2..<n) + [1, 0],                 // the head last
            [0, 1, 1, 2, 0] + Array(2..<n),        // duplicates while appending
            Array(stride(from: 1, to: n, by: 2)) + Array(stride(from: 0, to: n, by: 2)),
        ]
        for order in orders {
            let done = feed(m, step: step, order: order, split: 56)
            #expect(done.count == 1, "order \(order.prefix(8))...")
            #expect(done.first?.head == Array(m[..<56]))
            #expect(done.first?.body == Array(m[56...]))
        }
    }

    /// The covered ranges stay sorted, disjoint and merged whether a
    /// fragment extends the last range in place or lands before it.
    @Test func coveredRangesMergeInAndOutOfOrder() {
        var p = PartialMessage(total: 100, expiry: now, lastProgress: now)
        p.add(0..<10)
        p.add(10..<20)      // right after the last: grown in place
        p.add(15..<30)      // overlapping the last
        #expect(p.covered == [0..<30])
        p.add(50..<60)      // a gap
        p.add(40..<45)      // before the last
        p.add(60..<70)
        #expect(p.covered == [0..<30, 40..<45, 50..<70])
        p.add(30..<50)      // bridges three
        #expect(p.covered == [0..<70])
        p.add(70..<100)
        #expect(p.isComplete)
    }

    @Test func aMessageNoLongerThanTheHeadIsAllHead() {
        let m = message(50)
        let done = feed(m, step: 20, order: [2, 0, 1], split: 56)
        #expect(done.count == 1)
        #expect(done.first?.head == m && done.first?.body.isEmpty == true)
    }

    /// Two boxes on a wire; `b` has an endpoint taking messages split after
    /// 56 bytes and one taking them whole, on another address.
    @Test func onlyAnEndpointThatAskedGetsTwoParts() {
        let a = FLIPBox(), b = FLIPBox()
        let ia = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let ib = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 0x11))
        let split = b.register(privateAddress: FLIPAddress(littleEndianBits: 0x22), headSize: 56)
        let whole = b.register(privateAddress: FLIPAddress(littleEndianBits: 0x33))
        let m = message(30_000)
        var deliveries: [FLIPDelivery] = []
        var now = Instant.zero
        a.unicast(m, from: from, to: b.address(of: split)!, now: now)
        a.unicast(m, from: from, to: b.address(of: whole)!, now: now)
        a.unicast([1, 2, 3], from: from, to: b.address(of: split)!, now: now)
        for _ in 0..<500 {
            now = now + .microseconds(100)
            for case .transmit(_, let f) in a.takeEvents() { b.receive(frame: f, on: ib, now: now) }
            for e in b.takeEvents() {
                switch e {
                case .transmit(_, let f): a.receive(frame: f, on: ia, now: now)
                case .deliver(let d): deliveries.append(d)
                case .undeliverable: break
                }
            }
            a.tick(now: now)
            b.tick(now: now)
        }
        let toSplit = deliveries.filter { $0.endpoint == split }
        let toWhole = deliveries.filter { $0.endpoint == whole }
        #expect(toSplit.count == 2 && toWhole.count == 1)
        #expect(toSplit.map(\.message).sorted { $0.count < $1.count } == [[1, 2, 3], m])
        if let big = toSplit.first(where: { $0.message.count == m.count }) {
            #expect(Array(big.payload) == Array(m[..<56]))
            #expect(big.body == Array(m[56...]))
            #expect(big.wasFragmented)
        }
        #expect(toSplit.first(where: { $0.message.count == 3 })?.body.isEmpty == true)
        #expect(toWhole.first?.body.isEmpty == true)
        #expect(toWhole.first.map { Array($0.payload) } == m)
    }

    /// A local sender's data reaches a local endpoint that takes messages
    /// split as the very array it sent: nothing is copied.
    @Test func aLocalSplitMessageKeepsTheSendersData() {
        let a = FLIPBox()
        _ = a.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let from = a.register(privateAddress: FLIPAddress(littleEndianBits: 5))
        let to = a.register(privateAddress: FLIPAddress(littleEndianBits: 6), headSize: 56)
        let m = message(3_000)
        var head = [UInt8](repeating: 0, count: FLIPBox.headroom) + m[..<56]
        let data = Array(m[56...])
        a.unicast(framed: &head, then: data[...], from: from, to: a.address(of: to)!, now: .zero)
        let delivered = a.takeEvents().compactMap { if case .deliver(let d) = $0 { d } else { nil } }
        #expect(delivered.count == 1)
        guard let d = delivered.first else { return }
        #expect(d.message == m)
        #expect(d.body.withUnsafeBufferPointer { $0.baseAddress } == data.withUnsafeBufferPointer { $0.baseAddress })
    }
}
