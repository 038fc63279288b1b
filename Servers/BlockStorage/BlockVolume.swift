// What the block store needs of a disk: whole 512-byte blocks read and
// written by number, and a flush that returns once everything written
// before it is on stable storage. A kernel node's virtio-blk disk (through
// its vdisk server or directly) is one; the tests use a simulated disk
// that loses unflushed writes and stops at a chosen write.
//
// Written writes may reach the medium in any order and any subset until a
// flush returns: the store assumes nothing more.
import Storage

public protocol BlockVolume: AnyObject {
    /// The volume's size in blocks of `BlockVolumeLayout.blockSize` bytes.
    var blockCount: UInt64 { get }
    /// `count` blocks from block `first`.
    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8]
    /// `data` (a whole number of blocks) from block `first` on.
    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError)
    /// Returns once every earlier write is stable.
    func flush() throws(StorageError)
}

public enum BlockVolumeLayout {
    public static let blockSize = 512
}
