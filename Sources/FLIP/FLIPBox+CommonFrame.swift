// The common arriving frame, handled in a straight line.
//
// Nearly every frame a node takes is the same kind: a little-endian
// UNIDATA data frame, one fragment long, for one of our own endpoints,
// from a neighbour whose route we know. Decoding it into an
// `EthernetFrame`'s parts, dispatching on its type and building a listener
// list cost the box over a thousand instructions a frame, most of it
// generality this frame never needs. Here it is read with a handful of
// fixed-offset loads and a short run of guards, in the seL4 manner: any
// guard that fails leaves the frame untouched to the general path
// (FLIPBox+Receive.swift), which handles everything, this frame included.
//
// What the frame does to the box is done by the general path's own steps
// (`claim`, `routeBecameKnown`, `deliver`), so the rules stay in one
// place: a claim from a new place is still only a candidate
// (RouteChallenge.swift), an untrusted interface still marks the packet
// UNSAFE, hop limits are still checked. The guards only pick the frames
// for which the general path's other steps are known to do nothing: no
// credit is owed for a frame of a one-frame message (FlowControl.swift),
// nothing is half reassembled, the data fits the frame.

import AmoebaCore

extension FLIPBox {
    /// Where the data of a DATA frame starts: Ethernet header, fragment
    /// control pair, FLIP header.
    static let commonDataStart = EthernetFrame.headerSize + FragmentControl.size + FLIPHeader.size

    /// Bytes 12 to 19 of the common frame read as one little-endian word:
    /// EtherType 0x8146 (big-endian on the wire), fragment type DATA, (the
    /// credit count, any), FLIP version 1, type UNIDATA, the BIGENDIAN flag
    /// clear, (the rest of the flags and the reserved byte, any).
    private static let commonMask: UInt64 = 0x0001_FFFF_00FF_FFFF
    private static let commonWord: UInt64 = 0x0000_0301_0000_4681

    /// Handles `bytes` if it is the common frame, arriving on interface
    /// `i` (which exists); false, with nothing done, otherwise.
    @inline(__always)
    func receiveCommon(_ bytes: [UInt8], on i: Int) -> Bool {
        let dataStart = FLIPBox.commonDataStart
        guard bytes.count >= dataStart else { return false }
        // Offsets past the Ethernet header: 16 is the FLIP header.
        let (dst, src, word, hops, to, from, sizes, total) = bytes.withUnsafeBytes { b in
            let p = UnsafeRawPointer(b.baseAddress!)
            return (FixedOffsets.loadLittleEndianBits(p, at: 0, count: 6),
                    FixedOffsets.loadLittleEndianBits(p, at: 6, count: 6),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt64.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 44, as: UInt64.self)),
                    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 52, as: UInt32.self)))
        }
        guard word & FLIPBox.commonMask == FLIPBox.commonWord else { return false }
        // Length and offset: one fragment, the whole message, in the frame.
        let length = UInt32(truncatingIfNeeded: sizes)
        guard sizes >> 32 == 0, length == total, Int(length) <= bytes.count - dataStart,
              Int(length) <= configuration.maxFragmentData else { return false }
        let me = interfaces[i]
        let location = EthernetAddress(littleEndianBits: src)
        guard EthernetAddress(littleEndianBits: dst) == me.mac, location != me.mac, !location.isGroup else {
            return false
        }
        let actualHops = UInt16(truncatingIfNeeded: hops), maximumHops = UInt16(truncatingIfNeeded: hops >> 16)
        guard actualHops <= maximumHops, maximumHops <= configuration.maxHops else { return false }
        let destination = FLIPAddress(littleEndianBits: to), source = FLIPAddress(littleEndianBits: from)
        guard !source.isNull, !destination.isNull, reassembler.partial.isEmpty,
              Int(length) <= reassembler.maxMessageSize,
              let endpoint = soleListener(on: destination, unlessLocal: source) else { return false }
        // From here on, what the general path does for this frame.
        let unsafe = !me.trusted || (word >> 48) & UInt64(FLIPFlags.unsafe.rawValue) != 0
        claim(source, Arrival(interface: i, location: location, order: .little), hops: max(actualHops, 1),
              trusted: !unsafe)
        routeBecameKnown(source)
        // `deliver`, spelled out: through it the delivery was copied into
        // its event and the original destroyed (its frame retained and
        // released), some seventy instructions a frame.
        statistics.messagesDelivered += 1
        events.append(.deliver(FLIPDelivery(endpoint: EndpointID(rawValue: endpoint), source: source,
                                            destination: destination,
                                            payload: bytes[dataStart..<(dataStart + Int(length))],
                                            isMulticast: false)))
        statistics.reassembliesActive = 0
        return true
    }

    /// The id of the one endpoint listening on `address`, if exactly one
    /// does and none listens on `other`; nil otherwise. One pass over the
    /// addresses, read in place.
    @inline(__always)
    func soleListener(on address: FLIPAddress, unlessLocal other: FLIPAddress) -> Int? {
        endpoints.soleIndex(of: address, unless: other).map { endpoints.ids[$0] }
    }
}
