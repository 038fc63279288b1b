// Ports: the 48-bit names of services.
//
// A server listens on a secret get-port G and tells the world its put-port
// F(G), where F is the one-way function in `OneWay.swift`. Knowing a
// put-port lets you send requests; only the holder of G can receive them.
// The same 6-byte type also serves as the check field of a capability.

/// Six raw bytes, compared and hashed as one value.
public struct Port: Hashable, Sendable {
    public static let size = 6

    /// Byte i of the port lives in bits 8i..8i+7.
    @usableFromInline var packed: UInt64

    // Computed and inlinable, so a use is the constant: a stored static
    // was read through its addressor (a call and a once-check), several
    // times a transaction in the protocol machines.
    @inlinable public static var null: Port { Port(packed: 0) }

    @inlinable init(packed: UInt64) { self.packed = packed & 0xFFFF_FFFF_FFFF }

    /// A port from exactly six bytes; nil for any other count.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        guard bytes.count == Port.size else { return nil }
        var v: UInt64 = 0
        var shift: UInt64 = 0
        for b in bytes {
            v |= UInt64(b) << shift
            shift += 8
        }
        self.packed = v
    }

    /// A fresh random port. Never the null port.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> Port {
        while true {
            let p = Port(packed: generator.next())
            if !p.isNull { return p }
        }
    }

    public var isNull: Bool { packed == 0 }

    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Port.size)
        for i in 0..<Port.size { out.append(self[i]) }
        return out
    }

    public subscript(i: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: packed >> UInt64(8 * i))
    }

    /// This port with byte `i` replaced by `value`.
    public func replacing(byte i: Int, with value: UInt8) -> Port {
        let shift = UInt64(8 * i)
        return Port(packed: (packed & ~(0xFF << shift)) | UInt64(value) << shift)
    }

    /// The put-port of this get-port: `F(self)`.
    public var putPort: Port { OneWay.apply(self) }

    /// Lower-case hex, two digits a byte, no separators: `0d6e00b12afe`.
    public var hex: String { Hex.encode(bytes) }

    /// Parses 12 hex digits, optionally with `:` between bytes.
    public init?(hex: String) {
        guard let b = Hex.decode(hex), b.count == Port.size else { return nil }
        self.init(bytes: b)
    }
}

extension Port {
    /// A port from its six bytes read as one little-endian integer (byte 0
    /// lowest; bits above 48 ignored). Lets a kernel move a header's ports
    /// across the user boundary with a few word loads instead of byte loops.
    @inlinable public init(littleEndianBits bits: UInt64) { self.init(packed: bits) }

    /// The six bytes as one little-endian integer (byte 0 lowest).
    @inlinable public var littleEndianBits: UInt64 { packed }
}

/// A port interpolated into a log line or a message reads as its hex, as
/// the tools print it, not as the packed integer Swift would show.
extension Port: CustomStringConvertible {
    public var description: String { hex }
}
