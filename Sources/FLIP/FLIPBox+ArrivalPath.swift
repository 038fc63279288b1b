// The common frame's headers, remembered from the last one.
//
// A node takes frame after frame from the same neighbour for the same
// endpoint: requests and acknowledgements on a server, replies on a
// client. Their first forty bytes (the Ethernet header, the fragment
// control pair and the FLIP header up to and including the addresses)
// are the same every time; only the message id and the sizes that follow
// change. Reading those bytes field by field, running the common frame's
// guards on them (FLIPBox+CommonFrame.swift) and scanning the endpoints
// for the one listener cost about a hundred instructions a frame, for an
// answer that was the same as last time.
//
// The box remembers the last common frame's first forty bytes, the
// interface it came in on, and what the guards made of them (`ArrivalPath`):
// the endpoint, the place it came from, its distance and trust as the
// claim would take them. A frame whose bytes are the same, on the same
// interface, is answered from there with five compares. Every guard read
// only those bytes and things that do not change (the interface's station
// address and trust, the configuration), and the listener scan read the
// endpoints' addresses, which change only when an endpoint is registered
// or dropped: those forget the path. The guards on the sizes, on the
// reassembler and on the route times run for every frame, as before.
//
// The heard path (FLIPBox+CommonFrame.swift) is what the claim of such a
// frame usually refreshes; whether it belongs to this place, distance
// and trust is remembered too (`heard`), so its refresh checks only what
// moves: the table's generation and the route times. A claim that makes a
// new heard path forgets that.

import AmoebaCore

/// The last common frame's first 40 bytes, where it came in, and what the
/// common frame's guards made of them.
struct ArrivalPath {
    /// Bytes 0 to 39 of the frame, as loaded from memory.
    var head: (UInt64, UInt64, UInt64, UInt64, UInt64)
    /// The interface it came in on; -1 while nothing is remembered.
    var interface: Int
    /// The id of the endpoint it is for.
    var endpoint: Int
    var location: EthernetAddress
    /// The distance and trust its claim carries (`FLIPBox.hear`).
    var hops: UInt16
    var trusted: Bool
    /// Whether the heard path is known to be this one's: from this source
    /// and place, no farther, and as trusted (`HeardPath.serves`).
    var heard: Bool

    static let none = ArrivalPath(head: (0, 0, 0, 0, 0), interface: -1, endpoint: 0,
                                  location: EthernetAddress.broadcast, hops: 0, trusted: false, heard: false)

    var destination: FLIPAddress { FLIPAddress(littleEndianBits: UInt64(littleEndian: head.3)) }
    var source: FLIPAddress { FLIPAddress(littleEndianBits: UInt64(littleEndian: head.4)) }
}

extension FLIPBox {
    /// Whether `bytes` (at least `commonDataStart` long), arriving on
    /// interface `i`, begin as the remembered frame did.
    @inline(__always)
    func arrivalRemembered(_ bytes: [UInt8], on i: Int) -> Bool {
        let h = arrivalPath.head
        let differ = bytes.withUnsafeBytes { b in
            let p = UnsafeRawPointer(b.baseAddress!)
            return (p.loadUnaligned(fromByteOffset: 0, as: UInt64.self) ^ h.0)
                | (p.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ h.1)
                | (p.loadUnaligned(fromByteOffset: 16, as: UInt64.self) ^ h.2)
                | (p.loadUnaligned(fromByteOffset: 24, as: UInt64.self) ^ h.3)
                | (p.loadUnaligned(fromByteOffset: 32, as: UInt64.self) ^ h.4)
        }
        return differ == 0 && i == arrivalPath.interface
    }

    /// Runs the common frame's guards on the first 40 bytes of `bytes`
    /// (at least `commonDataStart` long), arriving on interface `i`, and
    /// remembers what they made of them; false, with nothing remembered
    /// anew, when a guard fails.
    @inline(never)
    func learnArrival(_ bytes: [UInt8], on i: Int) -> Bool {
        let (word, head) = bytes.withUnsafeBytes { b in
            let p = UnsafeRawPointer(b.baseAddress!)
            return (UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                    (p.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                     p.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                     p.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                     p.loadUnaligned(fromByteOffset: 24, as: UInt64.self),
                     p.loadUnaligned(fromByteOffset: 32, as: UInt64.self)))
        }
        guard word & FLIPBox.commonMask == FLIPBox.commonWord,
              let (me, location, actualHops, flags, destination, source) = commonArrival(bytes, on: i),
              let endpoint = soleListener(on: destination, unlessLocal: source) else { return false }
        let unsafe = !me.trusted || flags.contains(.unsafe)
        arrivalPath = ArrivalPath(head: head, interface: i, endpoint: endpoint, location: location,
                                  hops: max(actualHops, 1), trusted: !unsafe, heard: false)
        return true
    }

    /// Remembers whether the heard path serves the remembered arrival's
    /// claim, after `hear` took it.
    @inline(never)
    func noteArrivalHeard() {
        let a = arrivalPath
        arrivalPath.heard = heardPath?.serves(a.source, interface: a.interface, location: a.location,
                                              hops: a.hops, trusted: a.trusted) ?? false
    }
}
