// The straight path for the fragment that continues a message
// (FLIPBox+CommonFragment.swift) must do exactly what the general path
// does. A message of several frames takes it for every fragment but its
// first and last; a seeded run of messages sent in order, out of order,
// twice, cut short, interleaved and changed in one or two ways, with
// sends, ticks and credit frames in between, checks a box on its
// straight paths against one with them turned off, event for event,
// counter for counter, route for route and peer for peer.

import Testing
import AmoebaCore
@testable import FLIP
import TestSupport

@Suite struct CommonFragmentTests {
    static let step = 64

    static func make(_ fast: Bool, grant: UInt8 = 0) -> (FLIPBox, [EndpointID]) {
        var c = FLIPConfiguration()
        c.maxHops = 12
        c.maxFragmentData = step
        c.routeLifetime = .seconds(2)
        c.reassemblyTimeout = .seconds(1)
        c.creditGrant = grant
        let b = FLIPBox(configuration: c)
        b.commonPaths = fast
        _ = b.addInterface(mac: CommonFrameTests.myMAC, trusted: true)
        _ = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 1, 1])!, trusted: false)
        let es = [b.register(privateAddress: CommonFrameTests.mine),
                  b.register(privateAddress: FLIPAddress(hex: "0909090909090900")!, headSize: 20)]
        return (b, es)
    }

    /// The fragments of `message`, each a frame as a peer sends it.
    static func fragments(of message: [UInt8], id: UInt32, to destination: FLIPAddress,
                          source: FLIPAddress = CommonFrameTests.peer) -> [[UInt8]] {
        stride(from: 0, to: message.count, by: step).map { o in
            CommonFrameTests.frame(source: source, destination: destination, messageID: id,
                                   data: Array(message[o..<min(o + step, message.count)]), offset: UInt32(o),
                                   total: UInt32(message.count))
        }
    }

    /// A box's flow-control state for each peer, in a fixed order.
    static func peers(_ b: FLIPBox) -> [String] {
        b.flow.peers.keys.sorted(by: PeerKey.inOrder).map { k in
            let p = b.flow.peers[k]!
            return "peer \(k.interface) \(k.location.text) credit \(p.credit) queued \(p.queued) owed \(p.owed)"
                + " held \(p.held) granted \(p.granted) asking \(p.asking) requests \(p.requests)"
        }
    }

    /// The middle fragments of a message take the straight path; the
    /// message, its credit and its route come out as the general path has
    /// them.
    @Test func middleFragmentsTakeTheStraightPath() {
        let (fast, es) = Self.make(true)
        let (slow, _) = Self.make(false)
        let me = fast.address(of: es[0])!
        let message = (0..<(5 * Self.step - 3)).map { UInt8($0 & 0xFF) }
        for f in Self.fragments(of: message, id: 7, to: me) {
            for b in [fast, slow] { b.receive(frame: f, on: InterfaceID(rawValue: 0), now: .zero) }
        }
        #expect(fast.straightFragments == 3)
        #expect(slow.straightFragments == 0)
        let a = CommonFrameTests.snapshot(fast) + Self.peers(fast)
        let b = CommonFrameTests.snapshot(slow) + Self.peers(slow)
        #expect(a == b)
        #expect(a.contains { $0.hasPrefix("dl 0 ") && $0.contains(Hex.encode(message)) })
        #expect(fast.statistics.creditFramesSent == 1)
    }

    /// A message kept split (an endpoint with a head size): the bytes after
    /// the head are appended on the straight path.
    @Test func aSplitMessageIsAppendedAfterItsHead() {
        let (fast, es) = Self.make(true)
        let (slow, _) = Self.make(false)
        let split = fast.address(of: es[1])!
        let message = (0..<(4 * Self.step)).map { UInt8(($0 * 7) & 0xFF) }
        for f in Self.fragments(of: message, id: 9, to: split) {
            for b in [fast, slow] { b.receive(frame: f, on: InterfaceID(rawValue: 0), now: .zero) }
        }
        #expect(fast.straightFragments == 2)
        #expect(CommonFrameTests.snapshot(fast) == CommonFrameTests.snapshot(slow))
    }

    /// Messages of several frames, each frame possibly changed, reordered,
    /// repeated or dropped, interleaved with other traffic: the box on its
    /// straight paths and the box without them agree after every step.
    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64]) func straightFragmentsAgreeWithTheGeneralPath(seed: UInt64) {
        var g = SeededRandom(seed: seed)
        let grant: UInt8 = seed % 2 == 0 ? 24 : 0
        let (fast, es) = Self.make(true, grant: grant)
        let (slow, _) = Self.make(false, grant: grant)
        if seed == 3 {
            // Two listeners on each address: never the straight path.
            for b in [fast, slow] {
                _ = b.register(privateAddress: CommonFrameTests.mine)
                _ = b.register(privateAddress: FLIPAddress(hex: "0909090909090900")!)
            }
        }
        let addresses = [fast.address(of: es[0])!, fast.address(of: es[1])!]
        let sources = [CommonFrameTests.peer, FLIPAddress(hex: "5252525252525200")!]
        let macs = [CommonFrameTests.peerMAC, CommonFrameTests.strangerMAC]
        let myMACs = [CommonFrameTests.myMAC, EthernetAddress(bytes: [2, 0, 0, 0, 1, 1])!]
        // Messages being sent to the box: their frames, the next to send.
        var sending: [(frames: [[UInt8]], next: Int)] = []
        var now = Instant.zero
        var id: UInt32 = 100
        for step in 0..<4000 {
            if g.below(6) == 0 { now = now + .milliseconds(Int64(g.below(4) == 0 ? 1500 : 10)) }
            let r = g.below(40)
            if r == 0 {
                for b in [fast, slow] { b.tick(now: now) }
            } else if r == 1 {
                // A send of several frames back to a peer (credit is spent,
                // frames queue behind the stall).
                let size = [10, 200, 700][g.below(3)]
                let from = es[g.below(2)]
                for b in [fast, slow] {
                    var frame = [UInt8](repeating: 7, count: FLIPBox.headroom + size)
                    b.unicast(framed: &frame, from: from, to: sources[0], now: now)
                }
            } else if r == 2 {
                // Credit for what the box sent.
                let control = FragmentControl(type: [.credit, .absoluteCredit, .requestCredit][g.below(3)],
                                              count: UInt8(g.below(10)))
                let bytes = EthernetFrame(destination: CommonFrameTests.myMAC, source: macs[0], control: control)
                    .encoded()
                for b in [fast, slow] { b.receive(frame: bytes, on: InterfaceID(rawValue: 0), now: now) }
            } else if sending.isEmpty || (sending.count < 3 && g.below(12) == 0) {
                id &+= 1
                let size = Self.step + 1 + g.below(6 * Self.step)
                let message = (0..<size).map { _ in UInt8(g.below(256)) }
                let source = sources[g.below(5) == 0 ? 1 : 0]
                sending.append((Self.fragments(of: message, id: id, to: addresses[g.below(3) == 0 ? 1 : 0],
                                               source: source), 0))
            } else {
                let m = g.below(sending.count)
                let frames = sending[m].frames
                var k = sending[m].next
                switch g.below(20) {
                case 0: k = g.below(frames.count)   // out of order
                case 1: k = max(k - 1, 0)           // again
                case 2: sending[m].next += 1        // lost
                default: break
                }
                if k < frames.count {
                    var bytes = frames[k]
                    var interface = 0
                    if g.below(4) == 0 {
                        // One thing changed.
                        switch g.below(12) {
                        case 0: bytes[15] = UInt8(1 + g.below(5))                  // piggybacked credit
                        case 1: bytes[18] |= FLIPFlags.unsafe.rawValue
                        case 2: bytes[20] = UInt8(g.below(14)); bytes[22] = UInt8(g.below(14))   // hops
                        case 3: bytes[0...5] = [2, 0, 0, 0, 0, 9][...]               // not our MAC
                        case 4: bytes[6...11] = macs[1].bytes[...]                  // from a new place
                        case 5: bytes[6] = 3                                       // from a group MAC
                        case 6: bytes[52] &+= UInt8(1 + g.below(3))                // another total
                        case 7: bytes.removeLast(1 + g.below(bytes.count - 50))    // cut short
                        case 8: bytes[18] |= FLIPFlags.bigEndian.rawValue          // misread order
                        case 9: interface = 1; bytes[0...5] = myMACs[1].bytes[...] // the untrusted side
                        case 10: bytes[24...31] = addresses[g.below(2)].bytes[...]  // from ourselves
                        default: bytes[32...39] = FLIPAddress.null.bytes[...]        // no source
                        }
                    }
                    for b in [fast, slow] { b.receive(frame: bytes, on: InterfaceID(rawValue: interface), now: now) }
                    if k == sending[m].next { sending[m].next += 1 }
                }
                if sending[m].next >= frames.count { sending.remove(at: m) }
            }
            let a = CommonFrameTests.snapshot(fast) + Self.peers(fast)
            let b = CommonFrameTests.snapshot(slow) + Self.peers(slow)
            if a != b {
                let k = a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
                Issue.record("step \(step): \(k < a.count ? a[k] : "-") != \(k < b.count ? b[k] : "-")")
                return
            }
        }
        if seed == 3 {
            #expect(fast.straightFragments == 0)
        } else {
            #expect(fast.straightFragments > 500)
        }
        #expect(fast.statistics.messagesDelivered > 50)
    }
}
