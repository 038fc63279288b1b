// FLIP addresses: the 64-bit names FLIP routes on.
//
// FLIP names endpoints, not machines: an endpoint listens on the public
// address flip_oneway(private), and the FLIP box of each node finds where an
// address lives by broadcasting LOCATE and learning from HEREIS replies and
// from the source of traffic it sees. Above FLIP sits RPC; below it, any
// link that carries Ethernet frames. This module holds no I/O: the box is
// fed frames and the time, and hands back frames to send and messages to
// deliver.
//
// An address is eight raw bytes; the last is the "space" byte (0 for every
// address in use today). Only whoever knows the private address can listen
// on the public one, because the one-way function is DES with the private
// address as key: knowing the public address does not let anyone intercept
// traffic meant for it.

import AmoebaCore

public struct FLIPAddress: Hashable, Sendable {
    public static let size = 8

    /// The null address: "nobody" as a source, "everybody" as a multicast
    /// destination (a broadcast).
    public static let null = FLIPAddress(packed: 0)

    /// Byte i lives in bits 8i..8i+7, so equality and hashing are one word.
    @usableFromInline var packed: UInt64

    @inlinable init(packed: UInt64) { self.packed = packed }

    /// An address from exactly eight bytes; nil for any other count.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == FLIPAddress.size else { return nil }
        var v: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes {
            v |= UInt64(b) << shift
            shift += 8
        }
        packed = v
    }

    /// The eight bytes read as one little-endian integer (byte 0 lowest):
    /// how the codecs move an address with no array in between.
    @inlinable public init(littleEndianBits bits: UInt64) { self.init(packed: bits) }

    /// The eight bytes as one little-endian integer (byte 0 lowest).
    @inlinable public var littleEndianBits: UInt64 { packed }

    /// Sixteen hex digits, optionally with `:` between bytes.
    public init?(hex: String) {
        guard let b = Hex.decode(hex), b.count == FLIPAddress.size else { return nil }
        self.init(bytes: b)
    }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(FLIPAddress.size)
        for i in 0..<FLIPAddress.size { out.append(self[i]) }
        return out
    }

    public subscript(i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: packed >> UInt64(8 * (i & 7)))
    }

    /// Lower-case hex, two digits a byte: `d70d52d1b9d01900`.
    public var hex: String { Hex.encode(bytes) }

    public var isNull: Bool { packed == 0 }

    /// Byte 7, the address space.
    public var space: UInt8 {
        get { self[7] }
        set { packed = (packed & 0x00FF_FFFF_FFFF_FFFF) | UInt64(newValue) << 56 }
    }

    /// The address with its space byte cleared.
    private var withoutSpace: FLIPAddress {
        var a = self
        a.space = 0
        return a
    }

    /// The public address an endpoint holding this private address listens
    /// on. An address that is null apart from its space byte maps to itself.
    /// The space byte passes through unchanged; the DES output's own last
    /// byte is discarded, and should the other seven come out zero, the
    /// output is encrypted once more so that no real address goes public
    /// as null.
    public var publicAddress: FLIPAddress {
        if withoutSpace.isNull { return self }
        var result = FLIPAddress.encryptZeroBlock(key: self)
        result.space = 0
        if result.isNull { result = FLIPAddress.encryptZeroBlock(key: result) }
        result.space = space
        return result
    }

    /// DES of the zero block under `key`, as Amoeba's DES library numbers
    /// bits: bit 1 of the standard is the least significant bit of byte 0
    /// (not the most significant, as FIPS writes it). So every byte of the
    /// key goes in, and every byte of the result comes out, bit-reversed.
    private static func encryptZeroBlock(key: FLIPAddress) -> FLIPAddress {
        let zero = [UInt8](repeating: 0, count: 8)
        let out = DES.encrypt(block: zero, key: key.bytes.map(reversedBits))
        return FLIPAddress(bytes: out.map(reversedBits))!
    }

    private static func reversedBits(_ b: UInt8) -> UInt8 {
        var v = b, r: UInt8 = 0
        for _ in 0..<8 {
            r = r << 1 | (v & 1)
            v >>= 1
        }
        return r
    }

    /// A fresh random private address in space 0. Never null.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> FLIPAddress {
        while true {
            let a = FLIPAddress(packed: generator.next() & 0x00FF_FFFF_FFFF_FFFF)
            if !a.isNull { return a }
        }
    }
}
