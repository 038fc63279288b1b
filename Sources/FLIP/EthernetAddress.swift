// Ethernet addresses, as FLIP's Ethernet driver uses them.
//
// FLIP over Ethernet needs three kinds of link address: an interface's own
// (unicast frames are only for it), the broadcast address (LOCATE and
// broadcast MULTIDATA), and a multicast address per FLIP group address, so
// a member's network card can filter group traffic in hardware. Amoeba
// derives the multicast address from the FLIP address: 55:55 followed by
// bytes 2 to 5 of the address.

import AmoebaCore

public struct EthernetAddress: Hashable, Sendable {
    public static let size = 6
    public static let broadcast = EthernetAddress(packed: 0xFFFF_FFFF_FFFF)

    /// Byte i lives in bits 8i..8i+7.
    private var packed: UInt64

    private init(packed: UInt64) { self.packed = packed & 0xFFFF_FFFF_FFFF }

    /// The six bytes read as one little-endian integer (byte 0 lowest).
    init(littleEndianBits bits: UInt64) { self.init(packed: bits) }

    var littleEndianBits: UInt64 { packed }

    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == EthernetAddress.size else { return nil }
        var v: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes {
            v |= UInt64(b) << shift
            shift += 8
        }
        packed = v
    }

    /// The multicast address Amoeba assigns to FLIP group address `address`.
    public static func multicast(for address: FLIPAddress) -> EthernetAddress {
        EthernetAddress(bytes: [0x55, 0x55, address[2], address[3], address[4], address[5]])!
    }

    public subscript(i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: packed >> UInt64(8 * (i % EthernetAddress.size)))
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(EthernetAddress.size)
        for i in 0..<EthernetAddress.size { out.append(self[i]) }
        return out
    }

    /// True for broadcast and multicast addresses (the group bit of byte 0).
    public var isGroup: Bool { self[0] & 1 != 0 }

    public var isBroadcast: Bool { self == .broadcast }

    /// `02:00:00:00:00:01` style text.
    public var text: String { Hex.encode(bytes, separator: ":") }
}
