// The common fragment, handled in a straight line.
//
// A message of several frames (a 30000-byte request: 21 of them) arrives
// as a first fragment, which starts its reassembly, and then fragment
// after fragment that only adds bytes to the end of it. Each of those
// went the general way (FLIPBox+Receive.swift): the headers decoded into
// their structs, the type dispatched on, a listener list built, the
// reassembly key hashed or compared through three layers of calls and
// the bytes placed by the general merge of covered ranges; some fifteen
// hundred instructions a frame besides the copy of its bytes.
//
// Here such a fragment is read with fixed-offset loads and a run of
// guards, as the common frame is (FLIPBox+CommonFrame.swift): a
// little-endian UNIDATA data frame of a message longer than a frame, for
// exactly one of our endpoints, from a source that is not ours, whose
// bytes continue the message the last fragment went into, in order, and
// do not complete it. Any guard that fails leaves the frame to the general
// path, which handles everything, this frame included; the first
// fragment (which starts the message) and the last (which delivers it)
// always go that way.
//
// What the frame does to the box is done by the general path's own
// steps, in its order: the frame counts towards the credit owed to its
// sender (FlowControl.swift), credit it carries is taken, its source is
// heard (`hear`, a claim as the general path makes it), then its bytes
// are appended. Frames flow control puts out go last, as there.

import AmoebaCore

extension FLIPBox {
    /// Handles `bytes`, arriving on interface `i` (which exists), if it is
    /// the common fragment; false, with nothing done, otherwise.
    func receiveFragment(_ bytes: [UInt8], on i: Int) -> Bool {
        let dataStart = FLIPBox.commonDataStart
        guard bytes.count >= dataStart else { return false }
        // The words this path reads besides what the common frame reads
        // (`commonArrival`): the link and FLIP header's first word, the
        // message id and length, the offset and total.
        let (word, idLength, offsetTotal) = bytes.withUnsafeBytes { b in
            let p = UnsafeRawPointer(b.baseAddress!)
            return (UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 40, as: UInt64.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 48, as: UInt64.self)))
        }
        let length = idLength >> 32, offset = offsetTotal & 0xFFFF_FFFF, total = offsetTotal >> 32
        // The frame's own guards: a little-endian UNIDATA data frame (the
        // common frame's word), bytes that lie within the message and the
        // frame, a message that costs credit (longer than a frame).
        guard word & FLIPBox.commonMask == FLIPBox.commonWord, length > 0, length <= UInt64(bytes.count - dataStart),
              offset + length <= total, total > UInt64(configuration.maxFragmentData) else { return false }
        guard let (me, location, actualHops, flags, destination, source) = commonArrival(bytes, on: i),
              soleListener(on: destination, unlessLocal: source) != nil else { return false }
        // The bytes go where the general path would put them, or the frame
        // goes to it.
        let key = ReassemblyKey(source: source, destination: destination,
                                messageID: UInt32(truncatingIfNeeded: idLength), isMulticast: false)
        // A view of the frame's bytes, not a slice: a slice would retain
        // and release the frame's storage for every fragment.
        let appended = bytes.withUnsafeBufferPointer { b in
            reassembler.appendInOrder(key, at: offset, total: total,
                                      fragment: UnsafeBufferPointer(rebasing: b[dataStart..<(dataStart + Int(length))]),
                                      now: now)
        }
        guard appended else { return false }
        // From here on, what the general path does for this frame.
        let peer = PeerKey(interface: i, location: location)
        var out = takeOutgoing()
        flow.arrived(from: peer, source: me.mac, statistics: &statistics, out: &out)
        let credit = UInt8(truncatingIfNeeded: word >> 24)
        if credit > 0 {
            flow.receiveCredit(credit, absolute: false, from: peer, source: me.mac, now: now,
                               statistics: &statistics, out: &out)
        }
        let unsafe = !me.trusted || flags.contains(.unsafe)
        hear(source, Arrival(interface: i, location: location, order: .little), hops: max(actualHops, 1),
             trusted: !unsafe)
        if !locator.pending.isEmpty { routeBecameKnown(source) }
        statistics.reassembliesActive = reassembler.partial.count
        emit(reusing: &out)
        straightFragments &+= 1
        return true
    }
}
