// The 32-byte Amoeba header read from and written to raw memory, without
// the intermediate arrays the general BufferReader/BufferWriter codec
// builds. The system call path moves a header across the user/kernel
// boundary on every transaction, twice; this keeps that to a few dozen
// byte moves. The layout and byte order (little-endian) are the same as
// `Header.encode`, and the host tests hold the two codecs to each other.
import AmoebaCore

public enum RawHeader {
    /// Reads a header from 32 bytes at `p`.
    public static func load(from p: UnsafeRawPointer) -> Header {
        func port(_ at: Int) -> Port {
            Port(bytes: UnsafeRawBufferPointer(start: p + at, count: 6))!
        }
        func u16(_ at: Int) -> UInt16 { UInt16(p.load(fromByteOffset: at, as: UInt8.self)) | UInt16(p.load(fromByteOffset: at + 1, as: UInt8.self)) << 8 }
        let object = UInt32(p.load(fromByteOffset: 12, as: UInt8.self)) | UInt32(p.load(fromByteOffset: 13, as: UInt8.self)) << 8
            | UInt32(p.load(fromByteOffset: 14, as: UInt8.self)) << 16
        let priv = PrivatePart(object: ObjectNumber(object)!, rights: Rights(rawValue: p.load(fromByteOffset: 15, as: UInt8.self)),
                               check: port(16))
        let offset = UInt32(u16(24)) | UInt32(u16(26)) << 16
        return Header(port: port(0), signature: port(6), private: priv, command: u16(22),
                      offset: Int32(bitPattern: offset), size: u16(28), extra: u16(30))
    }

    /// Writes `h` as 32 bytes at `p`.
    public static func store(_ h: Header, to p: UnsafeMutableRawPointer) {
        func port(_ v: Port, _ at: Int) { for i in 0..<6 { p.storeBytes(of: v[i], toByteOffset: at + i, as: UInt8.self) } }
        func u16(_ v: UInt16, _ at: Int) {
            p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: at, as: UInt8.self)
            p.storeBytes(of: UInt8(truncatingIfNeeded: v >> 8), toByteOffset: at + 1, as: UInt8.self)
        }
        port(h.port, 0)
        port(h.signature, 6)
        let n = h.private.object.value
        p.storeBytes(of: UInt8(truncatingIfNeeded: n), toByteOffset: 12, as: UInt8.self)
        p.storeBytes(of: UInt8(truncatingIfNeeded: n >> 8), toByteOffset: 13, as: UInt8.self)
        p.storeBytes(of: UInt8(truncatingIfNeeded: n >> 16), toByteOffset: 14, as: UInt8.self)
        p.storeBytes(of: h.private.rights.rawValue, toByteOffset: 15, as: UInt8.self)
        port(h.private.check, 16)
        u16(h.command, 22)
        let o = UInt32(bitPattern: h.offset)
        u16(UInt16(truncatingIfNeeded: o), 24)
        u16(UInt16(truncatingIfNeeded: o >> 16), 26)
        u16(h.size, 28)
        u16(h.extra, 30)
    }
}
