// Writing addresses and headers straight into a frame being built.
//
// Every frame the box sends used to pass through a handful of short-lived
// arrays: each address's `bytes`, the fragment control, the FLIP header's
// own 40-byte array, all copied once more into the frame. Those are a few
// allocations per frame, which on a small machine (the kernel node under
// TCG) cost more than the copying itself. These append the same bytes to
// the frame's one array (or a BufferWriter) in place; the wire format is
// the one `encoded()` produces, which the tests pin down.

import AmoebaCore

extension FLIPAddress {
    /// Appends the eight address bytes, first byte first.
    @inline(__always)
    func append(to out: inout [UInt8]) {
        var v = packed
        for _ in 0..<FLIPAddress.size {
            out.append(UInt8(truncatingIfNeeded: v))
            v >>= 8
        }
    }
}

extension EthernetAddress {
    /// Appends the six address bytes, first byte first.
    @inline(__always)
    func append(to out: inout [UInt8]) {
        for i in 0..<EthernetAddress.size { out.append(self[i]) }
    }
}

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
    /// Appends the 40 wire bytes in `order` (what `encoded(order)` returns).
    func append(to out: inout [UInt8], order: ByteOrder) {
        var f = flags.subtracting(.bigEndian)
        if order == .big { f.insert(.bigEndian) }
        out.append(FLIPHeader.version)
        out.append(type)
        out.append(f.rawValue)
        out.append(reserved)
        FLIPHeader.append(UInt32(actualHops), bytes: 2, order, to: &out)
        FLIPHeader.append(UInt32(maximumHops), bytes: 2, order, to: &out)
        destination.append(to: &out)
        source.append(to: &out)
        FLIPHeader.append(messageID, bytes: 4, order, to: &out)
        FLIPHeader.append(length, bytes: 4, order, to: &out)
        FLIPHeader.append(offset, bytes: 4, order, to: &out)
        FLIPHeader.append(total, bytes: 4, order, to: &out)
    }

    @inline(__always)
    private static func append(_ v: UInt32, bytes n: Int, _ order: ByteOrder, to out: inout [UInt8]) {
        for k in 0..<n {
            let shift = UInt32(order == .little ? 8 * k : 8 * (n - 1 - k))
            out.append(UInt8(truncatingIfNeeded: v >> shift))
        }
    }
}
