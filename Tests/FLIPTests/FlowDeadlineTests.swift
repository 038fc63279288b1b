import Testing
import AmoebaCore
@testable import FLIP

/// Flow control's next deadline comes from the stalled peers alone: a
/// server that talks to hundreds of peers must not walk them all each
/// time the driver asks when to wake. These pin what the deadline is as
/// peers stall, get credit, are asked and are given up on.
@Suite struct FlowDeadlineTests {
    let t0 = Instant(microseconds: 5_000_000)
    let me = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!

    func peer(_ n: UInt8) -> PeerKey { PeerKey(interface: 0, location: EthernetAddress(bytes: [2, 0, 0, 0, 1, n])!) }

    /// A frame of a message longer than one frame: it costs credit.
    func bigFrame(_ id: UInt32) -> FLIPHeader {
        FLIPHeader(type: .unidata, maximumHops: 4, destination: FLIPAddress(littleEndianBits: 9),
                   source: FLIPAddress(littleEndianBits: 8), messageID: id, length: 100, total: 30_000)
    }

    /// Sends `frames` credit-costing frames to `p` at `now`.
    func send(_ flow: inout FlowControl, _ frames: Int, to p: PeerKey, now: Instant,
              statistics: inout FLIPStatistics, out: inout [OutgoingFrame]) {
        for i in 0..<frames {
            flow.send(bigFrame(UInt32(i)), data: [UInt8](repeating: 0, count: 100)[...], to: p, from: me, now: now,
                      statistics: &statistics, out: &out)
        }
    }

    @Test func onlyStalledPeersSetTheDeadline() {
        var config = FLIPConfiguration()
        config.initialCredit = 2
        var flow = FlowControl(configuration: config)
        var stats = FLIPStatistics()
        var out: [OutgoingFrame] = []
        // Many peers served within their credit: nothing to wait for.
        for n in 0..<100 { send(&flow, 2, to: peer(UInt8(n)), now: t0, statistics: &stats, out: &out) }
        #expect(flow.peers.count == 100)
        #expect(flow.nextDeadline == nil)
        #expect(out.count == 200)
        // Two peers stall, 10 ms apart: the earlier one's ask comes first.
        send(&flow, 1, to: peer(3), now: t0, statistics: &stats, out: &out)
        send(&flow, 1, to: peer(7), now: t0 + .milliseconds(10), statistics: &stats, out: &out)
        let ask = config.creditRequestInterval
        #expect(flow.nextDeadline == t0 + ask)
        // Peer 3 returns credit: its queue drains and peer 7 is next.
        flow.receiveCredit(2, absolute: false, from: peer(3), source: me, now: t0 + .milliseconds(20),
                           statistics: &stats, out: &out)
        #expect(flow.nextDeadline == t0 + .milliseconds(10) + ask)
        // Peer 7 never answers: asked every interval, then given up on.
        var now = t0 + .milliseconds(10) + ask
        for _ in 0..<config.maxCreditRequests {
            flow.tick(now: now, sources: { _ in me }, statistics: &stats, out: &out)
            #expect(flow.nextDeadline == now + ask)
            now = now + ask
        }
        #expect(stats.creditRequestsSent == config.maxCreditRequests)
        flow.tick(now: now, sources: { _ in me }, statistics: &stats, out: &out)
        #expect(stats.dropped(.creditTimeout) == 1)
        #expect(flow.nextDeadline == nil)
    }

    @Test func aForgottenPeerTakesItsDeadlineWithIt() {
        var config = FLIPConfiguration()
        config.initialCredit = 1
        config.maxPeers = 2
        var flow = FlowControl(configuration: config)
        var stats = FLIPStatistics()
        var out: [OutgoingFrame] = []
        send(&flow, 2, to: peer(1), now: t0, statistics: &stats, out: &out)
        send(&flow, 2, to: peer(2), now: t0 + .milliseconds(1), statistics: &stats, out: &out)
        #expect(flow.nextDeadline == t0 + config.creditRequestInterval)
        // A newcomer to a full table of stalled peers evicts the one left
        // alone longest, and its ask goes too.
        send(&flow, 1, to: peer(3), now: t0 + .milliseconds(2), statistics: &stats, out: &out)
        #expect(flow.peers[peer(1)] == nil)
        #expect(flow.nextDeadline == t0 + .milliseconds(1) + config.creditRequestInterval)
    }
}
