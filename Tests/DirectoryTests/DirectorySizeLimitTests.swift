import AmoebaCore
import Directory
import DirectoryProtocol
import Storage
import Testing
import TestSupport

/// The bound on the directories' stored bytes (a kernel node's heap holds
/// them all): past it, growth gets STD_NOSPACE and nothing changes;
/// shrinking always goes through; a reopened server counts the same.
@Suite struct DirectorySizeLimitTests {
    @Test func growthStopsAtTheBoundAndNothingIsLost() {
        let f = Fixture()
        f.server.sizeLimit = f.server.storedBytes + 4000
        var appended = 0
        var last = ErrorCode.ok
        for i in 0..<1000 {
            last = f.append(f.root, "entry-\(i)-" + String(repeating: "x", count: 40), CapabilitySet(foreignCap(UInt32(i + 1))))
            guard last == .ok else { break }
            appended += 1
        }
        #expect(last == .noSpace)
        #expect(appended > 10 && appended < 1000)
        #expect(f.server.storedBytes <= f.server.sizeLimit)
        // A refused CREATE makes no directory; nothing appended is gone.
        let count = f.server.directories.count
        f.server.sizeLimit = f.server.storedBytes
        #expect(f.create(f.root) == nil)
        #expect(f.server.directories.count == count)
        for i in 0..<appended {
            #expect(f.resolve(f.root, "entry-\(i)-" + String(repeating: "x", count: 40)) == foreignCap(UInt32(i + 1)))
        }
        // Deleting rows always works, and makes room again.
        #expect(f.status(f.root, DirectoryCommand.delete, Req.strings(["entry-0-" + String(repeating: "x", count: 40)])) == .ok)
        #expect(f.status(f.root, DirectoryCommand.delete, Req.strings(["entry-1-" + String(repeating: "x", count: 40)])) == .ok)
        #expect(f.append(f.root, "again", CapabilitySet(foreignCap(9999))) == .ok)
    }

    @Test func aReopenedServerCountsTheSameBytes() throws {
        let f = Fixture()
        for i in 0..<30 { #expect(f.append(f.root, "n\(i)", CapabilitySet(foreignCap(UInt32(i + 1)))) == .ok) }
        _ = f.create(f.root)
        let again = try DirectoryServer(store: f.store, generator: SeededRandom(2))
        #expect(again.storedBytes == f.server.storedBytes)
        #expect(again.storedBytes > 0)
    }
}
