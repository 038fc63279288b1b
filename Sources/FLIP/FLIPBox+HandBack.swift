// The common frame's message handed straight back to the driver.
//
// A delivery made into the box's event queue is moved in, moved out by
// the driver, switched on, handed to its endpoint's user and destroyed:
// on the common frame (FLIPBox+CommonFrame.swift) that trip cost about
// as much as the straight path itself, and the frame was retained and
// released for it. A driver that routes deliveries at once (the node,
// Sources/Node) asks instead for the common frame's message back, as a
// `CommonDelivery`: which endpoint, from whom, and where in the frame the
// message lies. It hands that view of the frame it already holds to the
// endpoint's user before it does anything else with the box.
//
// Only while the event queue is empty: a delivery queued earlier (from a
// frame the general path took in the same batch) must reach its user
// first, so then the common frame's delivery is queued behind it as
// usual. Frames in a batch are thus handled in the order they came,
// whichever path each took.

import AmoebaCore

/// A common frame's message, for its endpoint: unicast, in one
/// fragment, `length` bytes of the frame from `start`.
public struct CommonDelivery: Sendable {
    public var endpoint: EndpointID
    public var source: FLIPAddress
    public var destination: FLIPAddress
    public var length: Int
    /// Where the message starts in the common frame: after the Ethernet
    /// header, the fragment control pair and the FLIP header.
    public static var start: Int { FLIPBox.commonDataStart }
    /// Where in the frame the message lies.
    public var range: Range<Int> { CommonDelivery.start..<(CommonDelivery.start + length) }
}

extension FLIPBox {
    /// As `receive(frame:on:now:)`, but the common frame's delivery, when
    /// nothing waits in the event queue before it, comes back here instead
    /// of being queued: the caller must hand `frame[range]` to the
    /// endpoint's user before it touches the box again. nil when the
    /// frame went the usual way (its events, if any, queued).
    public func receiveHandingBack(frame bytes: [UInt8], on interfaceID: InterfaceID,
                                   now time: Instant) -> CommonDelivery? {
        arrive(bytes, on: interfaceID, now: time, handingBack: true)
    }
}
