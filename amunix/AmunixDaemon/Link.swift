// A link is one network attachment of the daemon: one FLIP interface.
//
// The FLIP box thinks in Ethernet frames on interfaces; a link is whatever
// carries those frames in and out of this Linux host, a raw interface
// through libpcap or Ethernet frames wrapped in UDP datagrams. The event
// loop polls each link's descriptor and, when it is readable, drains every
// frame waiting. Frames to send are queued during a turn of the loop and
// flushed together at its end (see FrameBatch); sending never blocks (a
// frame that cannot go out now is dropped and counted, which the RPC layer
// above recovers from, just as it recovers from loss on a real wire).

import FLIP
import SegmentSeal
#if canImport(Glibc)
import Glibc
#endif

public protocol Link: AnyObject {
    /// The text it was configured with, for logs.
    var name: String { get }
    /// The Ethernet address this host uses on the link.
    var mac: EthernetAddress { get }
    /// Readable when frames are waiting.
    var pollDescriptor: Int32 { get }
    /// Queues one whole Ethernet frame for the link; it leaves at the next
    /// `flush` at the latest.
    func send(_ frame: [UInt8])
    /// Puts every queued frame on the link, in order.
    func flush()
    /// Hands every frame waiting to `handler`, without blocking.
    func receiveAll(_ handler: ([UInt8]) -> Void)
    func close()
    /// Frames that could not be sent or received (socket errors).
    var errors: Int { get }
    /// A keyed link's seal counters; nil for a link without a key.
    var sealStatistics: SealStatistics? { get }
}

extension Link {
    public var sealStatistics: SealStatistics? { nil }
}

/// Why a link could not be opened.
public struct LinkError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }

    static func system(_ what: String) -> LinkError {
        LinkError("\(what): \(String(cString: strerror(errno)))")
    }
}

/// A random, locally administered unicast MAC for links that have no card.
public func randomLocalMAC<G: RandomNumberGenerator>(using g: inout G) -> EthernetAddress {
    var b = (0..<6).map { _ in UInt8.random(in: 0...255, using: &g) }
    b[0] = (b[0] & 0xFC) | 0x02
    return EthernetAddress(bytes: b)!
}

/// Whether a frame's source address is `mac` (our own frame looped back).
func isOwnFrame(_ frame: [UInt8], mac: EthernetAddress) -> Bool {
    guard frame.count >= 12 else { return false }
    let m = mac.bytes
    for i in 0..<6 where frame[6 + i] != m[i] { return false }
    return true
}
