import Testing
import TestSupport
import AmoebaCore
import Storage
import Directory
import DirectoryProtocol
import DirectoryReplica

/// Replicas of one directory service applying the same ordered writes.
@Suite struct DirectoryReplicaTests {
    /// A replica on a copy of `source`'s store (identity and directories),
    /// drawing its own random numbers from `seed`, as soap-server does on a
    /// store amoeba-init copied.
    static func replica(copying source: MemoryStore, seed: UInt64) -> DirectoryReplica<MemoryStore> {
        let store = MemoryStore()
        try! store.commit(source.keys().map { .write(key: $0, bytes: try! source.read($0)) })
        return DirectoryReplica(server: try! DirectoryServer(store: store, generator: SeededRandom(seed)))
    }

    static func write(_ n: UInt64, _ cap: Capability, _ command: UInt16, _ data: [UInt8], random: UInt8 = 7,
                      origin: UInt64 = 1) -> ReplicatedWrite {
        var h = Header(capability: cap, command: command)
        h.size = UInt16(data.count)
        return ReplicatedWrite(tag: WriteTag(origin: origin, number: n), time: 1_700_000_000 &+ Int32(truncatingIfNeeded: n),
                               random: Port(bytes: [random, 2, 3, 4, 5, 6])!, header: h, data: data)
    }

    @Test func sameWritesGiveSameStateAndSameNewCapabilities() throws {
        let f = Fixture()
        let a = Self.replica(copying: f.store, seed: 11)
        let b = Self.replica(copying: f.store, seed: 22)
        let create = Self.write(1, f.root, DirectoryCommand.create, Req.strings(["owner", "other"]), random: 9)
        let (ha, _) = try #require(a.apply(create))
        let (hb, _) = try #require(b.apply(create))
        #expect(ha.status == .ok)
        // Same object number and check field: the random came with the write.
        #expect(ha.capability == hb.capability)
        #expect(ha.private.isValid(forRandom: Port(bytes: [9, 2, 3, 4, 5, 6])!))
        for (i, name) in ["x", "y", "z"].enumerated() {
            let w = Self.write(UInt64(2 + i), f.root, DirectoryCommand.append, Req.append(name, CapabilitySet(ha.capability), [0xFF]))
            #expect(a.apply(w)?.0.status == .ok)
            #expect(b.apply(w)?.0.status == .ok)
        }
        #expect(a.state() == b.state())
        #expect(a.server.dumpLines() == b.server.dumpLines())
        #expect(a.server.dumpLines().contains("row 1 y"))
    }

    @Test func aWriteSentTwiceIsAppliedOnce() throws {
        let f = Fixture()
        let a = Self.replica(copying: f.store, seed: 1)
        let w = Self.write(5, f.root, DirectoryCommand.create, Req.strings(["owner"]))
        #expect(a.apply(w)?.0.status == .ok)
        let before = a.server.directories.count
        #expect(a.apply(w) == nil)
        #expect(a.server.directories.count == before)
        // Another origin's write with the same number is no repeat.
        #expect(a.apply(Self.write(5, f.root, DirectoryCommand.create, Req.strings(["owner"]), random: 8, origin: 2)) != nil)
        #expect(a.server.directories.count == before + 1)
    }

    @Test func readsSentAsWritesAreRefusedAndChangeNothing() throws {
        let f = Fixture()
        let a = Self.replica(copying: f.store, seed: 1)
        let before = a.state()
        let (h, data) = try #require(a.apply(Self.write(1, f.root, DirectoryCommand.list, [])))
        #expect(h.status == .commandBad)
        #expect(data.isEmpty)
        #expect(a.server.dumpLines() == Replica.dump(before, like: a))
    }

    @Test func aJoinerTakesTheStateAtItsJoinThenTheWritesAfter() throws {
        let f = Fixture()
        let a = Self.replica(copying: f.store, seed: 1)
        let joinerStore = MemoryStore()
        // A restarted replica: same identity, stale directories.
        try joinerStore.commit(f.store.keys().map { .write(key: $0, bytes: try f.store.read($0)) })
        let d = DirectoryReplica(server: try DirectoryServer(store: joinerStore, generator: SeededRandom(3)))
        for i in 0..<40 {
            _ = a.apply(Self.write(UInt64(i), f.root, DirectoryCommand.append, Req.append("row\(i)", CapabilitySet(f.root), [0xFF])))
        }
        let joiner = Port(bytes: [1, 1, 1, 1, 1, 1])!
        a.joined(joiner)
        let later = (40..<45).map {
            Self.write(UInt64($0), f.root, DirectoryCommand.append, Req.append("row\($0)", CapabilitySet(f.root), [0xFF]))
        }
        for w in later { _ = a.apply(w) }
        // Fetched in small pieces, as soap-server does by RPC.
        var bytes = [UInt8]()
        while true {
            let piece = try #require(a.statePiece(for: joiner, offset: bytes.count, count: 100))
            bytes += piece.bytes
            if bytes.count >= piece.total { break }
        }
        #expect(a.statePiece(for: joiner, offset: bytes.count + 10, count: 100)?.bytes == [])
        #expect(a.statePiece(for: Port(bytes: [2, 2, 2, 2, 2, 2])!, offset: 0, count: 100) == nil)
        #expect(d.install(state: bytes) == .ok)
        for w in later { #expect(d.apply(w)?.0.status == .ok) }
        #expect(d.state() == a.state())
        // The tags came along: a repeat of a write before the join is known.
        #expect(d.apply(Self.write(3, f.root, DirectoryCommand.append, Req.append("row3", CapabilitySet(f.root), [0xFF]))) == nil)
        // And the joiner's store holds it all after a restart.
        let reopened = try DirectoryServer(store: joinerStore, generator: SeededRandom(4))
        #expect(reopened.dumpLines() == a.server.dumpLines())
    }

    @Test func badBytesAreErrorsNotCrashes() {
        let f = Fixture()
        let a = Self.replica(copying: f.store, seed: 1)
        let before = a.server.dumpLines()
        var g = SeededRandom(99)
        for n in 0..<200 {
            let junk = (0..<(n % 90)).map { _ in UInt8.random(in: 0...255, using: &g) }
            if n < ReplicatedWrite.fixedSize { #expect(throws: MarshalError.self) { try ReplicatedWrite.decode(junk) } }
            #expect(a.install(state: junk) != .ok)
        }
        // A good state cut short is refused whole.
        let good = a.state()
        #expect(a.install(state: Array(good.dropLast(3))) == .argumentBad)
        #expect(a.server.dumpLines() == before)
        #expect(a.install(state: good) == .ok)
    }

    @Test func writeRoundTripsAndGroupPortIsSecret() throws {
        let w = Self.write(0x1_0000_0002, Capability.null, DirectoryCommand.append, [1, 2, 3])
        #expect(try ReplicatedWrite.decode(w.encoded()) == w)
        let g = Port(bytes: [1, 2, 3, 4, 5, 6])!
        let p = ReplicaGroup.port(serviceGetPort: g)
        #expect(p != g.putPort && p != g)
        #expect(DirectoryServer<MemoryStore>.changesState(DirectoryCommand.append))
        #expect(!DirectoryServer<MemoryStore>.changesState(DirectoryCommand.lookup))
    }
}

private enum Replica {
    /// The dump of a state as `like`'s server would print it.
    static func dump(_ state: [UInt8], like r: DirectoryReplica<MemoryStore>) -> [String] {
        let store = MemoryStore()
        let copy = DirectoryReplica(server: try! DirectoryServer(store: store, generator: SeededRandom(1)))
        _ = copy.install(state: state)
        return copy.server.dumpLines()
    }
}
