// Uploads staged in the store (BulletStaging.swift): memory holds only the
// tail, the committed file is byte for byte what was sent and stored like
// one written whole, parts never outlive their upload (commit, destroy,
// a restart after a crash), and a change among staged bytes still works.

import AmoebaCore
import BlockStorage
import Storage
@testable import Bullet
import Testing
import TestSupport

@Suite struct BulletStagingTests {
    func parts(_ store: some ObjectStore) -> [UInt32] { store.keys().filter { $0 >= 1 << 24 } }

    func staged(_ store: MemoryStore, stage: Int = 4000) throws -> BulletClient<MemoryStore> {
        let server = try BulletServer(store: store, generator: SeededRandom(9))
        server.stageBytes = stage
        return BulletClient(server)
    }

    @Test func anUploadIsStagedAndCommittedWhole() throws {
        let store = MemoryStore()
        let c = try staged(store)
        let data = pattern(50_000, seed: 3)
        let (e, cap) = c.create(data, commit: false, piece: 1500)
        #expect(e == .ok)
        #expect(parts(store).count >= 10)
        #expect(c.server.pendingUsage.bytes < 4000 + 1500)
        // The last piece commits: one record, no parts left.
        let (h, _) = c.call(cap, BulletCommand.modify, pattern(700, seed: 4), offset: 50_000,
                            extra: BulletCommit.commit | BulletCommit.safety)
        #expect(h.status == .ok)
        #expect(parts(store).isEmpty)
        #expect(c.readAll(cap) == (.ok, data + pattern(700, seed: 4)))
        #expect(c.server.pendingUsage.bytes == 0)
        // Stored as a file written whole: a server without staging reads it.
        let plain = BulletClient(try BulletServer(store: store, generator: SeededRandom(10)))
        #expect(plain.readAll(cap) == (.ok, data + pattern(700, seed: 4)))
    }

    @Test func changesAmongStagedBytesBringThemBack() throws {
        let store = MemoryStore()
        let c = try staged(store)
        var data = pattern(20_000, seed: 5)
        let (e, cap) = c.create(data, commit: false, piece: 1000)
        #expect(e == .ok && !parts(store).isEmpty)
        #expect(c.call(cap, BulletCommand.modify, [1, 2, 3], offset: 100).0.status == .ok)
        data.replaceSubrange(100..<103, with: [1, 2, 3])
        #expect(parts(store).count == 1)   // back in memory, changed, staged again as one
        #expect(c.call(cap, BulletCommand.insert, [9, 9], offset: 5, extra: BulletCommit.commit).0.status == .ok)
        data.insert(contentsOf: [9, 9], at: 5)
        #expect(c.readAll(cap) == (.ok, data))
        // Past the memory bound, such a change is refused and the upload kept.
        c.server.pendingLimits.bytes = 10_000
        let (e2, cap2) = c.create(pattern(20_000, seed: 6), commit: false, piece: 1000)
        #expect(e2 == .ok)
        #expect(c.call(cap2, BulletCommand.modify, [1], offset: 10).0.status == .noSpace)
        #expect(c.call(cap2, BulletCommand.modify, [7], offset: 20_000, extra: BulletCommit.commit).0.status == .ok)
        #expect(c.readAll(cap2) == (.ok, pattern(20_000, seed: 6) + [7]))
        // A committed file larger than that bound is not copied into memory
        // (a kernel heap would not hold it): MODIFY and STD_COPY refuse.
        #expect(c.call(cap2, BulletCommand.modify, [1], offset: 10).0.status == .noSpace)
        #expect(c.call(c.server.superCapability, StandardCommand.copy, cap2.bytes).0.status == .noSpace)
        #expect(c.readAll(cap2) == (.ok, pattern(20_000, seed: 6) + [7]))
    }

    @Test func partsGoWithTheirUpload() throws {
        let store = MemoryStore()
        let c = try staged(store)
        let (_, cap) = c.create(pattern(30_000), commit: false, piece: 1000)
        #expect(!parts(store).isEmpty)
        #expect(c.call(cap, StandardCommand.destroy).0.status == .ok)
        #expect(parts(store).isEmpty)
        // A crash in the middle of an upload: the next start removes its parts.
        _ = c.create(pattern(30_000), commit: false, piece: 1000)
        let (ok, committed) = c.create(pattern(9_000, seed: 2), piece: 1000)
        #expect(ok == .ok && !parts(store).isEmpty)
        let restarted = BulletClient(try BulletServer(store: store, generator: SeededRandom(11)))
        #expect(parts(store).isEmpty)
        #expect(restarted.server.fileCount == 1)
        #expect(restarted.readAll(committed) == (.ok, pattern(9_000, seed: 2)))
    }

    @Test func anUploadFillingTheDiskIsRefusedAndLosesNothing() throws {
        let volume = MemoryVolume(blocks: 402)   // halves of 100 KB
        let store = try BlockStore(volume: volume)
        let server = try BulletServer(store: store, generator: SeededRandom(14))
        server.stageBytes = 8 * 1024
        let c = BulletClient(server)
        let (e1, kept) = c.create(pattern(30_000, seed: 1), piece: 1000)
        #expect(e1 == .ok)
        let (e2, big) = c.create(pattern(200_000, seed: 2), piece: 1000)
        #expect(e2 == .noSpace)
        #expect(c.readAll(kept) == (.ok, pattern(30_000, seed: 1)))
        // Its parts go with it, and the space is there again.
        #expect(c.call(big, StandardCommand.destroy).0.status == .ok)
        #expect(parts(store).isEmpty)
        let (e3, next) = c.create(pattern(40_000, seed: 3), piece: 1000)
        #expect(e3 == .ok)
        let reopened = BulletClient(try BulletServer(store: try BlockStore(volume: volume), generator: SeededRandom(15)))
        #expect(reopened.readAll(kept) == (.ok, pattern(30_000, seed: 1)))
        #expect(reopened.readAll(next) == (.ok, pattern(40_000, seed: 3)))
    }

    @Test func onABlockStoreTheJoinStreams() throws {
        let volume = MemoryVolume(blocks: 4002)
        let store = try BlockStore(volume: volume)
        let server = try BulletServer(store: store, generator: SeededRandom(12))
        server.stageBytes = 64 * 1024
        let c = BulletClient(server)
        let data = pattern(600_000, seed: 7)
        let (e, cap) = c.create(data)
        #expect(e == .ok)
        #expect(store.keys().filter { $0 >= 1 << 24 }.isEmpty)
        #expect(c.readAll(cap) == (.ok, data))
        let again = BulletClient(try BulletServer(store: try BlockStore(volume: volume), generator: SeededRandom(13)))
        #expect(again.readAll(cap) == (.ok, data))
    }
}

/// A volume in memory, flushed by definition.
final class MemoryVolume: BlockVolume {
    var bytes: [UInt8]
    let blockCount: UInt64
    init(blocks: UInt64) { blockCount = blocks; bytes = [UInt8](repeating: 0, count: Int(blocks) * 512) }
    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        guard first + UInt64(count) <= blockCount else { throw .system(22) }
        return Array(bytes[Int(first) * 512..<(Int(first) + count) * 512])
    }
    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError) {
        guard first + UInt64(data.count / 512) <= blockCount else { throw .system(22) }
        bytes.replaceSubrange(Int(first) * 512..<Int(first) * 512 + data.count, with: data)
    }
    func flush() throws(StorageError) {}
}
