// What the box hands back to whoever drives it.
//
// The box does no I/O: every frame to send, every message to deliver and
// every message it had to give up on becomes an event, drained by the
// driver with `takeEvents()`. Interfaces and endpoints are named by small
// integer ids the box hands out, so the driver never holds box internals.

import AmoebaCore

/// One network interface of a box (one Ethernet card).
public struct InterfaceID: Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}

/// One FLIP endpoint registered with a box (one RPC or group user).
public struct EndpointID: Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
}

public enum FLIPEvent: Sendable {
    /// A whole Ethernet frame (14-byte header, type 0x8146, fragment
    /// control, FLIP header, data) to put on the interface's link.
    case transmit(interface: InterfaceID, frame: [UInt8])
    /// A whole reassembled message for a local endpoint.
    case deliver(FLIPDelivery)
    /// A message sent by `endpoint` could not be delivered.
    case undeliverable(endpoint: EndpointID, destination: FLIPAddress, messageID: UInt32,
                       reason: FLIPUndeliverableReason)
}

extension FLIPEvent {
    /// The local endpoint a delivery or a report is for; nil for a frame
    /// to transmit. Read in place, so a driver routes an event by it
    /// without copying what the event carries.
    public var endpoint: EndpointID? {
        switch self {
        case .transmit: return nil
        case .deliver(let d): return d.endpoint
        case .undeliverable(let e, _, _, _): return e
        }
    }
}

/// A whole message for a local endpoint. The message is a view: of the
/// frame it came in, of the buffer it was reassembled in, or of the
/// sender's own buffer for a local delivery. A message in one frame thus
/// reaches its endpoint with no copy made; a user that wants an array of
/// its own asks for `message`.
public struct FLIPDelivery: Sendable {
    public var endpoint: EndpointID
    public var source: FLIPAddress
    public var destination: FLIPAddress
    /// The message in place, or its first part when `body` is not empty.
    /// Its indices are those of what holds it: they need not start at 0.
    public var payload: ArraySlice<UInt8>
    /// The rest of the message when it comes in two buffers: only to an
    /// endpoint registered with a head size (`FLIPBox.register`), and then
    /// `payload` is exactly that many bytes. Empty otherwise.
    public var body: [UInt8] = []
    public var isMulticast: Bool
    /// The message came in more than one fragment. Amoeba's RPC
    /// acknowledges such a request as soon as it is whole, so its client
    /// need not ask whether the many frames arrived.
    public var wasFragmented: Bool

    public init(endpoint: EndpointID, source: FLIPAddress, destination: FLIPAddress,
                message: [UInt8], isMulticast: Bool, wasFragmented: Bool = false) {
        self.init(endpoint: endpoint, source: source, destination: destination, payload: message[...],
                  isMulticast: isMulticast, wasFragmented: wasFragmented)
    }

    public init(endpoint: EndpointID, source: FLIPAddress, destination: FLIPAddress,
                payload: ArraySlice<UInt8>, isMulticast: Bool, wasFragmented: Bool = false) {
        self.endpoint = endpoint
        self.source = source
        self.destination = destination
        self.payload = payload
        self.isMulticast = isMulticast
        self.wasFragmented = wasFragmented
    }

    /// The message as an array indexed from 0: no copy when the view is
    /// all of its buffer (a reassembled message), one otherwise; the two
    /// parts joined when it comes in two.
    public var message: [UInt8] {
        get {
            guard !body.isEmpty else { return Array(payload) }
            var m = [UInt8]()
            m.reserveCapacity(payload.count + body.count)
            m.append(contentsOf: payload)
            m.append(contentsOf: body)
            return m
        }
        set {
            payload = newValue[...]
            body = []
        }
    }
}

public enum FLIPUndeliverableReason: Sendable, Equatable {
    /// Locating the destination gave up (or no route fit the constraints).
    case unreachable
    /// A NOTHERE came back: the destination is gone from where it was.
    case notHere
}
