// A whole FLIP-over-Ethernet frame: what the box hands to and takes from a
// link.
//
// Layout: destination MAC, source MAC, EtherType 0x8146 (big-endian, as all
// EtherTypes), the fragment control pair, then for DATA frames the FLIP
// header and its data. Ethernet pads short frames, so the data is trimmed
// to the header's length; a frame shorter than the header claims is
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
        var out = [UInt8]()
        out.reserveCapacity(EthernetFrame.headerSize + FragmentControl.size + FLIPHeader.size + data.count)
        // In place (WireAppend.swift): no array per address or header.
        destination.append(to: &out)
        source.append(to: &out)
        out.append(UInt8(EthernetFrame.etherType >> 8))
        out.append(UInt8(EthernetFrame.etherType & 0xFF))
        out.append(control.type.rawValue)
        out.append(control.count)
        if let flip {
            flip.append(to: &out, order: order)
            out.append(contentsOf: data)
        }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws(FLIPFrameError) -> EthernetFrame {
        guard bytes.count >= headerSize + FragmentControl.size else {
            throw .truncated(available: bytes.count)
        }
        let dst = EthernetAddress(bytes: bytes[0..<6])!
        let src = EthernetAddress(bytes: bytes[6..<12])!
        let type = UInt16(bytes[12]) << 8 | UInt16(bytes[13])
        guard type == etherType else { throw .notFLIP(etherType: type) }
        let control: FragmentControl
        do { control = try FragmentControl.decode(bytes, at: headerSize) } catch { throw .control(error) }
        var frame = EthernetFrame(destination: dst, source: src, control: control)
        guard control.type == .data else { return frame }
        let start = headerSize + FragmentControl.size
        let decoded: (header: FLIPHeader, order: ByteOrder)
        do { decoded = try FLIPHeader.decode(bytes, at: start) } catch { throw .header(error) }
        let dataStart = start + FLIPHeader.size
        let available = bytes.count - dataStart
        guard decoded.header.length <= UInt32(available) else {
            throw .badLength(claimed: decoded.header.length, available: available)
        }
        frame.flip = decoded.header
        frame.order = decoded.order
        frame.data = Array(bytes[dataStart..<(dataStart + Int(decoded.header.length))])
        return frame
    }
}
