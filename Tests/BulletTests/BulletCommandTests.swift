import Testing
import AmoebaCore
import Storage
import Bullet
import TestSupport

/// The Bullet protocol: immutable files built by CREATE/MODIFY and a
/// commit, read at any offset in pieces, sized, destroyed.
@Suite struct BulletCommandTests {
    @Test func protocolNumbers() {
        #expect(BulletCommand.create == 2001)
        #expect(BulletCommand.read == 2006)
        #expect(BulletCommand.size == 2007)
        #expect(BulletLimits.requestData == 29768)
    }

    @Test func createSmallFileAndReadIt() {
        let (_, c) = memoryBullet()
        let data = pattern(1000)
        let (e, cap) = c.create(data)
        #expect(e == .ok)
        #expect(cap.port == c.server.putPort)
        #expect(cap.private.rights == .all)
        #expect(cap.private.object.value != 0)
        #expect(c.size(cap) == (.ok, 1000))
        #expect(c.readAll(cap) == (.ok, data))
        #expect(c.call(cap, StandardCommand.info).1 == Array("-     1000 bytes".utf8))
    }

    /// A file larger than one transaction: several MODIFYs, then a commit;
    /// read back in pieces of every size, at any offset.
    @Test func largeFileInPieces() {
        let (_, c) = memoryBullet()
        let data = pattern(200_000, seed: 5)
        let (e, cap) = c.create(data)
        #expect(e == .ok)
        #expect(c.size(cap) == (.ok, 200_000))
        #expect(c.readAll(cap) == (.ok, data))
        #expect(c.readAll(cap, piece: 4096) == (.ok, data))
        let (h, d) = c.call(cap, BulletCommand.read, offset: 123_457, size: 777)
        #expect(h.status == .ok)
        #expect(h.size == 777)
        #expect(d == Array(data[123_457..<(123_457 + 777)]))
        // At the end a READ is short; at the very end it is empty.
        #expect(c.call(cap, BulletCommand.read, offset: 199_990, size: 100).1 == Array(data[199_990...]))
        let (endH, endD) = c.call(cap, BulletCommand.read, offset: 200_000, size: 100)
        #expect(endH.status == .ok && endD.isEmpty)
        #expect(c.call(cap, BulletCommand.read, offset: 200_001, size: 100).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.read, offset: -1, size: 100).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.read, size: 0x8000).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.read, size: 0x7FFF).1.count == 0x7FFF)
    }

    @Test func emptyFile() {
        let (_, c) = memoryBullet()
        let (e, cap) = c.create([])
        #expect(e == .ok)
        #expect(c.size(cap) == (.ok, 0))
        #expect(c.readAll(cap) == (.ok, []))
    }

    /// An uncommitted file cannot be read or sized; once committed it
    /// cannot change: MODIFY makes a new file with a new capability.
    @Test func committedFilesAreImmutable() throws {
        let (_, c) = memoryBullet()
        let (e, draft) = c.create(pattern(10), commit: false)
        #expect(e == .ok)
        #expect(c.call(draft, BulletCommand.read, size: 10).0.status == .capabilityBad)
        #expect(c.size(draft).0 == .capabilityBad)
        #expect(c.call(draft, StandardCommand.info).0.status == .capabilityBad)
        let (m, _) = c.call(draft, BulletCommand.modify, [9, 9], offset: 10, extra: BulletCommit.commit)
        #expect(m.status == .ok)
        #expect(m.capability == draft)  // an uncommitted file changes in place
        #expect(c.readAll(draft).1 == pattern(10) + [9, 9])

        let (m2, _) = c.call(draft, BulletCommand.modify, [1], offset: 0, extra: BulletCommit.commit)
        #expect(m2.status == .ok)
        #expect(m2.capability != draft)
        #expect(c.readAll(draft).1 == pattern(10) + [9, 9])
        #expect(c.readAll(m2.capability).1 == [1] + Array(pattern(10)[1...]) + [9, 9])
    }

    @Test func insertAndDeleteMakeNewVersions() throws {
        let (_, c) = memoryBullet()
        let (_, cap) = c.create(Array("hello world".utf8))
        let (ins, _) = c.call(cap, BulletCommand.insert, Array(" big".utf8), offset: 5, extra: BulletCommit.commit)
        #expect(ins.status == .ok)
        #expect(c.readAll(ins.capability).1 == Array("hello big world".utf8))
        var w = BufferWriter()
        try w.write(Int32(100))
        let (del, _) = c.call(ins.capability, BulletCommand.delete, w.bytes, offset: 9, extra: BulletCommit.commit)
        #expect(del.status == .ok)
        #expect(c.readAll(del.capability).1 == Array("hello big".utf8))
        #expect(c.call(cap, BulletCommand.delete, [0, 0, 0, 0], offset: 0).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.insert, [], offset: 0).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.modify, [1], offset: 12).0.status == .argumentBad)
    }

    @Test func destroyForgetsTheFile() {
        let (store, c) = memoryBullet()
        let (_, cap) = c.create(pattern(100))
        #expect(store.keys().count == 2)  // identity + file
        #expect(c.call(cap, StandardCommand.destroy).0.status == .ok)
        #expect(store.keys().count == 1)
        #expect(c.size(cap).0 == .capabilityBad)
        #expect(c.call(cap, StandardCommand.destroy).0.status == .capabilityBad)
        let (_, draft) = c.create([1], commit: false)
        #expect(c.call(draft, StandardCommand.destroy).0.status == .ok)
        #expect(store.keys().count == 1)
    }

    @Test func standardCommands() {
        let (_, c) = memoryBullet()
        let (_, cap) = c.create(pattern(5))
        #expect(c.call(c.server.superCapability, StandardCommand.info).1 == Array("bullet server".utf8))
        #expect(c.call(cap, StandardCommand.touch).0.status == .ok)
        let (st, text) = c.call(cap, StandardCommand.status)
        #expect(st.status == .ok)
        #expect(String(decoding: text, as: UTF8.self) == "bullet: 1 files, 5 bytes, 0 uncommitted")
        #expect(c.call(c.server.superCapability, BulletCommand.sync).0.status == .ok)
        #expect(c.call(cap, 2099).0.status == .commandBad)
        #expect(c.call(cap, BulletCommand.fsck).0.status == .commandBad)
    }

    @Test func standardCopyMakesAnIndependentFile() throws {
        let (_, c) = memoryBullet()
        let (_, cap) = c.create(pattern(40_000))
        let (h, _) = c.call(c.server.superCapability, StandardCommand.copy, cap.bytes)
        #expect(h.status == .ok)
        #expect(h.capability != cap && h.private.rights == .all)
        #expect(c.readAll(h.capability) == (.ok, pattern(40_000)))
        #expect(c.call(cap, StandardCommand.destroy).0.status == .ok)
        #expect(c.size(h.capability) == (.ok, 40_000))
        #expect(c.call(c.server.superCapability, StandardCommand.copy, cap.bytes).0.status == .capabilityBad)
        #expect(c.call(c.server.superCapability, StandardCommand.copy, [1, 2]).0.status == .argumentBad)
        let blind = c.restricted(h.capability, BulletRights.destroy)
        #expect(c.call(c.server.superCapability, StandardCommand.copy, blind.bytes).0.status == .denied)
        var elsewhere = h.capability
        elsewhere.port = Port(hex: "999999999999")!
        #expect(c.call(c.server.superCapability, StandardCommand.copy, elsewhere.bytes).0.status == .commandBad)
    }

    /// STD_AGE destroys files nobody touched for `lifetime` agings, and
    /// abandoned uncommitted files sooner; touching keeps a file alive.
    @Test func agingCollectsUntouchedFiles() {
        let (_, c) = memoryBullet()
        let (_, kept) = c.create(pattern(5))
        let (_, dropped) = c.create(pattern(6))
        let (_, draft) = c.create([1], commit: false)
        #expect(c.call(kept, StandardCommand.age).0.status == .capabilityBad)
        for _ in 0..<Int(BulletLimits.lifetime) - 1 {
            #expect(c.call(c.server.superCapability, StandardCommand.age).0.status == .ok)
            #expect(c.call(kept, StandardCommand.touch).0.status == .ok)
        }
        #expect(c.call(draft, StandardCommand.touch).0.status == .capabilityBad)
        #expect(c.size(dropped).0 == .ok)
        #expect(c.call(c.server.superCapability, StandardCommand.age).0.status == .ok)
        #expect(c.size(dropped).0 == .capabilityBad)
        #expect(c.size(kept) == (.ok, 5))
    }

    /// A server's lifetime can be shortened (bullet-server --max-lifetime):
    /// files already there are held to it, new files start with it.
    @Test func maximumLifetimeBoundsEveryFile() {
        let (_, c) = memoryBullet()
        let (_, old) = c.create(pattern(3))
        c.server.maximumLifetime = 2
        let (_, new) = c.create(pattern(4))
        #expect(c.call(c.server.superCapability, StandardCommand.age).0.status == .ok)
        #expect(c.size(old) == (.ok, 3))
        #expect(c.call(new, StandardCommand.touch).0.status == .ok)
        #expect(c.call(c.server.superCapability, StandardCommand.age).0.status == .ok)
        #expect(c.size(old).0 == .capabilityBad)
        #expect(c.size(new) == (.ok, 4))
        c.server.maximumLifetime = 0   // at least one sweep, never none
        #expect(c.server.maximumLifetime == 1)
    }

    @Test func failedCommitIsNotAcknowledged() {
        let (store, c) = memoryBullet()
        store.failingCommits = 1
        let (e, _) = c.create(pattern(10))
        #expect(e == .noSpace)
        #expect(c.server.fileCount == 0)
        #expect(c.create(pattern(10)).0 == .ok)
    }
}

@Suite struct BulletRightsTests {
    @Test func rightsAreChecked() {
        let (_, c) = memoryBullet()
        let (_, cap) = c.create(pattern(50))
        let readOnly = c.restricted(cap, BulletRights.read)
        #expect(readOnly.private.rights.rawValue == BulletRights.read)
        #expect(c.readAll(readOnly) == (.ok, pattern(50)))
        #expect(c.call(readOnly, StandardCommand.destroy).0.status == .denied)
        #expect(c.call(readOnly, BulletCommand.modify, [1], extra: 1).0.status == .denied)
        let blind = c.restricted(cap, BulletRights.destroy)
        #expect(c.call(blind, BulletCommand.read, size: 10).0.status == .denied)
        #expect(c.call(blind, StandardCommand.info).0.status == .denied)
        // Restriction never adds rights.
        #expect(c.restricted(readOnly, 0xFF).private.rights.rawValue == BulletRights.read)
        #expect(c.call(blind, StandardCommand.destroy).0.status == .ok)
    }

    @Test func createNeedsCreateRight() {
        let (_, c) = memoryBullet()
        let weakSuper = c.restricted(c.server.superCapability, BulletRights.read)
        #expect(c.create([1], with: weakSuper).0 == .denied)
        #expect(c.call(weakSuper, StandardCommand.info).1 == Array("bullet server".utf8))
        #expect(c.call(weakSuper, StandardCommand.age).0.status == .denied)
    }

    @Test func forgedCapabilitiesAreRefused() {
        let (_, c) = memoryBullet()
        let (_, cap) = c.create(pattern(50))
        var forged = cap
        forged.private.rights = Rights(rawValue: 0x02)
        #expect(c.call(forged, BulletCommand.read, size: 10).0.status == .capabilityBad)
        var other = cap
        other.private.object = ObjectNumber(999)!
        #expect(c.size(other).0 == .capabilityBad)
        var superForged = c.server.superCapability
        superForged.private.check = Port(hex: "010101010101")!
        #expect(c.create([1], with: superForged).0 == .capabilityBad)
        #expect(c.call(.null, StandardCommand.info).0.status == .capabilityBad)
    }

    @Test func randomRequestsNeverCrash() {
        let (store, c) = memoryBullet()
        let (_, cap) = c.create(pattern(3000))
        let (_, draft) = c.create(pattern(10), commit: false)
        var rng = SeededRandom(11)
        let commands: [UInt16] = Array(1999...2010) + Array(1000...1010)
        let caps = [cap, draft, c.server.superCapability, c.restricted(cap, 2), .null]
        for i in 0..<3000 {
            let data = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var h = Header(capability: caps[i % caps.count], command: commands[Int(rng.next() % UInt64(commands.count))])
            h.offset = Int32(truncatingIfNeeded: rng.next() % 2 == 0 ? rng.next() : rng.next() % 4000)
            h.size = UInt16(truncatingIfNeeded: rng.next())
            h.extra = UInt16(truncatingIfNeeded: rng.next() % 4)
            let (reply, bytes) = c.server.handle(header: h, data: data)
            #expect(Int(reply.size) == bytes.count)
        }
        let reopened = try? BulletServer(store: store, generator: SeededRandom(3))
        #expect(reopened?.fileSizes == c.server.fileSizes)
    }
}
