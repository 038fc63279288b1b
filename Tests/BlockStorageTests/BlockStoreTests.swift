// The block store's promise under simulated crashes: a disk whose written
// blocks sit in a volatile cache until a flush (and reach the medium in
// any subset when the power goes), stopped at write N for every N of a
// scripted workload (format, batches of writes, overwrites and removes,
// values large enough to force compactions into the other half), with the
// cache kept whole, dropped, kept in a seeded random part, or only its
// newest write kept, and the write at which it stops torn or whole. After each crash the store must open, hold
// every acknowledged batch, hold each batch whole or not at all, and go on
// committing.
import Storage
import Testing
@testable import BlockStorage

/// A disk with a write cache that a crash may partly lose.
final class CrashDisk: BlockVolume {
    enum Loss {
        case keepAll, dropAll
        /// Each cached block kept or lost by a seeded coin.
        case random(UInt64)
        /// Only the blocks of the last write kept: a disk that wrote the
        /// later request first.
        case newestOnly
    }

    private(set) var medium: [UInt8]
    /// Written, not yet flushed: block number and contents, in order.
    private var cache: [(UInt64, [UInt8])] = []
    /// The write that stops the disk (1-based); nil never.
    var stopAt: Int?
    var loss = Loss.keepAll
    /// Whether the stopping write is torn (some of its blocks) or lands whole.
    var tornStop = true
    private(set) var writes = 0
    private(set) var stopped = false
    let blockCount: UInt64

    init(blocks: UInt64) {
        blockCount = blocks
        medium = [UInt8](repeating: 0, count: Int(blocks) * 512)
    }

    init(image: [UInt8]) {
        blockCount = UInt64(image.count / 512)
        medium = image
    }

    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        if stopped { throw .system(5) }
        guard first + UInt64(count) <= blockCount else { throw .system(22) }
        var out = Array(medium[Int(first) * 512..<(Int(first) + count) * 512])
        for (b, bytes) in cache where b >= first && b < first + UInt64(count) {
            out.replaceSubrange(Int(b - first) * 512..<Int(b - first + 1) * 512, with: bytes)
        }
        return out
    }

    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError) {
        if stopped { throw .system(5) }
        guard data.count % 512 == 0, first + UInt64(data.count / 512) <= blockCount else { throw .system(22) }
        writes += 1
        var blocks: [(UInt64, [UInt8])] = []
        for i in 0..<data.count / 512 { blocks.append((first + UInt64(i), Array(data[i * 512..<(i + 1) * 512]))) }
        if let stopAt, writes >= stopAt {
            // The stopping write is torn: only some of its blocks get into the cache.
            var g = Seeded(UInt64(writes) &* 7919)
            let landed = tornStop ? blocks.filter { _ in g.next() & 1 == 0 } : blocks
            if case .newestOnly = loss { cache = landed } else { cache += landed }
            powerFails()
            throw .system(5)
        }
        cache += blocks
    }

    func flush() throws(StorageError) {
        if stopped { throw .system(5) }
        for (b, bytes) in cache { medium.replaceSubrange(Int(b) * 512..<Int(b + 1) * 512, with: bytes) }
        cache = []
    }

    /// What the medium holds after the power goes: the cache lost as `loss` says.
    private func powerFails() {
        stopped = true
        var g: Seeded? = nil
        if case .random(let seed) = loss { g = Seeded(seed) }
        for (b, bytes) in cache {
            switch loss {
            case .keepAll: break
            case .dropAll: continue
            case .random: if g!.next() % 3 == 0 { continue }
            case .newestOnly: break
            }
            medium.replaceSubrange(Int(b) * 512..<Int(b + 1) * 512, with: bytes)
        }
        cache = []
    }
}

struct Seeded: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}

/// The scripted workload: batches, and the state after each.
func workload() -> [[StoreChange]] {
    var g = Seeded(42)
    func bytes(_ n: Int, _ tag: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(tag)) } }
    var batches: [[StoreChange]] = []
    for i in 0..<40 {
        let key = UInt32(g.next() % 12)
        switch i % 7 {
        case 3: batches.append([.remove(key: key)])
        case 5: batches.append([.write(key: key, bytes: bytes(6000 + i * 10, UInt8(i))), .write(key: 100 + UInt32(i), bytes: [UInt8(i)]),
                                .remove(key: key &+ 1)])
        case 6: batches.append([.write(key: 50, bytes: bytes(Int(g.next() % 1500), UInt8(i)))])
        default: batches.append([.write(key: key, bytes: bytes(Int(g.next() % 2500), UInt8(i)))])
        }
    }
    return batches
}

func states(_ batches: [[StoreChange]]) -> [[UInt32: [UInt8]]] {
    var s: [UInt32: [UInt8]] = [:]
    var out = [s]
    for b in batches {
        for c in b {
            switch c {
            case .write(let k, let v): s[k] = v
            case .remove(let k): s[k] = nil
            }
        }
        out.append(s)
    }
    return out
}

func contents(_ store: BlockStore) -> [UInt32: [UInt8]] {
    var d: [UInt32: [UInt8]] = [:]
    for k in store.keys() { d[k] = try? store.read(k) }
    return d
}

/// A volume of 2 superblocks and two halves of 100 blocks (50 KiB): the
/// workload fills a half several times over.
let volumeBlocks: UInt64 = 202

/// One run of `steps` cut off by a power failure at write `n`: how many
/// steps the store acknowledged before it (-1: it was not even formatted),
/// the disk, and the store opened again from what reached the medium (nil,
/// recorded as an issue, when it does not open).
func crashRun<Step>(_ steps: [Step], blocks: UInt64, stoppingAt n: Int, loss: CrashDisk.Loss, torn: Bool,
                    applying apply: (Step, BlockStore) throws -> Void)
    -> (acknowledged: Int, disk: CrashDisk, recovered: BlockStore?) {
    let disk = CrashDisk(blocks: blocks)
    disk.stopAt = n
    disk.loss = loss
    disk.tornStop = torn
    var acknowledged = -1
    if let s = try? BlockStore(volume: disk, generation: counter()) {
        acknowledged = 0
        for step in steps {
            do { try apply(step, s) } catch { break }
            acknowledged += 1
        }
    }
    do {
        return (acknowledged, disk, try BlockStore(volume: CrashDisk(image: disk.medium), generation: counter()))
    } catch {
        Issue.record("crash at write \(n) (\(loss)): the store does not open: \(error)")
        return (acknowledged, disk, nil)
    }
}

/// The states a store recovered after `acknowledged` of `count` steps may
/// show: all it acknowledged, and perhaps the step under way.
func possibleStates(_ acknowledged: Int, of count: Int) -> ClosedRange<Int> {
    max(acknowledged, 0)...min(acknowledged + 1, count)
}

func counter() -> () -> UInt64 {
    var n: UInt64 = 1000
    return { n += 1; return n }
}

@Test func workloadWithoutCrashCompactsAndReopens() throws {
    let disk = CrashDisk(blocks: volumeBlocks)
    let store = try BlockStore(volume: disk, generation: counter())
    let batches = workload()
    for b in batches { try store.commit(b) }
    let expected = states(batches).last!
    #expect(contents(store) == expected)
    let again = try BlockStore(volume: CrashDisk(image: disk.medium), formatIfBlank: false)
    #expect(contents(again) == expected)
    #expect(store.compactions >= 2)   // the workload crosses halves
}

@Test func crashAtEveryWriteLosesNothingAcknowledged() throws {
    let batches = workload()
    let expected = states(batches)
    let clean = CrashDisk(blocks: volumeBlocks)
    let store = try BlockStore(volume: clean, generation: counter())
    for b in batches { try store.commit(b) }
    let totalWrites = clean.writes
    var runs = 0
    for n in 1...totalWrites {
        let variants: [(CrashDisk.Loss, Bool)] = [(.keepAll, true), (.dropAll, true), (.random(UInt64(n)), true),
                                                  (.random(UInt64(n) ^ 0x5555), false), (.newestOnly, false)]
        for (loss, torn) in variants {
            runs += 1
            let run = crashRun(batches, blocks: volumeBlocks, stoppingAt: n, loss: loss, torn: torn) { try $1.commit($0) }
            #expect(run.disk.stopped, "write \(n) was reached")
            guard let recovered = run.recovered else { continue }
            let got = contents(recovered)
            let possible = possibleStates(run.acknowledged, of: batches.count)
            let match = possible.first { expected[$0] == got }
            #expect(match != nil, "crash at write \(n) (\(loss)): \(run.acknowledged) batches acknowledged, state matches none of \(possible)")
            // It goes on: one more batch, and it is there after another opening.
            try recovered.commit([.write(key: 999, bytes: [1, 2, 3])])
            let again = try BlockStore(volume: recovered.volume, formatIfBlank: false)
            #expect(try again.read(999) == [1, 2, 3])
        }
    }
    #expect(runs == totalWrites * 5)
}

@Test func fullVolumeIsNoSpaceAndLosesNothing() throws {
    let disk = CrashDisk(blocks: volumeBlocks)
    let store = try BlockStore(volume: disk, generation: counter())
    try store.commit([.write(key: 1, bytes: [UInt8](repeating: 7, count: 20000))])
    try store.commit([.write(key: 2, bytes: [UInt8](repeating: 8, count: 20000))])
    // A third of that size cannot fit in a 50 KiB half beside the other two.
    #expect(throws: StorageError.noSpace) { try store.commit([.write(key: 3, bytes: [UInt8](repeating: 9, count: 20000))]) }
    #expect(store.keys() == [1, 2])
    try store.commit([.remove(key: 1), .write(key: 3, bytes: [UInt8](repeating: 9, count: 20000))])   // room again
    let reopened = try BlockStore(volume: CrashDisk(image: disk.medium), formatIfBlank: false)
    #expect(reopened.keys() == [2, 3])
    #expect(try reopened.read(3) == [UInt8](repeating: 9, count: 20000))
    #expect(throws: StorageError.noSpace) { _ = try BlockStore(volume: CrashDisk(blocks: 10)) }
}

@Test func damagedOrForeignVolumesAreRefused() throws {
    var garbage = [UInt8](repeating: 0, count: Int(volumeBlocks) * 512)
    for i in 0..<1024 { garbage[i] = UInt8(truncatingIfNeeded: i &* 13 &+ 1) }
    #expect(throws: StorageError.corrupt) { _ = try BlockStore(volume: CrashDisk(image: garbage)) }
    #expect(throws: StorageError.corrupt) { _ = try BlockStore(volume: CrashDisk(blocks: volumeBlocks), formatIfBlank: false) }
}

@Test func dataImitatingARecordIsNotTakenForOne() throws {
    // A value whose bytes are a well-formed batch record with the next
    // sequence number, but another generation, placed so that it lands
    // on a block boundary where the log will continue.
    let disk = CrashDisk(blocks: volumeBlocks)
    let store = try BlockStore(volume: disk, generation: counter())
    try store.commit([.write(key: 1, bytes: [1])])
    let fake = StoreRecord(kind: .batch, sequence: 3, generation: 0xDEAD, changes: [.write(key: 666, bytes: [6])]).encoded()
    #expect(StoreRecord.decode(fake) != nil)
    let reopened = try BlockStore(volume: CrashDisk(image: disk.medium), formatIfBlank: false)
    _ = reopened
    // Write the imitation straight where the next record would go, as stale bytes would lie.
    var image = disk.medium
    image.replaceSubrange(4 * 512..<4 * 512 + fake.count, with: fake)
    let s = try BlockStore(volume: CrashDisk(image: image), formatIfBlank: false)
    #expect(s.keys() == [1])
    // The control: the same imitation with the live generation (1001, the
    // format's) would be taken, so it is the generation that keeps it out.
    let forged = StoreRecord(kind: .batch, sequence: 3, generation: 1001, changes: [.write(key: 666, bytes: [6])]).encoded()
    image.replaceSubrange(4 * 512..<4 * 512 + forged.count, with: forged)
    #expect(try BlockStore(volume: CrashDisk(image: image), formatIfBlank: false).keys() == [1, 666])
}

@Test func checksumsAndRecordsRoundTrip() {
    #expect(CRC32.of(Array("123456789".utf8)) == 0xCBF4_3926)
    let r = StoreRecord(kind: .batch, sequence: 0x1_0000_0002, generation: 77, changes: [.write(key: 5, bytes: [9, 8]), .remove(key: 6)])
    let bytes = r.encoded()
    #expect(bytes.count == 512)
    let back = StoreRecord.decode(bytes)
    #expect(back?.sequence == 0x1_0000_0002 && back?.generation == 77 && back?.changes == r.changes)
    var torn = bytes
    torn[40] ^= 1
    #expect(StoreRecord.decode(torn) == nil)
    #expect(StoreRecord.decode(Array(bytes[0..<20])) == nil)
    let s = Superblock(sequence: 9, half: 1, checkpointSequence: 4, generation: 5)
    #expect(Superblock.decode(s.encoded()) == s)
    var bad = s.encoded(); bad[8] ^= 1
    #expect(Superblock.decode(bad) == nil)
}

@Test func largeValuesStreamThroughCompactionAndRecovery() throws {
    // Halves of 2000 blocks (1000 KiB); values of 100-300 KB span many of
    // the 32 KiB pieces that recovery reads and compaction copies in.
    let disk = CrashDisk(blocks: 2 + 2 * 2000)
    let store = try BlockStore(volume: disk, generation: counter())
    var model: [UInt32: [UInt8]] = [:]
    var g = Seeded(9)
    for i in 0..<14 {
        let key = UInt32(i % 3)
        let n = 100_000 + Int(g.next() % 200_000)
        let value = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ i) }
        try store.commit([.write(key: key, bytes: value)])
        model[key] = value
    }
    #expect(store.compactions >= 3)
    for (k, v) in model {
        #expect(try store.read(k) == v)
        #expect(try store.read(k, offset: 70_001, count: 40_000) == Array(v[70_001..<110_001]))
        #expect(try store.read(k, offset: v.count - 5, count: 100) == Array(v[(v.count - 5)...]))
        #expect(try store.read(k, offset: v.count, count: 1) == [])
    }
    let reopened = try BlockStore(volume: CrashDisk(image: disk.medium), formatIfBlank: false)
    for (k, v) in model { #expect(try reopened.read(k) == v) }
    #expect(reopened.keys() == model.keys.sorted())
}
