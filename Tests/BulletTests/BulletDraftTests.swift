// Uploads written to the store as they arrive (BulletDrafts.swift): the
// committed file is what was sent, in whatever order the pieces came, and
// is stored like one written whole; the upload's bytes never sit in the
// server's memory; a draft goes with its upload (destroy, expiry, a
// restart); INSERT and DELETE bring the bytes back into memory; a commit
// the store cannot make is not acknowledged; and kill -9 in the middle of
// uploads loses no acknowledged file.

import AmoebaCore
import DiskStorage
import Foundation
import Storage
@testable import Bullet
import Testing
import TestSupport

@Suite struct BulletDraftTests {
    func streaming(_ store: MemoryStore, seed: UInt64 = 21) throws -> BulletClient<MemoryStore> {
        store.keepsDrafts = true
        let server = try BulletServer(store: store, generator: SeededRandom(seed))
        server.streamsUploads = true
        return BulletClient(server)
    }

    @Test func anUploadGoesToItsDraftAndCommitsWhole() throws {
        let store = MemoryStore()
        let c = try streaming(store)
        let data = pattern(9 * 1000 + 55, seed: 6)
        let (e, cap) = c.create(Array(data[0..<1000]), commit: false)
        #expect(e == .ok)
        // The middle pieces out of order, one twice.
        for at in [3000, 1000, 2000, 2000, 5000, 4000, 7000, 6000] {
            #expect(c.call(cap, BulletCommand.modify, Array(data[at..<(at + 1000)]), offset: Int32(at)).0.status == .ok)
            #expect(c.server.pendingUsage.bytes <= 2000)   // only pieces held ahead of a gap
        }
        #expect(store.drafts.count == 1)
        #expect(c.server.fileCount == 0)
        let (h, _) = c.call(cap, BulletCommand.modify, Array(data[8000...]), offset: 8000,
                            extra: BulletCommit.commit | BulletCommit.safety)
        #expect(h.status == .ok)
        #expect(store.drafts.isEmpty)
        #expect(c.readAll(cap) == (.ok, data))
        // Stored as a file written whole: a server without drafts reads it.
        let plain = BulletClient(try BulletServer(store: store, generator: SeededRandom(22)))
        #expect(plain.readAll(cap) == (.ok, data))
        // A file of one piece is written by its CREATE, as before.
        let (e1, one) = c.create(pattern(10))
        #expect(e1 == .ok && store.drafts.isEmpty)
        #expect(c.readAll(one) == (.ok, pattern(10)))
    }

    @Test func draftsGoWithTheirUpload() throws {
        let store = MemoryStore()
        let c = try streaming(store)
        let (_, cap) = c.create(pattern(3000), commit: false, piece: 1000)
        #expect(store.drafts.count == 1)
        #expect(c.call(cap, StandardCommand.destroy).0.status == .ok)
        #expect(store.drafts.isEmpty)
        // Expired: the draft is removed with the upload.
        var now: Int64 = 0
        let aging = try BulletServer(store: store, generator: SeededRandom(23), clock: { now })
        aging.streamsUploads = true
        let a = BulletClient(aging)
        _ = a.create(pattern(3000), commit: false, piece: 1000)
        #expect(store.drafts.count == 1)
        now = aging.pendingLimits.lifetime + 5
        _ = a.call(aging.superCapability, StandardCommand.status)
        #expect(store.drafts.isEmpty)
    }

    @Test func insertAndDeleteBringTheBytesBack() throws {
        let store = MemoryStore()
        let c = try streaming(store)
        var data = pattern(5000, seed: 2)
        let (_, cap) = c.create(data, commit: false, piece: 1000)
        #expect(c.call(cap, BulletCommand.insert, [7, 7], offset: 10).0.status == .ok)
        data.insert(contentsOf: [7, 7], at: 10)
        #expect(store.drafts.isEmpty)
        #expect(c.call(cap, BulletCommand.modify, [1], offset: Int32(data.count), extra: BulletCommit.commit).0.status == .ok)
        #expect(c.readAll(cap) == (.ok, data + [1]))
        // Past the memory bound that is refused, and the upload kept.
        c.server.pendingLimits.bytes = 2000
        let (_, big) = c.create(pattern(5000, seed: 3), commit: false, piece: 1000)
        #expect(c.call(big, BulletCommand.insert, [1], offset: 10).0.status == .noSpace)
        #expect(c.call(big, BulletCommand.modify, [9], offset: 5000, extra: BulletCommit.commit).0.status == .ok)
        #expect(c.readAll(big) == (.ok, pattern(5000, seed: 3) + [9]))
    }

    @Test func aCommitTheStoreRefusesIsNotAcknowledged() throws {
        let store = MemoryStore()
        let c = try streaming(store)
        let (_, cap) = c.create(pattern(3000), commit: false, piece: 1000)
        store.failingCommits = 1
        #expect(c.call(cap, BulletCommand.modify, [1], offset: 3000, extra: BulletCommit.commit).0.status == .noSpace)
        #expect(c.server.fileCount == 0)
        // The upload is still there and commits once the store can.
        #expect(c.call(cap, BulletCommand.modify, [2], offset: 3001, extra: BulletCommit.commit).0.status == .ok)
        #expect(c.readAll(cap) == (.ok, pattern(3000) + [1, 2]))
    }

    @Test func onDiskDraftsAreFilesRenamedIntoPlace() throws {
        let path = temporaryDirectory("bullet-drafts")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = try BulletServer(store: DiskStore(path: path), generator: SeededRandom(24))
        server.streamsUploads = true
        let c = BulletClient(server)
        let data = pattern(200_000, seed: 5)
        let (e, cap) = c.create(data)
        #expect(e == .ok)
        let (_, open) = c.create(pattern(70_000), commit: false)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("td") }.count == 1)
        // A restart forgets the upload and removes its draft.
        let again = BulletClient(try BulletServer(store: DiskStore(path: path, exclusive: false), generator: SeededRandom(25)))
        #expect(again.readAll(cap) == (.ok, data))
        #expect(again.call(open, StandardCommand.touch).0.status == .capabilityBad)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("t") }.isEmpty)
    }
}
