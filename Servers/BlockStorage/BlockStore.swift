// A crash-safe ObjectStore on a block volume (a kernel node's disk): the
// same promise as the Linux DiskStore, that a batch is durable once
// `commit` returns and that after a crash at any moment each batch is
// there whole or not at all.
//
// Layout: blocks 0 and 1 hold two copies of the superblock, written
// alternately; the rest is two equal halves. The live half starts with a
// checkpoint record (every object) and continues with one record per
// committed batch, each with the next sequence number and a CRC-32. A
// commit appends its record and flushes before it returns. When the live
// half is full, the state with the new batch applied is written as a
// checkpoint at the start of the other half, flushed, and only then does
// a new superblock (in the other copy's block) name that half, flushed
// again: a crash before that leaves the old half, untouched, live.
//
// Recovery reads the superblock with the highest sequence whose checksum
// holds, the checkpoint it names, and then records while each has the
// next sequence number, the half's random generation number (drawn when
// the half was started, kept in the superblock) and a good checksum; the first that does not (a
// torn write, stale bytes of an older generation) ends the log, and the
// next commit writes over it.
//
// Only an index is kept in memory (each key's extent on the volume):
// values are read from the disk when asked for, recovery streams through
// the records (RecordScanner) and compaction copies values from the old
// half to the new one piece by piece, so a store far larger than memory
// opens and compacts in a small buffer. Every object must fit, with the
// checkpoint's headers, in half the volume: a batch that would not is
// refused with StorageError.noSpace and nothing changes. After an I/O error the store refuses further commits
// (its view of the disk may be wrong) until it is opened again.
import Storage

public final class BlockStore: ObjectStore {
    public let volume: any BlockVolume
    /// Where each key's value lies in the live half.
    var index: [UInt32: Extent] = [:]
    var superblock = Superblock(sequence: 0, half: 0, checkpointSequence: 0, generation: 0)
    /// Draws a half's generation number (random; tests pass their own).
    private let draw: () -> UInt64
    /// The next block of the live half to append a record at.
    var head: UInt64 = 0
    var nextSequence: UInt64 = 1
    private let halfBlocks: UInt64
    var broken: StorageError? = nil
    /// How many times the live generation moved to the other half.
    public private(set) var compactions = 0

    /// The smallest volume: two superblocks and two halves of 8 blocks.
    public static let minimumBlocks: UInt64 = 2 + 2 * 8

    /// Opens the store on `volume`, recovering what it holds; a volume
    /// whose superblocks are both blank (all zero) is formatted empty
    /// when `formatIfBlank`. Anything else unreadable is `.corrupt`.
    public init(volume: any BlockVolume, formatIfBlank: Bool = true,
                generation: (() -> UInt64)? = nil) throws(StorageError) {
        self.volume = volume
        draw = generation ?? { var g = SystemRandomNumberGenerator(); return g.next() }
        guard volume.blockCount >= BlockStore.minimumBlocks else { throw .noSpace }
        halfBlocks = (volume.blockCount - 2) / 2
        let supers = try volume.readBlocks(0, count: 2)
        let a = Superblock.decode(Array(supers[0..<BlockVolumeLayout.blockSize]))
        let b = Superblock.decode(Array(supers[BlockVolumeLayout.blockSize...]))
        if let best = [a, b].compactMap({ $0 }).max(by: { $0.sequence < $1.sequence }) {
            try recover(best)
        } else if formatIfBlank, supers.allSatisfy({ $0 == 0 }) {
            try format()
        } else {
            throw .corrupt
        }
    }

    private func start(of half: UInt32) -> UInt64 { 2 + UInt64(half) * halfBlocks }
    func end(of half: UInt32) -> UInt64 { start(of: half) + halfBlocks }

    private func format() throws(StorageError) {
        let generation = draw()
        let checkpoint = StoreRecord(kind: .checkpoint, sequence: 1, generation: generation, changes: []).encoded()
        try volume.writeBlocks(start(of: 0), checkpoint)
        try volume.flush()
        let s = Superblock(sequence: 1, half: 0, checkpointSequence: 1, generation: generation)
        try volume.writeBlocks(1, s.encoded())
        try volume.flush()
        superblock = s
        head = start(of: 0) + UInt64(checkpoint.count / BlockVolumeLayout.blockSize)
        nextSequence = 2
    }

    private func recover(_ s: Superblock) throws(StorageError) {
        var at = start(of: s.half)
        let limit = end(of: s.half)
        guard let first = RecordScanner.scan(volume, at: at, limit: limit), first.kind == .checkpoint,
              first.sequence == s.checkpointSequence, first.generation == s.generation else { throw .corrupt }
        apply(first.changes, to: &index)
        at += first.blocks
        var sequence = s.checkpointSequence + 1
        while at < limit, let next = RecordScanner.scan(volume, at: at, limit: limit), next.kind == .batch,
              next.sequence == sequence, next.generation == s.generation {
            apply(next.changes, to: &index)
            at += next.blocks
            sequence += 1
        }
        superblock = s
        head = at
        nextSequence = sequence
    }

    func apply(_ changes: [(UInt32, Extent?)], to state: inout [UInt32: Extent]) {
        for (key, extent) in changes { state[key] = extent }
    }

    /// Where `changes` put each written value when their record starts at
    /// block `block` (the record layout of StoreRecord, walked the same way).
    func extents(of changes: [StoreChange], recordAt block: UInt64) -> [(UInt32, Extent?)] {
        var position = block * UInt64(BlockVolumeLayout.blockSize) + UInt64(StoreRecord.headerSize + 4)
        var out: [(UInt32, Extent?)] = []
        for c in changes {
            position += 9
            switch c {
            case .write(let key, let bytes):
                out.append((key, Extent(at: position, length: bytes.count)))
                position += UInt64(bytes.count)
            case .remove(let key):
                out.append((key, nil))
            }
        }
        return out
    }

    /// `count` bytes of the value at `e` from `offset` (both within it).
    func read(_ e: Extent, offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        guard count > 0 else { return [] }
        let size = UInt64(BlockVolumeLayout.blockSize)
        let from = e.at + UInt64(offset)
        let firstBlock = from / size
        let lastBlock = (from + UInt64(count) - 1) / size
        let bytes = try volume.readBlocks(firstBlock, count: Int(lastBlock - firstBlock + 1))
        let skip = Int(from - firstBlock * size)
        return Array(bytes[skip..<skip + count])
    }

    // MARK: ObjectStore

    public func keys() -> [UInt32] { index.keys.sorted() }

    public func size(of key: UInt32) -> Int? { index[key]?.length }

    public func read(_ key: UInt32) throws(StorageError) -> [UInt8] {
        guard let e = index[key] else { throw .missing }
        return try read(e, offset: 0, count: e.length)
    }

    public func read(_ key: UInt32, offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        guard let e = index[key] else { throw .missing }
        guard offset >= 0, count > 0, offset < e.length else { return [] }
        return try read(e, offset: offset, count: min(count, e.length - offset))
    }

    public func commit(_ changes: [StoreChange]) throws(StorageError) {
        if let broken { throw broken }
        let record = StoreRecord(kind: .batch, sequence: nextSequence, generation: superblock.generation, changes: changes).encoded()
        let blocks = UInt64(record.count / BlockVolumeLayout.blockSize)
        if head + blocks <= end(of: superblock.half) {
            try guarded { () throws(StorageError) in
                try volume.writeBlocks(head, record)
                try volume.flush()
            }
            apply(extents(of: changes, recordAt: head), to: &index)
            head += blocks
            nextSequence += 1
            return
        }
        try compact(adding: changes, joining: nil)
    }

    /// Moves the live generation to the other half with `changes` applied:
    /// a checkpoint of every object, written piece by piece (the values of
    /// `changes` from memory, a joined value's pieces from memory or the
    /// live half (JoinedCommit.swift), the others copied from it), then
    /// its first block again with the checksum, a flush, the superblock
    /// naming the other half, a flush.
    func compact(adding changes: [StoreChange], joining joined: JoinedValue?) throws(StorageError) {
        // What the new state holds: a value from the batch, or one on the disk.
        var fresh: [UInt32: [UInt8]] = [:]
        var keep = index
        for c in changes {
            switch c {
            case .write(let key, let bytes): fresh[key] = bytes; keep[key] = nil
            case .remove(let key): fresh[key] = nil; keep[key] = nil
            }
        }
        if let joined { fresh[joined.key] = nil; keep[joined.key] = nil }
        var keys = Array(fresh.keys) + Array(keep.keys) + (joined.map { [$0.key] } ?? [])
        keys.sort()
        var payload = 4
        for k in keys { payload += 9 + (k == joined?.key ? joined!.length : fresh[k]?.count ?? keep[k]!.length) }
        let blocks = UInt64(StoreRecord.blocks(forPayload: payload))
        guard blocks <= halfBlocks else { throw .noSpace }
        let other: UInt32 = superblock.half ^ 1
        let generation = draw()
        let s = Superblock(sequence: superblock.sequence + 1, half: other, checkpointSequence: nextSequence, generation: generation)
        var newIndex: [UInt32: Extent] = [:]
        try guarded { () throws(StorageError) in
            var out = CheckpointWriter(volume: volume, at: start(of: other))
            try out.header(kind: .checkpoint, sequence: nextSequence, generation: generation, payload: payload, count: keys.count)
            for k in keys {
                if let joined, k == joined.key {
                    try out.changeHeader(key: k, length: joined.length)
                    newIndex[k] = Extent(at: out.position, length: joined.length)
                    try copy(joined.pieces, into: &out)
                    continue
                }
                let length = fresh[k]?.count ?? keep[k]!.length
                try out.changeHeader(key: k, length: length)
                newIndex[k] = Extent(at: out.position, length: length)
                if let bytes = fresh[k] {
                    try out.append(bytes)
                } else {
                    let e = keep[k]!
                    var done = 0
                    while done < e.length {
                        let n = min(CheckpointWriter.chunkBytes, e.length - done)
                        try out.append(try read(e, offset: done, count: n))
                        done += n
                    }
                }
            }
            try out.finish()
            try volume.flush()
            try volume.writeBlocks(s.sequence & 1, s.encoded())
            try volume.flush()
        }
        index = newIndex
        superblock = s
        head = start(of: other) + blocks
        nextSequence += 1
        compactions += 1
    }

    /// Runs `body`; an error from the volume leaves the store refusing
    /// commits from then on (what reached the disk is unknown).
    func guarded(_ body: () throws(StorageError) -> Void) throws(StorageError) {
        do { try body() } catch { broken = error; throw error }
    }
}
