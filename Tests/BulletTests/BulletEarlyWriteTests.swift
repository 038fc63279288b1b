// MODIFYs that overtake each other (BulletEarlyWrites.swift): held until
// the bytes in front arrive, so any arrival order builds the same file; a
// commit never seals a gap; the bound on held bytes, and commands other
// than MODIFY, keep Amoeba's STD_ARGBAD.

import AmoebaCore
import Storage
@testable import Bullet
import Testing
import TestSupport

@Suite struct BulletEarlyWriteTests {
    /// An uncommitted file made by CREATE with `first`.
    func started(_ c: BulletClient<MemoryStore>, _ first: [UInt8]) -> Capability {
        let (e, cap) = c.create(first, commit: false)
        #expect(e == .ok)
        return cap
    }

    @Test func piecesInAnyOrderBuildTheFile() throws {
        let data = pattern(12 * 1000 + 321, seed: 8)
        let pieces = stride(from: 1000, to: data.count, by: 1000).map { $0..<min($0 + 1000, data.count) }
        // The middle pieces reversed, shuffled, and each sent twice.
        let orders: [[Range<Int>]] = [
            Array(pieces.dropLast().reversed()),
            pieces.dropLast().enumerated().sorted { ($0.offset * 7) % 11 < ($1.offset * 7) % 11 }.map(\.element),
            pieces.dropLast().flatMap { [$0, $0] }.reversed(),
        ]
        for order in orders {
            let (_, c) = memoryBullet()
            let cap = started(c, Array(data[0..<1000]))
            for r in order {
                #expect(c.call(cap, BulletCommand.modify, Array(data[r]), offset: Int32(r.lowerBound)).0.status == .ok)
            }
            let last = pieces.last!
            let (h, _) = c.call(cap, BulletCommand.modify, Array(data[last]), offset: Int32(last.lowerBound),
                                extra: BulletCommit.commit | BulletCommit.safety)
            #expect(h.status == .ok)
            #expect(c.readAll(cap) == (.ok, data))
            #expect(c.server.pendingUsage == (0, 0))
        }
    }

    @Test func aCommitNeverSealsAGap() throws {
        let (_, c) = memoryBullet()
        let cap = started(c, pattern(1000))
        // Bytes 1000..<2000 never come.
        #expect(c.call(cap, BulletCommand.modify, pattern(1000, seed: 2), offset: 2000).0.status == .ok)
        let commit = BulletCommit.commit | BulletCommit.safety
        #expect(c.call(cap, BulletCommand.modify, pattern(500, seed: 3), offset: 3000, extra: commit).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.modify, [], offset: 1000, extra: commit).0.status == .argumentBad)
        #expect(c.server.fileCount == 0)
        // The missing piece still completes it.
        #expect(c.call(cap, BulletCommand.modify, pattern(1000, seed: 1), offset: 1000, extra: commit).0.status == .ok)
        #expect(c.readAll(cap) == (.ok, pattern(1000) + pattern(1000, seed: 1) + pattern(1000, seed: 2)))
    }

    @Test func heldBytesAreBoundedAndOnlyModifyIsHeld() throws {
        let (_, c) = memoryBullet()
        c.server.pendingLimits.earlyBytes = 2500
        let cap = started(c, pattern(1000))
        #expect(c.call(cap, BulletCommand.modify, pattern(1000), offset: 2000).0.status == .ok)
        #expect(c.call(cap, BulletCommand.modify, pattern(1000), offset: 3000).0.status == .ok)
        #expect(c.call(cap, BulletCommand.modify, pattern(1000), offset: 4000).0.status == .argumentBad)
        #expect(c.server.pendingUsage.bytes == 3000)
        // INSERT and DELETE would move the held pieces' bytes: refused
        // while any are held, as is a MODIFY past the end of a committed file.
        #expect(c.call(cap, BulletCommand.insert, [1], offset: 10).0.status == .argumentBad)
        #expect(c.call(cap, BulletCommand.delete, [1, 0, 0, 0], offset: 10).0.status == .argumentBad)
        let (_, done) = c.create(pattern(100))
        #expect(c.call(done, BulletCommand.modify, [1], offset: 200).0.status == .argumentBad)
        // An empty MODIFY past the end is refused too: nothing to hold.
        #expect(c.call(cap, BulletCommand.modify, [], offset: 9000).0.status == .argumentBad)
        // Destroying the upload frees what it held.
        #expect(c.call(cap, StandardCommand.destroy).0.status == .ok)
        #expect(c.server.pendingUsage.bytes == 0)
    }

    @Test func heldPiecesJoinStagedUploads() throws {
        let store = MemoryStore()
        let server = try BulletServer(store: store, generator: SeededRandom(12))
        server.stageBytes = 2500
        let c = BulletClient(server)
        let data = pattern(10_000, seed: 4)
        let cap = started(c, Array(data[0..<1000]))
        for at in [4000, 2000, 3000, 1000, 6000, 5000, 7000, 8000] {
            #expect(c.call(cap, BulletCommand.modify, Array(data[at..<(at + 1000)]), offset: Int32(at)).0.status == .ok)
        }
        #expect(c.call(cap, BulletCommand.modify, Array(data[9000...]), offset: 9000,
                       extra: BulletCommit.commit).0.status == .ok)
        #expect(c.readAll(cap) == (.ok, data))
        #expect(store.keys().filter { $0 >= 1 << 24 }.isEmpty)
    }
}
