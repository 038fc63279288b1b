// A whole FLIP-over-Ethernet frame: what the box hands to and takes from a
// link.
//
// Layout: destination MAC, source MAC, EtherType 0x8146 (big-endian, as all
// EtherTypes), the fragment control pair, then for DATA frames the FLIP
// header and its data. Every frame we build is padded with zeros to the
// Ethernet minimum: a CREDIT is 16 bytes and a short LOCATE 56, and
// Amoeba's drivers never put a runt on the wire (its NE2000 driver resets
// the chip on one). Building the frame is the one place kernel and daemon
// share, so the padding is here and both agree. Decoding never trusts the
// frame's size: the data is trimmed to the header's length, control frames
// read only their two bytes, and a frame shorter than its header claims is
// refused, never read past.

import AmoebaCore

public enum FLIPFrameError: Error, Equatable, Sendable {
    case truncated(available: Int)
    case notFLIP(etherType: UInt16)
    case control(FragmentControlError)
    case header(FLIPHeaderError)
    /// The header claims more data than the frame holds, or more than fits.
    case badLength(claimed: UInt32, available: Int)
}

public struct EthernetFrame: Sendable {
    public static let etherType: UInt16 = 0x8146
    public static let headerSize = 14
    /// The largest Ethernet payload.
    public static let mtu = 1500
    /// The shortest frame Ethernet carries, not counting the CRC the NIC
    /// appends: 14 bytes of header and 46 of payload.
    public static let minimumSize = 60
    /// The most FLIP data one frame carries: 1500 - 2 - 40.
    public static let maxData = mtu - FragmentControl.size - FLIPHeader.size

    public var destination: EthernetAddress
    public var source: EthernetAddress
    public var control: FragmentControl
    /// Present exactly when `control.type` is `.data`.
    public var flip: FLIPHeader?
    /// The byte order the FLIP header arrived in (little for frames we build).
    public var order: ByteOrder
    public var data: [UInt8]

    public init(destination: EthernetAddress, source: EthernetAddress, control: FragmentControl,
                flip: FLIPHeader? = nil, order: ByteOrder = .little, data: [UInt8] = []) {
        self.destination = destination
        self.source = source
        self.control = control
        self.flip = flip
        self.order = order
        self.data = data
    }

    public func encoded() -> [UInt8] {
        EthernetFrame.encode(destination: destination, source: source, control: control, flip: flip, order: order,
                             data: data[...])
    }

    /// Writes the frame's headers over the first `FLIPBox.headroom` bytes
    /// of `frame`, whose data follows them, and pads it to the Ethernet
    /// minimum: the bytes `encode` returns for that data, made in place.
    static func storeHeaders(into frame: inout [UInt8], destination: EthernetAddress, source: EthernetAddress,
                             control: FragmentControl, flip: FLIPHeader) {
        if frame.count < minimumSize { frame.append(contentsOf: repeatElement(0, count: minimumSize - frame.count)) }
        frame.withUnsafeMutableBytes { b in
            storeLink(b.baseAddress!, destination: destination, source: source, control: control)
            flip.store(b.baseAddress!, at: headerSize + FragmentControl.size, order: .little)
        }
    }

    private static func storeLink(_ p: UnsafeMutableRawPointer, destination: EthernetAddress, source: EthernetAddress,
                                  control: FragmentControl) {
        FixedOffsets.store(littleEndianBits: destination.littleEndianBits, count: 6, p, at: 0)
        FixedOffsets.store(littleEndianBits: source.littleEndianBits, count: 6, p, at: 6)
        FixedOffsets.store(etherType, p, at: 12, .big)
        FixedOffsets.store(control.type.rawValue, p, at: 14)
        FixedOffsets.store(control.count, p, at: 15)
    }

    /// The wire bytes of a frame whose data is a slice of a longer message,
    /// followed by `tail`, a slice of another buffer: a message sent as its
    /// headers in one buffer and its data in another (`unicast(framed:then:)`)
    /// has a first fragment in both. Each goes into the frame in one copy.
    /// The frame is built in `storage`, an empty array (a spare frame,
    /// FramePool.swift), whose capacity is used if it is enough.
    static func encode(destination: EthernetAddress, source: EthernetAddress, control: FragmentControl,
                       flip: FLIPHeader?, order: ByteOrder = .little, data: ArraySlice<UInt8>,
                       then tail: ArraySlice<UInt8> = [], in storage: consuming [UInt8] = []) -> [UInt8] {
        let start = headerSize + FragmentControl.size
        guard let flip else {
            return build(headers: start, data: [], tail: [], in: []) { p in
                storeLink(p, destination: destination, source: source, control: control)
            }
        }
        return build(headers: start + FLIPHeader.size, data: data, tail: tail, in: consume storage) { p in
            storeLink(p, destination: destination, source: source, control: control)
            flip.store(p, at: start, order: order)
        }
    }

    /// One allocation of the frame's final size, filled by appending:
    /// zeros for the headers, the data and tail, zeros up to the Ethernet
    /// minimum; then the headers are stored at their offsets
    /// (WireAppend.swift). The allocation is reserved, which compiles to a
    /// specialised one: `Array(unsafeUninitializedCapacity:)` is not
    /// specialised, and looked the storage type up at run time, some 500
    /// instructions a frame beyond the malloc, several times what the
    /// appends (each a capacity and uniqueness check and a copy) cost.
    @inline(__always)
    private static func build(headers: Int, data: ArraySlice<UInt8>, tail: ArraySlice<UInt8>, in a: consuming [UInt8],
                              _ storeHeaders: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let used = headers + data.count + tail.count
        let total = max(used, minimumSize)
        // The parameter itself is the frame: a copy of it would share the
        // spare's storage, and the first append would copy that.
        a.reserveCapacity(total)
        // The zeros are on the stack: a shared array of them cost a
        // once-check, a retain and a release every frame.
        withUnsafeBytes(of: Zeros()) { z in
            a.append(contentsOf: UnsafeRawBufferPointer(rebasing: z[..<headers]))
            if !data.isEmpty { a.append(contentsOf: data) }
            if !tail.isEmpty { a.append(contentsOf: tail) }
            if used < total { a.append(contentsOf: UnsafeRawBufferPointer(rebasing: z[..<(total - used)])) }
        }
        a.withUnsafeMutableBytes { storeHeaders($0.baseAddress!) }
        return a
    }

    /// Zeros enough for the headers of any frame, and for any padding.
    private struct Zeros {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    public static func decode(_ bytes: [UInt8]) throws(FLIPFrameError) -> EthernetFrame {
        let d = try decodeHeaders(bytes)
        var frame = EthernetFrame(destination: d.destination, source: d.source, control: d.control, flip: d.flip,
                                  order: d.order)
        if let h = d.flip { frame.data = Array(bytes[d.dataStart..<(d.dataStart + Int(h.length))]) }
        return frame
    }

    /// Everything but the data, and where the data starts: the header's
    /// length was checked against the frame, so the data is
    /// `bytes[dataStart..<dataStart + length]`. The box reads it there,
    /// in place.
    static func decodeHeaders(_ bytes: [UInt8]) throws(FLIPFrameError) -> DecodedHeaders {
        if let d = decodeLittleEndianData(bytes) { return d }
        guard bytes.count >= headerSize + FragmentControl.size else {
            throw .truncated(available: bytes.count)
        }
        // The length was checked above: the addresses are there.
        let (dst, src) = bytes.withUnsafeBytes { b in
            (EthernetAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(b.baseAddress!, at: 0, count: 6)),
             EthernetAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(b.baseAddress!, at: 6, count: 6)))
        }
        let type = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
        guard type == etherType else { throw .notFLIP(etherType: type) }
        let control: FragmentControl
        do { control = try FragmentControl.decode(bytes, at: headerSize) } catch { throw .control(error) }
        var frame = DecodedHeaders(destination: dst, source: src, control: control, dataStart: 0)
        let start = headerSize + FragmentControl.size
        frame.dataStart = start
        guard control.type == .data else { return frame }
        let decoded: (header: FLIPHeader, order: ByteOrder)
        do { decoded = try FLIPHeader.decode(bytes, at: start) } catch { throw .header(error) }
        let dataStart = start + FLIPHeader.size
        let available = bytes.count - dataStart
        guard decoded.header.length <= UInt32(available) else {
            throw .badLength(claimed: decoded.header.length, available: available)
        }
        frame.flip = decoded.header
        frame.order = decoded.order
        frame.dataStart = dataStart
        return frame
    }
}

extension EthernetFrame {
    /// `decodeHeaders` for the frame nearly every one is: a DATA frame
    /// whose FLIP header is version 1, little-endian, and whose data is
    /// all there. One pass of fixed-offset loads, where the general decode
    /// took the fragment control pair and the header apart in three calls,
    /// each checking lengths again and choosing a byte order per field.
    /// nil for any other frame, which the general decode then reads (and
    /// refuses, if it must, with its reasons).
    @inline(__always)
    static func decodeLittleEndianData(_ bytes: [UInt8]) -> DecodedHeaders? {
        let start = headerSize + FragmentControl.size
        guard bytes.count >= start + FLIPHeader.size else { return nil }
        return bytes.withUnsafeBytes { b -> DecodedHeaders? in
            let p = UnsafeRawPointer(b.baseAddress!)
            // Bytes 12 to 19: EtherType 0x8146, fragment type DATA, (its
            // count), version 1, (the type), the BIGENDIAN flag clear.
            let word = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
            guard word & 0x0001_00FF_00FF_FFFF == 0x0000_0001_0000_4681 else { return nil }
            let length = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: start + 28, as: UInt32.self))
            guard length <= UInt32(bytes.count - start - FLIPHeader.size) else { return nil }
            var h = FLIPHeader(type: .locate, flags: FLIPFlags(rawValue: UInt8(truncatingIfNeeded: word >> 48)),
                               actualHops: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: start + 4, as: UInt16.self)),
                               maximumHops: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: start + 6, as: UInt16.self)),
                               destination: FLIPAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: start + 8, count: 8)),
                               source: FLIPAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: start + 16, count: 8)),
                               messageID: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: start + 24, as: UInt32.self)),
                               length: length,
                               offset: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: start + 32, as: UInt32.self)),
                               total: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: start + 36, as: UInt32.self)))
            h.type = UInt8(truncatingIfNeeded: word >> 40)
            h.reserved = UInt8(truncatingIfNeeded: word >> 56)
            return DecodedHeaders(
                destination: EthernetAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 0, count: 6)),
                source: EthernetAddress(littleEndianBits: FixedOffsets.loadLittleEndianBits(p, at: 6, count: 6)),
                control: FragmentControl(type: .data, count: UInt8(truncatingIfNeeded: word >> 24)),
                flip: h, order: .little, dataStart: start + FLIPHeader.size)
        }
    }
}

/// What `decodeHeaders` finds: a frame's headers, and where its data
/// starts. Plain values only, so it is dropped for nothing: a tuple holding
/// an `EthernetFrame` (whose data is an array, empty here) went through the
/// runtime's generic tuple destroy, some sixty instructions a frame, and a
/// struct holding one through an outlined destroy.
struct DecodedHeaders {
    var destination: EthernetAddress
    var source: EthernetAddress
    var control: FragmentControl
    var flip: FLIPHeader?
    var order: ByteOrder = .little
    var dataStart: Int
}
