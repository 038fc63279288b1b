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
    static func encode(destination: EthernetAddress, source: EthernetAddress, control: FragmentControl,
                       flip: FLIPHeader?, order: ByteOrder = .little, data: ArraySlice<UInt8>,
                       then tail: ArraySlice<UInt8> = []) -> [UInt8] {
        let start = headerSize + FragmentControl.size
        guard let flip else {
            return build(headers: start, data: [], tail: []) { p in
                storeLink(p, destination: destination, source: source, control: control)
            }
        }
        return build(headers: start + FLIPHeader.size, data: data, tail: tail) { p in
            storeLink(p, destination: destination, source: source, control: control)
            flip.store(p, at: start, order: order)
        }
    }

    /// One allocation of the frame's final size, the headers stored at
    /// their offsets (WireAppend.swift), the data and tail copied in, zeros
    /// after them up to the Ethernet minimum. Written into uninitialised
    /// storage rather than appended piece by piece: each append checks
    /// capacity and uniqueness again, and the pieces of a fragment cost more
    /// that way than copying its 1,458 bytes. (This allocation is not
    /// specialised: it looks the storage type up at run time, some 700
    /// instructions a frame, still a little less than the appends; zeroing
    /// a whole frame first costs more than either.)
    private static func build(headers: Int, data: ArraySlice<UInt8>, tail: ArraySlice<UInt8>,
                              _ storeHeaders: (UnsafeMutableRawPointer) -> Void) -> [UInt8] {
        let used = headers + data.count + tail.count
        let total = max(used, minimumSize)
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            let p = UnsafeMutableRawPointer(buffer.baseAddress!)
            // Zeros first, so that no header byte a store skips can carry
            // stale memory onto the wire.
            p.initializeMemory(as: UInt8.self, repeating: 0, count: headers)
            storeHeaders(p)
            if !data.isEmpty {
                data.withUnsafeBytes { (p + headers).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
            if !tail.isEmpty {
                tail.withUnsafeBytes { (p + headers + data.count).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
            if used < total { (p + used).initializeMemory(as: UInt8.self, repeating: 0, count: total - used) }
            count = total
        }
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
