// Marshalling: the byte-level reading and writing every protocol layer uses.
//
// Amoeba marshals RPC buffers little-endian (`buf_put_*`/`buf_get_*`), while
// FLIP and RPC headers travel in the sender's byte order with a flag saying
// which. So both cursors take a byte order per call, defaulting to little.
//
// A reader never traps: every access checks the remaining length first and
// throws a typed `MarshalError`. That is the property the fuzzers hold us to;
// a trap in a decoder would be a crash any remote node could cause.

/// The order of bytes in a multi-byte integer on the wire.
public enum ByteOrder: Sendable, Equatable {
    case little
    case big
}

/// Why a marshalling step failed.
public enum MarshalError: Error, Equatable, Sendable {
    /// A read needed more bytes than remain.
    case truncated(needed: Int, available: Int)
    /// A write would go past the buffer's limit.
    case overflow(needed: Int, available: Int)
    /// A string had no terminating NUL before the end of the buffer.
    case unterminatedString
    /// A value read was outside its legal range.
    case invalidValue
}

/// A cursor that reads values from a byte array, front to back.
public struct BufferReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    /// The index one past the last byte this reader may consume.
    public let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    /// A reader over `bytes[start..<end]`; the bounds are clamped, never trusted.
    public init(_ bytes: [UInt8], from start: Int, to end: Int? = nil) {
        self.bytes = bytes
        let e = min(max(end ?? bytes.count, 0), bytes.count)
        self.end = e
        self.offset = min(max(start, 0), e)
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    @inline(__always)
    private mutating func claim(_ n: Int) throws(MarshalError) -> Int {
        guard n >= 0, n <= remaining else {
            throw .truncated(needed: n, available: remaining)
        }
        let start = offset
        offset += n
        return start
    }

    public mutating func skip(_ n: Int) throws(MarshalError) {
        _ = try claim(n)
    }

    public mutating func readUInt8() throws(MarshalError) -> UInt8 {
        bytes[try claim(1)]
    }

    public mutating func readUInt16(_ order: ByteOrder = .little) throws(MarshalError) -> UInt16 {
        let i = try claim(2)
        let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
        return order == .little ? a | b << 8 : a << 8 | b
    }

    public mutating func readUInt32(_ order: ByteOrder = .little) throws(MarshalError) -> UInt32 {
        let v = UInt32(truncatingIfNeeded: try readLittleEndianBits(4))
        return order == .little ? v : v.byteSwapped
    }

    /// The next `n` bytes (at most eight) as one little-endian integer,
    /// byte 0 lowest. Ports, addresses and private parts are read this way:
    /// a fixed-width field becomes a word with no array in between.
    public mutating func readLittleEndianBits(_ n: Int) throws(MarshalError) -> UInt64 {
        guard n <= 8 else { throw .invalidValue }
        let i = try claim(n)
        #if _pointerBitWidth(_64)
        // One word load when a whole word lies in the array.
        if bytes.count - i >= 8 {
            let word = bytes.withUnsafeBytes {
                UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            }
            return n == 8 ? word : word & (1 << UInt64(8 * n) &- 1)
        }
        #endif
        // Two 32-bit halves (a 32-bit kernel pays dearly for 64-bit shifts),
        // through a buffer pointer: the claim above checked the bounds.
        return bytes.withUnsafeBufferPointer { b in
            var lo: UInt32 = 0, hi: UInt32 = 0
            var k = n
            while k > 4 {
                k -= 1
                hi = hi << 8 | UInt32(b[i + k])
            }
            while k > 0 {
                k -= 1
                lo = lo << 8 | UInt32(b[i + k])
            }
            return UInt64(hi) << 32 | UInt64(lo)
        }
    }

    public mutating func readInt16(_ order: ByteOrder = .little) throws(MarshalError) -> Int16 {
        Int16(bitPattern: try readUInt16(order))
    }

    public mutating func readInt32(_ order: ByteOrder = .little) throws(MarshalError) -> Int32 {
        Int32(bitPattern: try readUInt32(order))
    }

    public mutating func readBytes(_ n: Int) throws(MarshalError) -> [UInt8] {
        let i = try claim(n)
        return Array(bytes[i..<(i + n)])
    }

    /// The rest of the readable bytes.
    public mutating func readRest() -> [UInt8] {
        let i = offset
        offset = end
        return Array(bytes[i..<end])
    }

    /// A NUL-terminated string, as Amoeba's `buf_get_string`. The bytes are
    /// decoded as UTF-8 with invalid sequences repaired, never trapped on.
    public mutating func readString() throws(MarshalError) -> String {
        var j = offset
        while j < end, bytes[j] != 0 { j += 1 }
        guard j < end else { throw .unterminatedString }
        let s = String(decoding: bytes[offset..<j], as: UTF8.self)
        offset = j + 1
        return s
    }

    public mutating func readPort() throws(MarshalError) -> Port {
        Port(littleEndianBits: try readLittleEndianBits(Port.size))
    }

    /// A private part, or an error having consumed nothing.
    public mutating func readPrivate() throws(MarshalError) -> PrivatePart {
        guard remaining >= PrivatePart.size else {
            throw .truncated(needed: PrivatePart.size, available: remaining)
        }
        let number = UInt32(truncatingIfNeeded: try readLittleEndianBits(3))
        let rights = Rights(rawValue: try readUInt8())
        let check = try readPort()
        return PrivatePart(object: ObjectNumber(number)!, rights: rights, check: check)
    }

    /// A capability, or an error having consumed nothing.
    public mutating func readCapability() throws(MarshalError) -> Capability {
        guard remaining >= Capability.size else {
            throw .truncated(needed: Capability.size, available: remaining)
        }
        let port = try readPort()
        return Capability(port: port, private: try readPrivate())
    }
}

/// A growing byte array with typed appenders and an optional size limit.
public struct BufferWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// The most bytes this writer will hold; Amoeba's `endp`.
    public let limit: Int

    public init(limit: Int = Int.max, reservingCapacity capacity: Int = 0) {
        self.bytes = []
        self.limit = limit
        if capacity > 0 { bytes.reserveCapacity(min(capacity, limit)) }
    }

    public var count: Int { bytes.count }

    @inline(__always)
    private func ensure(_ n: Int) throws(MarshalError) {
        guard n <= limit - bytes.count else {
            throw .overflow(needed: n, available: limit - bytes.count)
        }
    }

    public mutating func write(_ v: UInt8) throws(MarshalError) {
        try ensure(1)
        bytes.append(v)
    }

    public mutating func write(_ v: UInt16, _ order: ByteOrder = .little) throws(MarshalError) {
        try ensure(2)
        if order == .little {
            bytes.append(UInt8(truncatingIfNeeded: v))
            bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        } else {
            bytes.append(UInt8(truncatingIfNeeded: v >> 8))
            bytes.append(UInt8(truncatingIfNeeded: v))
        }
    }

    public mutating func write(_ v: UInt32, _ order: ByteOrder = .little) throws(MarshalError) {
        try write(littleEndianBits: UInt64(order == .little ? v : v.byteSwapped), count: 4)
    }

    /// The low `n` bytes (at most eight) of `v`, lowest first: the writing
    /// twin of `BufferReader.readLittleEndianBits`.
    public mutating func write(littleEndianBits v: UInt64, count n: Int) throws(MarshalError) {
        guard n <= 8 else { throw .invalidValue }
        try ensure(n)
        var lo = UInt32(truncatingIfNeeded: v), hi = UInt32(truncatingIfNeeded: v >> 32)
        for k in 0..<n {
            if k == 4 { lo = hi }
            bytes.append(UInt8(truncatingIfNeeded: lo))
            lo >>= 8
        }
    }

    public mutating func write(_ v: Int16, _ order: ByteOrder = .little) throws(MarshalError) {
        try write(UInt16(bitPattern: v), order)
    }

    public mutating func write(_ v: Int32, _ order: ByteOrder = .little) throws(MarshalError) {
        try write(UInt32(bitPattern: v), order)
    }

    public mutating func write<C: Collection>(bytes more: C) throws(MarshalError) where C.Element == UInt8 {
        try ensure(more.count)
        bytes.append(contentsOf: more)
    }

    // The concrete forms every message body takes: called from other
    // modules, the generic one above runs unspecialised, through witness
    // tables, once per frame.
    public mutating func write(bytes more: [UInt8]) throws(MarshalError) {
        try ensure(more.count)
        bytes.append(contentsOf: more)
    }

    public mutating func write(bytes more: ArraySlice<UInt8>) throws(MarshalError) {
        try ensure(more.count)
        bytes.append(contentsOf: more)
    }

    /// A string and its terminating NUL, as Amoeba's `buf_put_string`.
    public mutating func write(string: String) throws(MarshalError) {
        let utf8 = string.utf8
        try ensure(utf8.count + 1)
        bytes.append(contentsOf: utf8)
        bytes.append(0)
    }

    public mutating func write(_ port: Port) throws(MarshalError) {
        try write(littleEndianBits: port.littleEndianBits, count: Port.size)
    }

    public mutating func write(_ p: PrivatePart) throws(MarshalError) {
        try ensure(PrivatePart.size)
        let n = p.object.value
        bytes.append(UInt8(truncatingIfNeeded: n))
        bytes.append(UInt8(truncatingIfNeeded: n >> 8))
        bytes.append(UInt8(truncatingIfNeeded: n >> 16))
        bytes.append(p.rights.rawValue)
        try! write(p.check)  // room for it was ensured above
    }

    public mutating func write(_ cap: Capability) throws(MarshalError) {
        try ensure(Capability.size)
        try write(cap.port)
        try write(cap.private)
    }
}
