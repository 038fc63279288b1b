// The common frame's headers are remembered from the last one
// (FLIPBox+ArrivalPath.swift), and what was made of them is reused only
// while it still holds: an endpoint registered or dropped may change who
// listens on the address, and a claim from elsewhere makes the heard path
// another route's. Each case here fails if the remembered answer outlives
// what it was made from.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct ArrivalPathTests {
    typealias T = CommonFrameTests

    func box() -> (FLIPBox, InterfaceID, EndpointID, FLIPAddress) {
        let b = FLIPBox(configuration: FLIPConfiguration())
        let i = b.addInterface(mac: T.myMAC, trusted: true)
        let e = b.register(privateAddress: T.mine)
        return (b, i, e, b.address(of: e)!)
    }

    func deliveredTo(_ b: FLIPBox) -> [Int] {
        b.takeEvents().compactMap { if case .deliver(let d) = $0 { return d.endpoint.rawValue } else { return nil } }
    }

    /// A second endpoint on the same address: the frame is for both, so
    /// it goes the general way and reaches both.
    @Test func aNewListenerOnTheAddressIsSeen() throws {
        let (b, i, e, me) = box()
        for id: UInt32 in 1...2 {
            let d = try #require(b.receiveHandingBack(frame: T.frame(destination: me, messageID: id), on: i, now: .zero))
            #expect(d.endpoint == e)
        }
        let second = b.register(privateAddress: T.mine)
        #expect(b.receiveHandingBack(frame: T.frame(destination: me, messageID: 3), on: i, now: .zero) == nil)
        #expect(deliveredTo(b) == [e.rawValue, second.rawValue])
    }

    /// An endpoint dropped gets nothing more.
    @Test func aDroppedListenerGetsNothing() throws {
        let (b, i, e, me) = box()
        for id: UInt32 in 1...2 {
            _ = try #require(b.receiveHandingBack(frame: T.frame(destination: me, messageID: id), on: i, now: .zero))
        }
        b.unregister(e)
        #expect(b.receiveHandingBack(frame: T.frame(destination: me, messageID: 3), on: i, now: .zero) == nil)
        #expect(deliveredTo(b).isEmpty)
    }

    /// A frame off the straight path from another source makes the heard
    /// path that source's route: the next common frame from the remembered
    /// place refreshes its own route, not the other one.
    @Test func anotherSourceHeardMeanwhileIsNotRefreshedInstead() throws {
        let (b, i, _, me) = box()
        let other = FLIPAddress(hex: "5252525252525200")!
        _ = try #require(b.receiveHandingBack(frame: T.frame(destination: me, messageID: 1), on: i, now: .zero))
        _ = try #require(b.receiveHandingBack(frame: T.frame(destination: me, messageID: 2), on: i,
                                              now: .zero + .milliseconds(1)))
        // Big-endian: the general path, which claims for its source.
        let t2 = Instant.zero + .milliseconds(2)
        b.receive(frame: T.frame(from: T.strangerMAC, source: other, destination: me, messageID: 3, order: .big),
                  on: i, now: t2)
        _ = b.takeEvents()
        let t3 = Instant.zero + .milliseconds(3)
        _ = try #require(b.receiveHandingBack(frame: T.frame(destination: me, messageID: 4), on: i, now: t3))
        #expect(b.routes.routes[T.peer]?.first?.lastHeard == t3)
        #expect(b.routes.routes[other]?.first?.lastHeard == t2)
    }

    /// An interface the box does not have is refused, whatever is
    /// remembered (nothing: the path's interface is then -1) or not.
    @Test func anUnknownInterfaceIsRefused() throws {
        let (b, i, _, me) = box()
        let zeros = [UInt8](repeating: 0, count: 64)
        for bad in [-1, 1, Int.min] {
            #expect(b.receiveHandingBack(frame: zeros, on: InterfaceID(rawValue: bad), now: .zero) == nil)
        }
        _ = try #require(b.receiveHandingBack(frame: T.frame(destination: me), on: i, now: .zero))
        #expect(b.receiveHandingBack(frame: T.frame(destination: me), on: InterfaceID(rawValue: -1), now: .zero) == nil)
        #expect(b.statistics.dropped(.unknownInterface) == 4)
        #expect(deliveredTo(b).isEmpty)
    }
}
