// The four bytes a HEREIS packet appends to the LOCATE it answers.
//
// A node that knows where a located address lives turns the LOCATE around
// and appends two counts: how many locations of the address it knows, and
// how many of those are reachable over trusted networks only. Each gateway
// on the way back replaces them with its own counts. Like the header's
// integers they are in the sender's byte order, so decoding takes the order
// the header was in.

import AmoebaCore

public enum HereIsTrailerError: Error, Equatable, Sendable {
    case wrongLength(Int)
    /// Fewer locations than trusted ones, or none at all.
    case inconsistentCounts
}

public struct HereIsTrailer: Hashable, Sendable {
    public static let size = 4

    public var count: UInt16
    public var trustedCount: UInt16

    public init(count: UInt16, trustedCount: UInt16) {
        self.count = count
        self.trustedCount = trustedCount
    }

    public func encoded(_ order: ByteOrder = .little) -> [UInt8] {
        var w = BufferWriter(limit: HereIsTrailer.size)
        try? w.write(count, order)
        try? w.write(trustedCount, order)
        return w.bytes
    }

    /// Decodes exactly the packet's data: it must be four bytes long.
    public static func decode<C: Collection>(_ data: C, order: ByteOrder) throws(HereIsTrailerError) -> HereIsTrailer
    where C.Element == UInt8 {
        guard data.count == size else { throw .wrongLength(data.count) }
        let b = Array(data)
        let hi: (UInt8, UInt8) -> UInt16 = { a, c in
            order == .little ? UInt16(a) | UInt16(c) << 8 : UInt16(a) << 8 | UInt16(c)
        }
        let t = HereIsTrailer(count: hi(b[0], b[1]), trustedCount: hi(b[2], b[3]))
        guard t.count > 0, t.count >= t.trustedCount else { throw .inconsistentCounts }
        return t
    }
}
