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
// The objects are kept in memory as well (reads never touch the disk), so
// the state must fit in memory and a checkpoint in half the volume: a
// batch that would not fit is refused with StorageError.noSpace and
// nothing changes. After an I/O error the store refuses further commits
// (its view of the disk may be wrong) until it is opened again.
import Storage

public final class BlockStore: ObjectStore {
    public let volume: any BlockVolume
    private var values: [UInt32: [UInt8]] = [:]
    private var superblock = Superblock(sequence: 0, half: 0, checkpointSequence: 0, generation: 0)
    /// Draws a half's generation number (random; tests pass their own).
    private let draw: () -> UInt64
    /// The next block of the live half to append a record at.
    private var head: UInt64 = 0
    private var nextSequence: UInt64 = 1
    private let halfBlocks: UInt64
    private var broken: StorageError? = nil
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
    private func end(of half: UInt32) -> UInt64 { start(of: half) + halfBlocks }

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
        guard let first = readRecord(at: at, limit: limit), first.record.kind == .checkpoint,
              first.record.sequence == s.checkpointSequence, first.record.generation == s.generation else { throw .corrupt }
        for case .write(let key, let bytes) in first.record.changes { values[key] = bytes }
        at += first.blocks
        var sequence = s.checkpointSequence + 1
        while at < limit, let next = readRecord(at: at, limit: limit), next.record.kind == .batch,
              next.record.sequence == sequence, next.record.generation == s.generation {
            apply(next.record.changes, to: &values)
            at += next.blocks
            sequence += 1
        }
        superblock = s
        head = at
        nextSequence = sequence
    }

    /// The record at block `at`, nil when there is none whole and sound.
    private func readRecord(at: UInt64, limit: UInt64) -> (record: StoreRecord, blocks: UInt64)? {
        guard let first = try? volume.readBlocks(at, count: 1), let head = StoreRecord.peek(first),
              at + UInt64(head.blocks) <= limit else { return nil }
        var bytes = first
        if head.blocks > 1 {
            guard let rest = try? volume.readBlocks(at + 1, count: head.blocks - 1) else { return nil }
            bytes += rest
        }
        guard let r = StoreRecord.decode(bytes) else { return nil }
        return (r, UInt64(head.blocks))
    }

    private func apply(_ changes: [StoreChange], to state: inout [UInt32: [UInt8]]) {
        for c in changes {
            switch c {
            case .write(let key, let bytes): state[key] = bytes
            case .remove(let key): state[key] = nil
            }
        }
    }

    // MARK: ObjectStore

    public func keys() -> [UInt32] { values.keys.sorted() }

    public func size(of key: UInt32) -> Int? { values[key]?.count }

    public func read(_ key: UInt32) throws(StorageError) -> [UInt8] {
        guard let v = values[key] else { throw .missing }
        return v
    }

    public func read(_ key: UInt32, offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        guard let v = values[key] else { throw .missing }
        return clampedSlice(v, offset: offset, count: count)
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
            apply(changes, to: &values)
            head += blocks
            nextSequence += 1
            return
        }
        try compact(adding: changes)
    }

    /// Moves the live generation to the other half with `changes` applied.
    private func compact(adding changes: [StoreChange]) throws(StorageError) {
        var state = values
        apply(changes, to: &state)
        var all: [StoreChange] = []
        for key in state.keys.sorted() { all.append(.write(key: key, bytes: state[key]!)) }
        let generation = draw()
        let checkpoint = StoreRecord(kind: .checkpoint, sequence: nextSequence, generation: generation, changes: all).encoded()
        let blocks = UInt64(checkpoint.count / BlockVolumeLayout.blockSize)
        guard blocks <= halfBlocks else { throw .noSpace }
        let other: UInt32 = superblock.half ^ 1
        let s = Superblock(sequence: superblock.sequence + 1, half: other, checkpointSequence: nextSequence, generation: generation)
        try guarded { () throws(StorageError) in
            try volume.writeBlocks(start(of: other), checkpoint)
            try volume.flush()
            try volume.writeBlocks(s.sequence & 1, s.encoded())
            try volume.flush()
        }
        values = state
        superblock = s
        head = start(of: other) + blocks
        nextSequence += 1
        compactions += 1
    }

    /// Runs `body`; an error from the volume leaves the store refusing
    /// commits from then on (what reached the disk is unknown).
    private func guarded(_ body: () throws(StorageError) -> Void) throws(StorageError) {
        do { try body() } catch { broken = error; throw error }
    }
}
