// The decoders read what the network hands them: cut short or garbage,
// every buffer must give an error, never a trap.

import AmoebaCore
import DirectoryProtocol
import Testing

@Suite struct HostileInputTests {
    let list = DirectoryReply.listPage(columns: ["owner", "group", "other"],
                                       rows: [("sys", [0xFF, 0, 0]), ("tod", [1, 2, 3])], first: 0, limit: 1000)!.data
    let lookup = DirectoryReply.lookup(rest: "x/y", capabilities: CapabilitySet(initial: 1, suites: [
        .init(capability: foreignCap(1)), .init(capability: foreignCap(2), isCurrent: false)]))

    /// Every proper prefix of a LIST reply that cuts into the heading or a
    /// row is refused.
    /// Issue 10, item 10: "." and ".." are path words, never row names.
    @Test func dotNamesAreNotRowNames() {
        #expect(!DirectoryName.isValid("."))
        #expect(!DirectoryName.isValid(".."))
        #expect(DirectoryName.isValid("..."))
        #expect(DirectoryName.isValid(".profile"))
    }

    @Test func truncatedListReplies() throws {
        let rowStarts: Set<Int> = [22, 38, 54]
        for cut in 0..<list.count where !rowStarts.contains(cut) {
            #expect(throws: MarshalError.self) { try DirectoryReply.list(Array(list[0..<cut])) }
        }
        // Cut at a row boundary it is a shorter page.
        #expect(try DirectoryReply.list(Array(list[0..<38])).rows.count == 1)
    }

    @Test func truncatedLookupReplies() {
        for cut in 0..<lookup.count {
            #expect(throws: MarshalError.self) { try DirectoryReply.lookup(Array(lookup[0..<cut])) }
        }
    }

    @Test func impossibleCounts() throws {
        // Columns beyond SP_MAXCOLUMNS, negative rows or columns.
        #expect(throws: MarshalError.invalidValue) { try DirectoryReply.list([5, 0, 0, 0]) }
        #expect(throws: MarshalError.invalidValue) { try DirectoryReply.list([0xFF, 0xFF, 0, 0]) }
        #expect(throws: MarshalError.invalidValue) { try DirectoryReply.list([1, 0, 0xFF, 0xFF, 0x61, 0]) }
        // A capability set of more than MAXCAPSET suites, or a negative count.
        #expect(throws: MarshalError.invalidValue) { try DirectoryReply.lookup([0, 1, 0, 9, 0]) }
        #expect(throws: MarshalError.invalidValue) { try DirectoryReply.lookup([0, 1, 0, 0xFE, 0xFF]) }
        // SETLOOKUP with a negative number of entries asked for.
        #expect(throws: MarshalError.invalidValue) { try DirectoryReply.setLookup([], count: -1) }
        #expect(try DirectoryReply.setLookup([], count: 0).isEmpty)
    }

    /// Seeded garbage: each decoder either reads it or throws.
    @Test func garbage() {
        var g = Garbage(state: 11)
        for n in 0..<2000 {
            let bytes = g.bytes(n % 97)
            _ = try? DirectoryReply.list(bytes)
            _ = try? DirectoryReply.lookup(bytes)
            _ = try? DirectoryReply.setLookup(bytes, count: n % 5)
            _ = try? DirectoryReply.masks(bytes)
            _ = try? DirectoryReply.sequenceNumber(bytes)
            _ = try? DirectoryRequest.lookupPath(bytes)
            _ = try? DirectoryRequest.touchList(bytes, count: n % 7)
            var r = BufferReader(bytes)
            _ = try? CapabilitySet.decode(from: &r)
        }
        // Garbage after a valid LIST page is read as rows or refused.
        #expect(throws: MarshalError.self) { try DirectoryReply.list(list + [0x61]) }
    }
}
