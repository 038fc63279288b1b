// Byte-level helpers for group messages: integers in either order, and a
// reader that answers nil instead of trapping when a payload is short.
//
// Group payloads are marshalled in the sender's order (the header's flag
// says which), unlike the little-endian buffers of the servers, so the
// Buffer helpers of AmoebaCore (little-endian by default, throwing) are not
// reused: every reader here is fed network input and must stay total.

import AmoebaCore
import FLIP

public enum GroupWire {
    /// FLIP_AMGROUP: the protocol id before a group LOCATE, big-endian, so
    /// that RPC and group locates can share the null address.
    public static let protocolID: UInt32 = 2

    static func put(_ v: UInt16, into w: inout [UInt8], _ order: ByteOrder) {
        if order == .big {
            w.append(UInt8(truncatingIfNeeded: v >> 8)); w.append(UInt8(truncatingIfNeeded: v))
        } else {
            w.append(UInt8(truncatingIfNeeded: v)); w.append(UInt8(truncatingIfNeeded: v >> 8))
        }
    }

    static func put(_ v: UInt32, into w: inout [UInt8], _ order: ByteOrder) {
        if order == .big {
            for s in stride(from: 24, through: 0, by: -8) { w.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
        } else {
            for s in stride(from: 0, through: 24, by: 8) { w.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
        }
    }

    /// Callers have checked that 2 bytes are there.
    static func u16(_ b: [UInt8], _ i: Int, _ order: ByteOrder) -> UInt16 {
        order == .big ? UInt16(b[i]) << 8 | UInt16(b[i + 1]) : UInt16(b[i + 1]) << 8 | UInt16(b[i])
    }

    static func u32(_ b: [UInt8], _ i: Int, _ order: ByteOrder) -> UInt32 {
        var v: UInt32 = 0
        if order == .big {
            for k in 0..<4 { v = v << 8 | UInt32(b[i + k]) }
        } else {
            for k in (0..<4).reversed() { v = v << 8 | UInt32(b[i + k]) }
        }
        return v
    }
}

/// Reads a group payload front to back; every read is nil once it would
/// run past the end.
struct WireReader {
    let bytes: [UInt8]
    var offset: Int
    let order: ByteOrder

    init(_ bytes: [UInt8], from offset: Int, order: ByteOrder) {
        self.bytes = bytes
        self.offset = max(0, min(offset, bytes.count))
        self.order = order
    }

    var remaining: Int { bytes.count - offset }

    mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { offset += 2 }
        return GroupWire.u16(bytes, offset, order)
    }

    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return GroupWire.u32(bytes, offset, order)
    }

    mutating func address() -> FLIPAddress? {
        guard remaining >= FLIPAddress.size else { return nil }
        defer { offset += FLIPAddress.size }
        return FLIPAddress(bytes: bytes[offset..<offset + FLIPAddress.size])
    }

    mutating func header() -> Header? {
        guard remaining >= Header.size else { return nil }
        guard let h = try? Header.decode(Array(bytes[offset..<offset + Header.size]), order: order) else { return nil }
        offset += Header.size
        return h
    }

    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }
}
