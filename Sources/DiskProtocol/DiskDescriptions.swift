// The two structured replies of the virtual disk server and its std_info
// line, encoded and decoded in one place:
//
//   DS_INFO          12 bytes per physical piece: unit, first block,
//                    block count (int32, little-endian, 512-byte blocks)
//   DS_GETGEOMETRY   six int16, little-endian: bytes per track, bytes per
//                    sector, cylinders, alternate cylinders, heads,
//                    sectors per track
//   STD_INFO         "@ " + the size in KB right-aligned in 8 columns +
//                    " KB" (Amoeba's "@ %8ld KB"), no NUL
//
// Decoders check lengths first and return nil on anything malformed.
import AmoebaCore

/// One physical piece of a virtual disk (a DS_INFO record).
public struct DiskPiece: Equatable, Sendable {
    public var unit: Int32
    public var firstBlock: Int32
    public var blockCount: Int32

    public init(unit: Int32, firstBlock: Int32, blockCount: Int32) {
        self.unit = unit
        self.firstBlock = firstBlock
        self.blockCount = blockCount
    }

    public static func encode(_ pieces: [DiskPiece]) -> [UInt8] {
        var w = BufferWriter(reservingCapacity: pieces.count * DiskLimits.pieceSize)
        for p in pieces {
            try? w.write(p.unit)
            try? w.write(p.firstBlock)
            try? w.write(p.blockCount)
        }
        return w.bytes
    }

    /// nil unless `bytes` is a whole number of records.
    public static func decode(_ bytes: [UInt8]) -> [DiskPiece]? {
        guard bytes.count % DiskLimits.pieceSize == 0 else { return nil }
        var r = BufferReader(bytes)
        var out: [DiskPiece] = []
        while !r.isAtEnd {
            guard let u = try? r.readInt32(), let f = try? r.readInt32(), let n = try? r.readInt32() else { return nil }
            out.append(DiskPiece(unit: u, firstBlock: f, blockCount: n))
        }
        return out
    }
}

/// A drive's shape as DS_GETGEOMETRY reports it (all zero when unknown).
public struct DiskGeometry: Equatable, Sendable {
    public var bytesPerTrack: Int16 = 0
    public var bytesPerSector: Int16 = 0
    public var cylinders: Int16 = 0
    public var alternateCylinders: Int16 = 0
    public var heads: Int16 = 0
    public var sectorsPerTrack: Int16 = 0

    public init() {}

    /// The shape of a drive with these cylinders, heads and sectors of 512 bytes.
    public init(cylinders: Int, heads: Int, sectorsPerTrack: Int) {
        func clamp(_ v: Int) -> Int16 { Int16(clamping: v) }
        self.cylinders = clamp(cylinders)
        self.heads = clamp(heads)
        self.sectorsPerTrack = clamp(sectorsPerTrack)
        bytesPerSector = clamp(DiskLimits.physicalBlockSize)
        bytesPerTrack = clamp(sectorsPerTrack * DiskLimits.physicalBlockSize)
    }

    public var encoded: [UInt8] {
        var w = BufferWriter(reservingCapacity: DiskLimits.geometrySize)
        for v in [bytesPerTrack, bytesPerSector, cylinders, alternateCylinders, heads, sectorsPerTrack] { try? w.write(v) }
        return w.bytes
    }

    /// nil unless `bytes` holds exactly the six fields.
    public static func decode(_ bytes: [UInt8]) -> DiskGeometry? {
        guard bytes.count == DiskLimits.geometrySize else { return nil }
        var r = BufferReader(bytes)
        var g = DiskGeometry()
        guard let a = try? r.readInt16(), let b = try? r.readInt16(), let c = try? r.readInt16(),
              let d = try? r.readInt16(), let e = try? r.readInt16(), let f = try? r.readInt16() else { return nil }
        g.bytesPerTrack = a; g.bytesPerSector = b; g.cylinders = c
        g.alternateCylinders = d; g.heads = e; g.sectorsPerTrack = f
        return g
    }
}

public enum DiskInfoText {
    /// Amoeba's std_info line for a disk of `kilobytes` KB: "@ %8ld KB".
    public static func line(kilobytes: UInt64) -> String {
        let digits = String(kilobytes)
        let pad = digits.utf8.count < 8 ? 8 - digits.utf8.count : 0
        var s = "@ "
        for _ in 0..<pad { s += " " }
        return s + digits + " KB"
    }
}
