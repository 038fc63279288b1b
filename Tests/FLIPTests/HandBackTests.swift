// The common frame's delivery handed back to the driver
// (FLIPBox+HandBack.swift): it must be exactly the delivery the box would
// have queued, and it must never overtake a delivery already queued, so
// that a batch of frames reaches its endpoints in the order it came.

import Testing
import AmoebaCore
@testable import FLIP
import TestSupport

@Suite struct HandBackTests {
    typealias C = CommonFrameTests

    /// The common frame comes back, naming its endpoint, sender and the
    /// message's place in the frame; nothing is queued, and the box
    /// counts and learns as when it queues.
    @Test func theCommonFrameComesBackInsteadOfBeingQueued() throws {
        let (b, i, e, me) = C().box()
        let frame = C.frame(destination: me, data: [7, 8, 9, 10])
        let d = try #require(b.receiveHandingBack(frame: frame, on: i, now: .zero))
        #expect(d.endpoint == e && d.source == C.peer && d.destination == me)
        #expect(Array(frame[d.range]) == [7, 8, 9, 10])
        #expect(b.pendingEvents == 0)
        #expect(b.statistics.framesIn == 1 && b.statistics.messagesDelivered == 1)
        #expect(b.routes.best(C.peer, budget: 25, now: .zero)?.location == C.peerMAC)
    }

    /// Handed back or queued, the same delivery: a box that queues it (the
    /// plain `receive`) gives the same endpoint, sender and bytes, and ends
    /// in the same state.
    @Test func handedBackIsWhatWouldHaveBeenQueued() throws {
        let (queued, qi, _, qme) = C().box()
        let (handed, hi, _, hme) = C().box()
        let frame = C.frame(destination: qme, data: [1, 2, 3, 4, 5])
        #expect(qme == hme)
        queued.receive(frame: frame, on: qi, now: .zero)
        let q = C().deliveries(queued)
        let h = try #require(handed.receiveHandingBack(frame: frame, on: hi, now: .zero))
        #expect(q.count == 1)
        #expect(q[0].endpoint == h.endpoint && q[0].source == h.source && q[0].destination == h.destination)
        #expect(Array(q[0].payload) == Array(frame[h.range]))
        #expect(queued.statistics.framesIn == handed.statistics.framesIn)
        #expect(queued.statistics.messagesDelivered == handed.statistics.messagesDelivered)
    }

    /// A delivery already waiting in the queue (a big-endian frame takes
    /// the general path) keeps its place: the common frame after it is
    /// queued behind it, not handed back ahead of it.
    @Test func aQueuedDeliveryIsNeverOvertaken() {
        let (b, i, _, me) = C().box()
        let first = C.frame(destination: me, messageID: 1, data: [1], order: .big)
        let second = C.frame(destination: me, messageID: 2, data: [2])
        #expect(b.receiveHandingBack(frame: first, on: i, now: .zero) == nil)
        #expect(b.receiveHandingBack(frame: second, on: i, now: .zero) == nil)
        let d = C().deliveries(b)
        #expect(d.map { Array($0.payload) } == [[1], [2]])
        // Once the queue is drained, the common frame comes back again.
        let third = C.frame(destination: me, messageID: 3, data: [3])
        #expect(b.receiveHandingBack(frame: third, on: i, now: .zero) != nil)
    }

    /// Anything but the common frame goes the usual way: a frame for
    /// nobody here is refused and counted, and nothing comes back.
    @Test func otherFramesGoTheUsualWay() {
        let (b, i, _, _) = C().box()
        let stranger = FLIPAddress(hex: "0909090909090900")!
        #expect(b.receiveHandingBack(frame: C.frame(destination: stranger), on: i, now: .zero) == nil)
        #expect(b.receiveHandingBack(frame: [1, 2, 3], on: i, now: .zero) == nil)
        #expect(b.receiveHandingBack(frame: C.frame(destination: stranger), on: InterfaceID(rawValue: 5),
                                     now: .zero) == nil)
        #expect(b.statistics.framesIn == 3)
        #expect(b.statistics.messagesDelivered == 0)
    }
}
