// Issue 10, item 7: uncommitted files are bounded in number and bytes and
// expire, so CREATEs that are never committed cannot grow the server.

import AmoebaCore
import Storage
@testable import Bullet
import Testing
import TestSupport

@Suite struct BulletPendingTests {
    final class Clock: @unchecked Sendable { var now: Int64 = 0 }

    func client(_ clock: Clock, _ tweak: (inout PendingLimits) -> Void = { _ in }) throws -> BulletClient<MemoryStore> {
        let server = try BulletServer(store: MemoryStore(), generator: SeededRandom(5), clock: { clock.now })
        tweak(&server.pendingLimits)
        return BulletClient(server)
    }

    /// 8,000 CREATEs never committed (the attack) leave at most the bound,
    /// and a put in progress meanwhile, touched with every piece, survives.
    @Test func uncommittedFilesAreBoundedAndTheActiveOneSurvives() throws {
        let clock = Clock()
        let c = try client(clock) { $0.files = 100; $0.bytes = 1 << 20 }
        let (e, cap) = c.create(pattern(1000), commit: false)
        #expect(e == .ok)
        for i in 0..<8000 {
            _ = c.create(pattern(100, seed: i), commit: false)
            if i % 50 == 0 {
                let (h, _) = c.call(cap, BulletCommand.modify, pattern(10), offset: 1000)
                #expect(h.status == .ok, "the active put lost its file")
            }
            #expect(c.server.pendingUsage.files <= 100)
        }
        let (h, _) = c.call(cap, BulletCommand.modify, [], offset: 0, extra: BulletCommit.commit)
        #expect(h.status == .ok)
        #expect(c.server.fileCount == 1)
    }

    @Test func bytesAreBounded() throws {
        let clock = Clock()
        let c = try client(clock) { $0.bytes = 100_000 }
        for i in 0..<50 { _ = c.create(pattern(10_000, seed: i), commit: false) }
        #expect(c.server.pendingUsage.bytes <= 100_000)
    }

    /// Abandoned (a killed put): gone after the lifetime, without STD_AGE.
    @Test func abandonedFilesExpire() throws {
        let clock = Clock()
        let c = try client(clock) { $0.lifetime = 60 }
        for i in 0..<10 { _ = c.create(pattern(5000, seed: i), commit: false) }
        #expect(c.server.pendingUsage.files == 10)
        clock.now = 120
        _ = c.create(pattern(10), commit: true)
        #expect(c.server.pendingUsage.files == 0)
    }
}
