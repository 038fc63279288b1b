// Header fields at fixed offsets in raw memory, for the codecs every frame
// passes through.
//
// A header has a fixed layout: once its length is checked, each field is a
// load or a store at a known offset, with no cursor, no per-byte append and
// no bounds check per field. The callers check the length first; these
// helpers trust it, so they take raw pointers and are kept to the few
// codecs on the per-frame path (the FLIP and Ethernet headers, the amp
// header, the Amoeba header). Stores and loads are unaligned.

@frozen public enum FixedOffsets {
    /// A new array: `headers` bytes for `fill` to store fields in, then
    /// `data`, then zeros up to `minimum` bytes in all. Built by reserving
    /// and appending, which compiles to a specialised allocation and two
    /// copies: `Array(unsafeUninitializedCapacity:)` and
    /// `Array(repeating:count:)` run unspecialised in the standard library
    /// and look the storage type up at run time, several hundred
    /// instructions per frame.
    @inlinable @inline(__always)
    public static func bytes(headers: Int, then data: [UInt8] = [], minimum: Int = 0,
                             _ fill: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        bytes(headers: headers, then: data[...], minimum: minimum, fill)
    }

    /// As above, the data a slice (a fragment of a longer message): copied
    /// once, straight from the message.
    @inlinable @inline(__always)
    public static func bytes(headers: Int, then data: ArraySlice<UInt8>, minimum: Int = 0,
                             _ fill: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let total = max(headers + data.count, minimum)
        var a = [UInt8]()
        a.reserveCapacity(total)
        if data.isEmpty && total <= zeros.count {
            // Headers alone (a control message, a null request or reply):
            // one append, where three cost a call and a uniqueness check each.
            a.append(contentsOf: zeros[..<total])
        } else {
            a.append(contentsOf: zeros[..<headers])
            a.append(contentsOf: data)
            if a.count < total { a.append(contentsOf: zeros[..<(total - a.count)]) }
        }
        a.withUnsafeMutableBytes { fill($0.baseAddress!) }
        return a
    }

    /// As `bytes`, but built in `a`, whose storage is reused when it is
    /// the right size and no one else holds it: a sender that keeps its
    /// buffers (a reply kept for resending, a spare handed back once its
    /// frame is gone) builds the next message with no allocation. Any
    /// other buffer is replaced by a new one, so what another holder sees
    /// never changes.
    @inlinable @inline(__always)
    public static func build(into a: inout [UInt8], headers: Int, then data: ArraySlice<UInt8>, minimum: Int = 0,
                             _ fill: (UnsafeMutableRawPointer) -> Void) {
        let total = max(headers + data.count, minimum)
        guard a.count == total else {
            a = bytes(headers: headers, then: data, minimum: minimum, fill)
            return
        }
        a.withUnsafeMutableBytes { b in
            let p = b.baseAddress!
            p.initializeMemory(as: UInt8.self, repeating: 0, count: headers)
            if !data.isEmpty {
                data.withUnsafeBytes { d in (p + headers).copyMemory(from: d.baseAddress!, byteCount: d.count) }
            }
            let end = headers + data.count
            if end < total { (p + end).initializeMemory(as: UInt8.self, repeating: 0, count: total - end) }
            fill(p)
        }
    }

    /// Enough zeros for any run of headers (the 112 bytes of a request
    /// built with headroom for the frame below it) and any frame's padding.
    @usableFromInline static let zeros = [UInt8](repeating: 0, count: 128)

    @inlinable @inline(__always)
    public static func store(_ v: UInt8, _ p: UnsafeMutableRawPointer, at o: Int) {
        p.storeBytes(of: v, toByteOffset: o, as: UInt8.self)
    }

    @inlinable @inline(__always)
    public static func store(_ v: UInt16, _ p: UnsafeMutableRawPointer, at o: Int, _ order: ByteOrder) {
        p.storeBytes(of: order == .little ? v.littleEndian : v.bigEndian, toByteOffset: o, as: UInt16.self)
    }

    @inlinable @inline(__always)
    public static func store(_ v: UInt32, _ p: UnsafeMutableRawPointer, at o: Int, _ order: ByteOrder) {
        p.storeBytes(of: order == .little ? v.littleEndian : v.bigEndian, toByteOffset: o, as: UInt32.self)
    }

    /// The low `n` bytes of `v` (6 or 8), lowest first: ports and addresses.
    @inlinable @inline(__always)
    public static func store(littleEndianBits v: UInt64, count n: Int, _ p: UnsafeMutableRawPointer, at o: Int) {
        if n == 8 {
            p.storeBytes(of: v.littleEndian, toByteOffset: o, as: UInt64.self)
        } else {
            p.storeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, toByteOffset: o, as: UInt32.self)
            p.storeBytes(of: UInt16(truncatingIfNeeded: v >> 32).littleEndian, toByteOffset: o + 4, as: UInt16.self)
        }
    }

    @inlinable @inline(__always)
    public static func load8(_ p: UnsafeRawPointer, at o: Int) -> UInt8 {
        p.load(fromByteOffset: o, as: UInt8.self)
    }

    @inlinable @inline(__always)
    public static func load16(_ p: UnsafeRawPointer, at o: Int, _ order: ByteOrder) -> UInt16 {
        let v = p.loadUnaligned(fromByteOffset: o, as: UInt16.self)
        return order == .little ? UInt16(littleEndian: v) : UInt16(bigEndian: v)
    }

    @inlinable @inline(__always)
    public static func load32(_ p: UnsafeRawPointer, at o: Int, _ order: ByteOrder) -> UInt32 {
        let v = p.loadUnaligned(fromByteOffset: o, as: UInt32.self)
        return order == .little ? UInt32(littleEndian: v) : UInt32(bigEndian: v)
    }

    /// `n` bytes (6 or 8) as one little-endian integer, byte 0 lowest.
    @inlinable @inline(__always)
    public static func loadLittleEndianBits(_ p: UnsafeRawPointer, at o: Int, count n: Int) -> UInt64 {
        if n == 8 { return UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        let lo = UInt64(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
        let hi = UInt64(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o + 4, as: UInt16.self)))
        return hi << 32 | lo
    }
}

extension Header {
    /// Stores the 32 wire bytes at `p + o` (the caller made room).
    @inlinable @inline(__always)
    public func store(_ p: UnsafeMutableRawPointer, at o: Int, order: ByteOrder = .little) {
        // One base, the fields at constant offsets from it: no checked
        // addition per field.
        let p = p + o
        FixedOffsets.store(littleEndianBits: port.littleEndianBits, count: 6, p, at: 0)
        FixedOffsets.store(littleEndianBits: signature.littleEndianBits, count: 6, p, at: 6)
        let priv = `private`
        // Object number (3 bytes, little-endian) and rights share a word.
        let objectAndRights = priv.object.value & 0xFF_FFFF | UInt32(priv.rights.rawValue) << 24
        FixedOffsets.store(objectAndRights, p, at: 12, .little)
        FixedOffsets.store(littleEndianBits: priv.check.littleEndianBits, count: 6, p, at: 16)
        FixedOffsets.store(command, p, at: 22, order)
        FixedOffsets.store(UInt32(bitPattern: offset), p, at: 24, order)
        FixedOffsets.store(size, p, at: 28, order)
        FixedOffsets.store(extra, p, at: 30, order)
    }

    /// The header in the 32 bytes at `p + o` (the caller checked they are there).
    @inlinable @inline(__always)
    public static func load(_ p: UnsafeRawPointer, at o: Int, order: ByteOrder = .little) -> Header {
        // One base, the fields at constant offsets from it: no checked
        // addition per field.
        let p = p + o
        let port = Port(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 0, count: 6))
        let signature = Port(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 6, count: 6))
        let objectAndRights = FixedOffsets.load32(p, at: 12, .little)
        let check = Port(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 16, count: 6))
        let priv = PrivatePart(object: ObjectNumber(objectAndRights & 0xFF_FFFF)!,
                               rights: Rights(rawValue: UInt8(truncatingIfNeeded: objectAndRights >> 24)),
                               check: check)
        return Header(port: port, signature: signature, private: priv,
                      command: FixedOffsets.load16(p, at: 22, order),
                      offset: Int32(bitPattern: FixedOffsets.load32(p, at: 24, order)),
                      size: FixedOffsets.load16(p, at: 28, order),
                      extra: FixedOffsets.load16(p, at: 30, order))
    }
}
