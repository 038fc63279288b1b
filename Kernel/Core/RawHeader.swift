// The 32-byte Amoeba header read from and written to raw memory, without
// the intermediate arrays the general BufferReader/BufferWriter codec
// builds. The system call path moves a header across the user/kernel
// boundary on every transaction, twice; this does it in five word loads
// or four word stores. The layout and byte order (little-endian) are the
// same as `Header.encode`, and the host tests hold the two codecs to each
// other. Both the kernel (i686) and the test hosts are little-endian
// machines, which is what lets a word load stand for the byte loop.
import AmoebaCore

public enum RawHeader {
    /// Reads a header from 32 bytes at `p` (any alignment).
    @inlinable @inline(__always)
    public static func load(from p: UnsafeRawPointer) -> Header {
        let w0 = p.loadUnaligned(fromByteOffset: 0, as: UInt64.self)    // port, signature 0-1
        let w1 = p.loadUnaligned(fromByteOffset: 6, as: UInt64.self)    // signature, object 0-1
        let w2 = p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)   // object, rights
        let w3 = p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)   // check, command
        let w4 = p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)   // offset, size, extra
        // A 24-bit value always makes an object number.
        let priv = PrivatePart(object: ObjectNumber(w2 & 0xFF_FFFF).unsafelyUnwrapped,
                               rights: Rights(rawValue: UInt8(truncatingIfNeeded: w2 >> 24)),
                               check: Port(littleEndianBits: w3))
        return Header(port: Port(littleEndianBits: w0), signature: Port(littleEndianBits: w1), private: priv,
                      command: UInt16(truncatingIfNeeded: w3 >> 48),
                      offset: Int32(truncatingIfNeeded: w4), size: UInt16(truncatingIfNeeded: w4 >> 32),
                      extra: UInt16(truncatingIfNeeded: w4 >> 48))
    }

    /// Writes `h` as 32 bytes at `p` (any alignment).
    @inlinable @inline(__always)
    public static func store(_ h: Header, to p: UnsafeMutableRawPointer) {
        let signature = h.signature.littleEndianBits
        p.storeBytes(of: h.port.littleEndianBits | signature << 48, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: signature >> 16 | UInt64(h.private.object.value) << 32 | UInt64(h.private.rights.rawValue) << 56,
                     toByteOffset: 8, as: UInt64.self)
        p.storeBytes(of: h.private.check.littleEndianBits | UInt64(h.command) << 48, toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: UInt64(UInt32(bitPattern: h.offset)) | UInt64(h.size) << 32 | UInt64(h.extra) << 48,
                     toByteOffset: 24, as: UInt64.self)
    }
}
