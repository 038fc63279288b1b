// How a kernel node's disk is shared between its name-space servers, and
// the label that names the name space's root: one definition for the two
// programs that lay such a disk out, the kernel (which serves it, and
// makes a name space on a fresh disk) and amoeba-init on Linux (which
// fills a node's disk image before the node boots from it).
//
// Blocks 0-63 are the label: its first block holds a magic number, the
// root directory's capability and a CRC-32 of both, so the same root is
// served again after a reboot, as the servers' ports come back from their
// stores. Then an eighth of the disk (at least 402 blocks) is the
// directory server's block store, and the rest the file server's.
import AmoebaCore
import Storage

public struct ServerDisk: Sendable {
    public static let labelBlocks: UInt64 = 64
    /// The smallest store a server gets.
    public static let minimumStoreBlocks: UInt64 = 402
    /// "AmRt".
    static let magic: [UInt8] = [0x41, 0x6D, 0x52, 0x74]

    public let label: Range<UInt64>
    public let directoryStore: Range<UInt64>
    public let fileStore: Range<UInt64>

    /// The layout of a disk of `blockCount` blocks; nil when it is too
    /// small to hold both stores.
    public init?(blockCount: UInt64) {
        let soap = max(ServerDisk.minimumStoreBlocks, blockCount / 8)
        guard blockCount >= ServerDisk.labelBlocks + soap + ServerDisk.minimumStoreBlocks else { return nil }
        label = 0..<ServerDisk.labelBlocks
        directoryStore = ServerDisk.labelBlocks..<(ServerDisk.labelBlocks + soap)
        fileStore = directoryStore.upperBound..<blockCount
    }

    /// The label's first block naming `root`.
    public static func labelBlock(root: Capability) -> [UInt8] {
        var b = magic + root.bytes
        let crc = CRC32.of(b)
        b += [UInt8(truncatingIfNeeded: crc), UInt8(truncatingIfNeeded: crc >> 8),
              UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 24)]
        return b + [UInt8](repeating: 0, count: BlockVolumeLayout.blockSize - b.count)
    }

    /// The root a label block names; nil for a blank or damaged one.
    public static func root(inLabel b: [UInt8]) -> Capability? {
        guard b.count >= 24, Array(b[0..<4]) == magic else { return nil }
        let crc = UInt32(b[20]) | UInt32(b[21]) << 8 | UInt32(b[22]) << 16 | UInt32(b[23]) << 24
        guard crc == CRC32.of(Array(b[0..<20])) else { return nil }
        return Capability(bytes: Array(b[4..<20]))
    }
}

/// A stretch of another volume, as a volume of its own: how the servers'
/// stores sit side by side on one disk.
public final class VolumeSlice: BlockVolume {
    public let base: any BlockVolume
    public let first: UInt64
    public let blockCount: UInt64

    /// Blocks `range` of `base` (clipped to it).
    public init(_ base: any BlockVolume, _ range: Range<UInt64>) {
        self.base = base
        first = min(range.lowerBound, base.blockCount)
        blockCount = min(range.upperBound, base.blockCount) - first
    }

    public func readBlocks(_ block: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        guard count >= 0, block + UInt64(count) <= blockCount else { throw .system(22) }
        return try base.readBlocks(first + block, count: count)
    }

    public func writeBlocks(_ block: UInt64, _ data: [UInt8]) throws(StorageError) {
        guard data.count % BlockVolumeLayout.blockSize == 0,
              block + UInt64(data.count / BlockVolumeLayout.blockSize) <= blockCount else { throw .system(22) }
        try base.writeBlocks(first + block, data)
    }

    public func flush() throws(StorageError) { try base.flush() }
}
