// Writing a record (StoreRecord's layout) a piece at a time: the header
// with a zero checksum, the change count, then each change's 9-byte header
// and value as the caller hands them over; whole chunks of blocks go to
// the volume as they fill, the checksum runs over every byte, and `finish`
// pads the last block and writes the first block again with the checksum
// in it. A checkpoint is not live until the superblock names it, and a
// batch not until its checksum holds and a flush has passed, so a crash
// part-way leaves only an unreferenced or unchecksummed record. Used for
// the checkpoints of a compaction and for batches too large to build in
// memory (a joined value).
import AmoebaCore
import Storage

struct CheckpointWriter {
    /// Bytes gathered before they go to the volume (and the piece size
    /// callers copy values in).
    static let chunkBytes = 64 * BlockVolumeLayout.blockSize

    let volume: any BlockVolume
    let startBlock: UInt64
    private var nextBlock: UInt64
    private var pending: [UInt8] = []
    private var written = 0
    private var firstBlock: [UInt8] = []
    private var crc: UInt32 = 0

    init(volume: any BlockVolume, at block: UInt64) {
        self.volume = volume
        startBlock = block
        nextBlock = block
    }

    /// The volume byte position the next appended byte will have.
    var position: UInt64 { startBlock * UInt64(BlockVolumeLayout.blockSize) + UInt64(written + pending.count) }

    mutating func header(kind: RecordKind, sequence: UInt64, generation: UInt64, payload: Int, count: Int) throws(StorageError) {
        var w = BufferWriter(reservingCapacity: StoreRecord.headerSize + 4)
        try? w.write(StoreRecord.magic)
        try? w.write(kind.rawValue)
        try? w.write(UInt32(truncatingIfNeeded: sequence)); try? w.write(UInt32(truncatingIfNeeded: sequence >> 32))
        try? w.write(UInt32(truncatingIfNeeded: generation)); try? w.write(UInt32(truncatingIfNeeded: generation >> 32))
        try? w.write(UInt32(payload))
        try? w.write(UInt32(0))
        try? w.write(UInt32(count))
        try append(w.bytes)
    }

    mutating func changeHeader(key: UInt32, length: Int) throws(StorageError) {
        var w = BufferWriter(reservingCapacity: 9)
        try? w.write(UInt8(1)); try? w.write(key); try? w.write(UInt32(length))
        try append(w.bytes)
    }

    mutating func removeHeader(key: UInt32) throws(StorageError) {
        var w = BufferWriter(reservingCapacity: 9)
        try? w.write(UInt8(2)); try? w.write(key); try? w.write(UInt32(0))
        try append(w.bytes)
    }

    mutating func append(_ bytes: [UInt8]) throws(StorageError) {
        crc = CRC32.update(crc, bytes)
        pending += bytes
        if pending.count >= CheckpointWriter.chunkBytes { try drain(all: false) }
    }

    /// Writes the whole blocks gathered (all of them, padded, when `all`).
    private mutating func drain(all: Bool) throws(StorageError) {
        let size = BlockVolumeLayout.blockSize
        if all, pending.count % size != 0 { pending += [UInt8](repeating: 0, count: size - pending.count % size) }
        let whole = pending.count / size * size
        guard whole > 0 else { return }
        let out = Array(pending[0..<whole])
        if written == 0 { firstBlock = Array(out[0..<size]) }
        try volume.writeBlocks(nextBlock, out)
        nextBlock += UInt64(whole / size)
        written += whole
        pending.removeFirst(whole)
    }

    /// The last block padded out, then the first block again with the checksum.
    mutating func finish() throws(StorageError) {
        try drain(all: true)
        firstBlock[28] = UInt8(truncatingIfNeeded: crc); firstBlock[29] = UInt8(truncatingIfNeeded: crc >> 8)
        firstBlock[30] = UInt8(truncatingIfNeeded: crc >> 16); firstBlock[31] = UInt8(truncatingIfNeeded: crc >> 24)
        try volume.writeBlocks(startBlock, firstBlock)
    }
}
