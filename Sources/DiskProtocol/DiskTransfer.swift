// Where a DS_READ or DS_WRITE goes: the block size the request chose (its
// log2 in h_size), the first block in those units (h_offset) and the
// number of blocks (h_extra). The client builds the header from it; the
// server reads it back and turns it into a range of 512-byte physical
// blocks, or refuses it with STD_ARGBAD (a shift outside 9...31, no
// blocks, a negative start, a range past the end, more than the 29 KiB
// transaction buffer). The arithmetic is done in 64 bits with the shifts
// bounded first, so no request can make the server trap.
import AmoebaCore

public struct DiskTransfer: Equatable, Sendable {
    /// log2 of the block size the request counts in.
    public var shift: UInt16
    /// The first block, in units of 2^shift bytes.
    public var first: Int32
    /// How many blocks.
    public var count: UInt16

    public init(shift: UInt16, first: Int32, count: UInt16) {
        self.shift = shift
        self.first = first
        self.count = count
    }

    /// The transfer a request header describes.
    public init(header h: Header) {
        self.init(shift: h.size, first: h.offset, count: h.extra)
    }

    /// The request header for `command` on `disk`.
    public func header(_ disk: Capability, _ command: DiskCommand) -> Header {
        var h = Header(capability: disk, command: command.rawValue)
        h.size = shift
        h.offset = first
        h.extra = count
        return h
    }

    /// The bytes this transfer moves, nil when the shift is out of range.
    public var byteCount: Int? {
        guard DiskTransfer.validShift(shift) else { return nil }
        return Int(count) << Int(shift)
    }

    public static func validShift(_ shift: UInt16) -> Bool {
        shift >= DiskLimits.smallestShift && shift <= DiskLimits.largestShift
    }

    /// The physical blocks (first, count) this transfer covers on a disk of
    /// `physicalBlocks` blocks of 512 bytes, or why it is refused.
    public func physicalRange(diskBlocks physicalBlocks: UInt64) -> Result<(first: UInt64, count: Int), ErrorCode> {
        guard DiskTransfer.validShift(shift), count > 0, first >= 0 else { return .failure(.argumentBad) }
        let scale = UInt64(shift) - UInt64(DiskLimits.physicalShift)   // 0...22
        let bytes = UInt64(count) << UInt64(shift)                     // < 2^47: no overflow
        guard bytes <= UInt64(DiskLimits.requestBufferSize) else { return .failure(.argumentBad) }
        let start = UInt64(first) << scale                             // < 2^53
        let blocks = UInt64(count) << scale
        guard start <= physicalBlocks, blocks <= physicalBlocks - start else { return .failure(.argumentBad) }
        return .success((start, Int(blocks)))
    }
}

extension DiskTransfer {
    /// The biggest transfers of `blockSize`-byte blocks (2^shift) that fit
    /// the server's buffer, covering `count` blocks from `first`: how the
    /// client splits a long read or write, as Amoeba's stubs split at 29 KB.
    /// Empty when not one block fits the buffer (2^shift over 29 KiB).
    public static func split(shift: UInt16, first: Int64, count: Int64) -> [DiskTransfer] {
        guard validShift(shift), count > 0, first >= 0, DiskLimits.requestBufferSize >> Int(shift) > 0 else { return [] }
        let perRequest = Int64(min(Int(UInt16.max), DiskLimits.requestBufferSize >> Int(shift)))
        var out: [DiskTransfer] = []
        var at = first
        var left = count
        while left > 0 {
            let n = min(left, perRequest)
            guard at <= Int64(Int32.max) else { break }
            out.append(DiskTransfer(shift: shift, first: Int32(at), count: UInt16(n)))
            at += n
            left -= n
        }
        return out
    }
}
