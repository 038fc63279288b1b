// Writing addresses and headers straight into a frame being built, and
// reading them out of one, at fixed offsets.
//
// Every frame the box sends used to pass through a handful of short-lived
// arrays (each address's `bytes`, the FLIP header's own 40-byte array),
// then through a byte-by-byte append. A frame is now one allocation whose
// fields are stored at their offsets; a header is read the same way once
// its length is checked. The wire format is the one the tests pin down.

import AmoebaCore

extension BufferWriter {
    /// The eight bytes of `address` (a kernel id, say), without an array in between.
    public mutating func write(_ address: FLIPAddress) throws(MarshalError) {
        try write(littleEndianBits: address.littleEndianBits, count: FLIPAddress.size)
    }
}

extension BufferReader {
    /// The next eight bytes as an address (a kernel id, say), with no array
    /// in between.
    public mutating func readFLIPAddress() throws(MarshalError) -> FLIPAddress {
        FLIPAddress(littleEndianBits: try readLittleEndianBits(FLIPAddress.size))
    }
}

extension FLIPHeader {
    /// Stores the 40 wire bytes in `order` at `p + o` (the caller made
    /// room): what `encoded(order)` returns.
    func store(_ p: UnsafeMutableRawPointer, at o: Int, order: ByteOrder) {
        if order == .little {
            // The order we send in: five little-endian words, where field
            // by field each integer asked the order again.
            let first = UInt64(FLIPHeader.version) | UInt64(type) << 8
                | UInt64(flags.subtracting(.bigEndian).rawValue) << 16 | UInt64(reserved) << 24
                | UInt64(actualHops) << 32 | UInt64(maximumHops) << 48
            p.storeBytes(of: first.littleEndian, toByteOffset: o, as: UInt64.self)
            p.storeBytes(of: destination.littleEndianBits.littleEndian, toByteOffset: o + 8, as: UInt64.self)
            p.storeBytes(of: source.littleEndianBits.littleEndian, toByteOffset: o + 16, as: UInt64.self)
            p.storeBytes(of: (UInt64(messageID) | UInt64(length) << 32).littleEndian, toByteOffset: o + 24,
                         as: UInt64.self)
            p.storeBytes(of: (UInt64(offset) | UInt64(total) << 32).littleEndian, toByteOffset: o + 32,
                         as: UInt64.self)
            return
        }
        var f = flags.subtracting(.bigEndian)
        if order == .big { f.insert(.bigEndian) }
        FixedOffsets.store(FLIPHeader.version, p, at: o)
        FixedOffsets.store(type, p, at: o + 1)
        FixedOffsets.store(f.rawValue, p, at: o + 2)
        FixedOffsets.store(reserved, p, at: o + 3)
        FixedOffsets.store(actualHops, p, at: o + 4, order)
        FixedOffsets.store(maximumHops, p, at: o + 6, order)
        FixedOffsets.store(littleEndianBits: destination.littleEndianBits, count: 8, p, at: o + 8)
        FixedOffsets.store(littleEndianBits: source.littleEndianBits, count: 8, p, at: o + 16)
        FixedOffsets.store(messageID, p, at: o + 24, order)
        FixedOffsets.store(length, p, at: o + 28, order)
        FixedOffsets.store(offset, p, at: o + 32, order)
        FixedOffsets.store(total, p, at: o + 36, order)
    }

    /// The header in the 40 bytes at `p + o`, which the caller checked are
    /// there and start with the version byte.
    static func load(_ p: UnsafeRawPointer, at o: Int) -> (header: FLIPHeader, order: ByteOrder) {
        let flags = FLIPFlags(rawValue: FixedOffsets.load8(p, at: o + 2))
        let order: ByteOrder = flags.contains(.bigEndian) ? .big : .little
        var h = FLIPHeader(type: .locate, flags: flags,
                           actualHops: FixedOffsets.load16(p, at: o + 4, order),
                           maximumHops: FixedOffsets.load16(p, at: o + 6, order),
                           destination: FLIPAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: o + 8, count: 8)),
                           source: FLIPAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: o + 16, count: 8)),
                           messageID: FixedOffsets.load32(p, at: o + 24, order),
                           length: FixedOffsets.load32(p, at: o + 28, order),
                           offset: FixedOffsets.load32(p, at: o + 32, order),
                           total: FixedOffsets.load32(p, at: o + 36, order))
        h.type = FixedOffsets.load8(p, at: o + 1)
        h.reserved = FixedOffsets.load8(p, at: o + 3)
        return (h, order)
    }
}
