// Reading a record from the volume without holding it: recovery walks a
// record block chunk by block chunk, checksumming every byte as it passes,
// and keeps only where each value lies (an Extent), never the values. So
// opening a store holding a 20 MB file costs a 32 KiB buffer, not 20 MB.
// The record counts only if its checksum holds once the last byte is read.
import AmoebaCore
import Storage

/// Where a value lies on the volume: its first byte (counted from the
/// volume's start) and its length.
struct Extent: Equatable {
    var at: UInt64
    var length: Int
}

struct RecordScanner {
    /// Blocks read from the volume at a time.
    static let chunkBlocks = 64

    let volume: any BlockVolume
    private var nextBlock: UInt64
    private let limit: UInt64
    private let startByte: UInt64
    private var buffer: [UInt8] = []
    private var cursor = 0
    /// Bytes of the record consumed so far.
    private(set) var consumed = 0
    private(set) var crc: UInt32 = 0

    init(volume: any BlockVolume, at block: UInt64, limit: UInt64) {
        self.volume = volume
        nextBlock = block
        self.limit = limit
        startByte = block * UInt64(BlockVolumeLayout.blockSize)
    }

    /// The volume byte position of the next byte.
    var position: UInt64 { startByte + UInt64(consumed) }

    private mutating func refill() -> Bool {
        guard nextBlock < limit else { return false }
        let n = Int(min(UInt64(RecordScanner.chunkBlocks), limit - nextBlock))
        guard let bytes = try? volume.readBlocks(nextBlock, count: n) else { return false }
        buffer = bytes
        cursor = 0
        nextBlock += UInt64(n)
        return true
    }

    /// The next `n` bytes (kept when `keep`), checksummed unless told not to.
    mutating func take(_ n: Int, keep: Bool = true, checksum: Bool = true) -> [UInt8]? {
        guard n >= 0 else { return nil }
        var out: [UInt8] = []
        if keep { out.reserveCapacity(n) }
        var left = n
        while left > 0 {
            if cursor == buffer.count { guard refill() else { return nil } }
            let k = min(left, buffer.count - cursor)
            if checksum { crc = CRC32.update(crc, buffer, from: cursor, to: cursor + k) }
            if keep { out += buffer[cursor..<cursor + k] }
            cursor += k
            left -= k
            consumed += k
        }
        return out
    }

    mutating func startChecksum(_ crc: UInt32) { self.crc = crc }

    /// One whole record at `block`: its header and, for each change, the
    /// key and where its new value lies (nil: removed). Nil when there is no
    /// sound record there within `limit`.
    static func scan(_ volume: any BlockVolume, at block: UInt64, limit: UInt64)
        -> (kind: RecordKind, sequence: UInt64, generation: UInt64, blocks: UInt64, changes: [(UInt32, Extent?)])? {
        var s = RecordScanner(volume: volume, at: block, limit: limit)
        guard var header = s.take(StoreRecord.headerSize, checksum: false), let head = StoreRecord.peek(header),
              block + UInt64(head.blocks) <= limit else { return nil }
        let stored = UInt32(header[28]) | UInt32(header[29]) << 8 | UInt32(header[30]) << 16 | UInt32(header[31]) << 24
        header[28] = 0; header[29] = 0; header[30] = 0; header[31] = 0
        s.startChecksum(CRC32.of(header))
        let end = StoreRecord.headerSize + head.payload
        guard let countBytes = s.take(4) else { return nil }
        let count = Int(UInt32(countBytes[0]) | UInt32(countBytes[1]) << 8 | UInt32(countBytes[2]) << 16 | UInt32(countBytes[3]) << 24)
        guard count <= head.payload / 9 else { return nil }
        var changes: [(UInt32, Extent?)] = []
        for _ in 0..<count {
            guard let h = s.take(9) else { return nil }
            let key = UInt32(h[1]) | UInt32(h[2]) << 8 | UInt32(h[3]) << 16 | UInt32(h[4]) << 24
            let n = Int(UInt32(h[5]) | UInt32(h[6]) << 8 | UInt32(h[7]) << 16 | UInt32(h[8]) << 24)
            guard n <= end - s.consumed else { return nil }
            switch h[0] {
            case 1:
                let at = s.position
                guard s.take(n, keep: false) != nil else { return nil }
                changes.append((key, Extent(at: at, length: n)))
            case 2:
                guard n == 0 else { return nil }
                changes.append((key, nil))
            default:
                return nil
            }
        }
        guard s.consumed == end, s.crc == stored else { return nil }
        return (head.kind, head.sequence, head.generation, UInt64(head.blocks), changes)
    }
}
