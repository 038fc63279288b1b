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
// What the guards make of a frame's first forty bytes is remembered for
// the next frame that starts the same way (FLIPBox+ArrivalPath.swift).
//
// What the frame does to the box is done by the general path's own steps
// (`claim`, `routeBecameKnown`, the delivery), so the rules stay in one
// place: a claim from a new place is still only a candidate
// (RouteChallenge.swift), an untrusted interface still marks the packet
// UNSAFE, hop limits are still checked. The guards only pick the frames
// for which the general path's other steps are known to do nothing: no
// credit is owed for a frame of a one-frame message (FlowControl.swift),
// nothing is half reassembled, the data fits the frame. One step has a
// shortcut of its own: a frame from the place the last one came from
// refreshes that route through a remembered handle (`HeardPath`), when
// the claim would have done nothing but mark the route heard and used.
//
// That refresh does not touch the table. Writing two times into a list
// that is the value of a dictionary cost two uniqueness checks and the
// dictionary's in-place access, some ninety instructions a frame, and the
// send that follows (an acknowledgement, the next request) wrote its use
// the same way. The heard path keeps what the table would say of its
// route instead: the distance and trust, which stay while the table's
// generation does, and lower bounds on the route's last use and the other
// routes' (uses only move later); with them it decides as the claim
// would, or, when a bound is too old to decide, leaves the frame to the
// claim. The times it marks are held back (`FLIPBox.heardPending`) and
// written before anything else reads or changes the table (`FLIPBox.routes`),
// so every other reader sees the table as if each frame had touched it.

import AmoebaCore

/// Where the last frame came from, its route in the table, and what the
/// table says of that route (`RoutingTable.summary`).
struct HeardPath {
    var address: FLIPAddress
    var interface: Int
    var location: EthernetAddress
    var route: RouteHandle
    /// When the route was last marked heard (and used) through this path.
    var at: Instant
    /// The route's last use, or earlier; held back while `heardPending`.
    var used: Instant
    var hops: UInt16
    var trusted: Bool
    /// The oldest last use of the address's other routes, or earlier.
    var othersUsed: Instant

    /// Whether a claim for `source` from this place, `hops` away and
    /// `trusted` or not, would only refresh this path's route, the table
    /// being as it was: the same address and place, no shorter, the same
    /// trust.
    @inline(__always)
    func serves(_ source: FLIPAddress, interface: Int, location: EthernetAddress, hops: UInt16, trusted: Bool) -> Bool {
        address == source && self.interface == interface && self.location == location && hops >= self.hops
            && trusted == self.trusted
    }
}

extension FLIPBox {
    /// Where the data of a DATA frame starts: Ethernet header, fragment
    /// control pair, FLIP header.
    static let commonDataStart = EthernetFrame.headerSize + FragmentControl.size + FLIPHeader.size

    /// Bytes 12 to 19 of the common frame read as one little-endian word:
    /// EtherType 0x8146 (big-endian on the wire), fragment type DATA, (the
    /// credit count, any), FLIP version 1, type UNIDATA, the BIGENDIAN flag
    /// clear, (the rest of the flags and the reserved byte, any).
    static let commonMask: UInt64 = 0x0001_FFFF_00FF_FFFF
    static let commonWord: UInt64 = 0x0000_0301_0000_4681

    /// The length of the message in `bytes` if it may be the common frame,
    /// by its sizes alone: a frame holding the FLIP header and a whole
    /// message, in one fragment. Inlined into `receive`, so that every
    /// other frame (the fragments of a long message) is turned away for a
    /// handful of instructions. What the frame is (a little-endian
    /// UNIDATA data frame) is for the remembered headers (FLIPBox+ArrivalPath.swift)
    /// or `learnArrival` to say.
    @inline(__always)
    static func commonLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= commonDataStart else { return nil }
        let (sizes, total) = bytes.withUnsafeBytes { b in
            let p = UnsafeRawPointer(b.baseAddress!)
            return (UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 44, as: UInt64.self)),
                    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 52, as: UInt32.self)))
        }
        // Offset 0 and length the total: one fragment, the whole message.
        let length = UInt32(truncatingIfNeeded: sizes)
        guard sizes >> 32 == 0, length == total, Int(length) <= bytes.count - commonDataStart else { return nil }
        return Int(length)
    }

    /// What the common frame and the common fragment read alike, at fixed
    /// offsets of `bytes` (at least `commonDataStart` long; 16 is the FLIP
    /// header), and the guards they share on it: sent to our station on
    /// interface `i` from another that is not a group, within the hop
    /// limits, between FLIP addresses that are not null. nil when any
    /// guard fails.
    @inline(__always)
    func commonArrival(_ bytes: [UInt8], on i: Int)
        -> (me: Interface, location: EthernetAddress, actualHops: UInt16, flags: FLIPFlags,
            destination: FLIPAddress, source: FLIPAddress)? {
        let (dst, src, flags, hops, to, from) = bytes.withUnsafeBytes { b in
            let p = UnsafeRawPointer(b.baseAddress!)
            return (FixedOffsets.loadLittleEndianBits(p, at: 0, count: 6),
                    FixedOffsets.loadLittleEndianBits(p, at: 6, count: 6),
                    FLIPFlags(rawValue: p.load(fromByteOffset: 18, as: UInt8.self)),
                    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 20, as: UInt32.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
                    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 32, as: UInt64.self)))
        }
        let me = interfaces[i]
        let location = EthernetAddress(littleEndianBits: src)
        guard EthernetAddress(littleEndianBits: dst) == me.mac, location != me.mac, !location.isGroup else {
            return nil
        }
        let actualHops = UInt16(truncatingIfNeeded: hops), maximumHops = UInt16(truncatingIfNeeded: hops >> 16)
        guard actualHops <= maximumHops, maximumHops <= configuration.maxHops else { return nil }
        let destination = FLIPAddress(littleEndianBits: to), source = FLIPAddress(littleEndianBits: from)
        guard !source.isNull, !destination.isNull else { return nil }
        return (me, location, actualHops, flags, destination, source)
    }

    /// Handles `bytes`, for which `commonLength` answered `length`, if it
    /// is the common frame, arriving on interface `i` (which exists): its
    /// delivery, not yet made; nil, with nothing done, otherwise.
    // Inlined into `arrive`: as a call of its own, passing the frame in and
    // the delivery back through memory cost some twenty instructions a frame.
    @inline(__always)
    func receiveCommon(_ bytes: [UInt8], length: Int, on i: Int) -> CommonDelivery? {
        guard length <= commonLimit, reassembler.partial.isEmpty,
              arrivalRemembered(bytes, on: i) || learnArrival(bytes, on: i) else { return nil }
        // From here on, what the general path does for this frame. The
        // remembered path is read where it is used, not held in registers
        // across the calls the rare branches make.
        hear(arrivalPath.source, Arrival(interface: i, location: arrivalPath.location, order: .little),
             hops: arrivalPath.hops, trusted: arrivalPath.trusted, served: arrivalPath.heard)
        if !arrivalPath.heard { noteArrivalHeard() }
        if !locator.pending.isEmpty { routeBecameKnown(arrivalPath.source) }
        statistics.messagesDelivered &+= 1
        statistics.reassembliesActive = 0
        return CommonDelivery(endpoint: EndpointID(rawValue: arrivalPath.endpoint), source: arrivalPath.source,
                              destination: arrivalPath.destination, length: length)
    }

    /// The common frame's delivery as an event, after the others.
    // `deliver`, spelled out: through it the delivery was copied into its
    // event and the original destroyed (its frame retained and released),
    // some seventy instructions a frame.
    @inline(__always)
    func queue(_ d: CommonDelivery, of bytes: [UInt8]) {
        events.append(.deliver(FLIPDelivery(endpoint: d.endpoint, source: d.source, destination: d.destination,
                                            payload: bytes[d.range], isMulticast: false)))
    }

    /// The claim a frame makes for its source: from the place the last
    /// frame came from, usually only a refresh of that route's times,
    /// which the heard path makes without touching the table: when the
    /// table is as it was (its generation), no route of the address can
    /// have expired (the claim would drop it), and the distance is no
    /// shorter and the trust the same (the claim would change them).
    /// `served`: the caller knows the heard path `serves` this claim.
    @inline(__always)
    func hear(_ source: FLIPAddress, _ a: Arrival, hops: UInt16, trusted: Bool, served: Bool = false) {
        if let h = heardPath,
           served || h.serves(source, interface: a.interface, location: a.location, hops: hops, trusted: trusted),
           table.isCurrent(h.route), now - min(h.used, h.othersUsed) <= table.lifetime {
            heardPath!.at = now
            heardPath!.used = now
            heardPending = true
            return
        }
        hearAnew(source, a, hops: hops, trusted: trusted)
    }

    /// The claim `hear` makes when the heard path does not serve: out of
    /// line, so that the refresh's callers keep their registers.
    @inline(never)
    func hearAnew(_ source: FLIPAddress, _ a: Arrival, hops: UInt16, trusted: Bool) {
        var handle: RouteHandle?
        claim(source, a, hops: hops, trusted: trusted, handle: &handle)
        // `claim` read the table, so nothing is held back for the old path;
        // the new one serves whom it serves (FLIPBox+ArrivalPath.swift,
        // FLIPBox+CommonSend.swift).
        arrivalPath.heard = false
        sendPath?.heard = false
        heardPath = handle.flatMap { route in
            routes.summary(route).map {
                HeardPath(address: source, interface: a.interface, location: a.location, route: route, at: now,
                          used: $0.used, hops: $0.hops, trusted: $0.trusted, othersUsed: $0.othersUsed)
            }
        }
    }

    /// Writes the route times the heard path holds back into the table.
    @inline(never)
    func writeHeardPath() {
        heardPending = false
        guard let h = heardPath else { return }
        table.touch(h.route, heard: h.at, used: h.used)
    }

    /// The id of the one endpoint listening on `address`, if exactly one
    /// does and none listens on `other`; nil otherwise. One pass over the
    /// addresses, read in place.
    @inline(__always)
    func soleListener(on address: FLIPAddress, unlessLocal other: FLIPAddress) -> Int? {
        endpoints.soleIndex(of: address, unless: other).map { endpoints.ids[$0] }
    }
}
