// The directory server against a plain model of what it should hold: many
// random row changes and reads over two directories, the server reopened
// from its store (its row-change records replayed) now and then, and every
// answer compared with what the model says. The model keeps rows in an
// array and finds them by walking it, so it checks that the name index,
// the gaps deletions leave and their compaction never change an answer or
// the Amoeba order of rows.

import AmoebaCore
@testable import Directory
import DirectoryProtocol
import Storage
import Testing
import TestSupport

@Suite struct DirectoryModelTests {
    struct Row: Equatable {
        var name: String
        var set: CapabilitySet
        var masks: [UInt32]
        var type: Capability = .null
        var time: Int32
    }

    struct Model {
        var cap: Capability
        var columns: Int
        var rows: [Row] = []
        var sequence: UInt64 = 0

        func find(_ name: String) -> Int? { rows.firstIndex { $0.name == name } }
    }

    /// Drives one server (replaced by a reopened one now and then).
    final class Run {
        let store = MemoryStore()
        var server: DirectoryServer<MemoryStore>
        var now: Int32 = 1000
        var random = SeededRandom(11)
        var models: [Model]
        let names: [String]

        init(seed: UInt64, pool: Int) throws {
            random = SeededRandom(seed)
            server = try DirectoryServer(store: store, generator: SeededRandom(seed))
            names = (0..<pool).map { $0 % 5 == 0 ? "long-name-\($0)-" + String(repeating: "x", count: 30) : "r\($0)" }
            let a = try server.createRootDirectory(columns: ["owner", "group", "other"])
            let b = try server.createRootDirectory(columns: ["owner"])
            models = [Model(cap: a, columns: 3), Model(cap: b, columns: 1)]
            server.clock = { [unowned self] in now }
        }

        func call(_ cap: Capability, _ cmd: UInt16, _ data: [UInt8], size: UInt16? = nil, extra: UInt16 = 0) -> (Header, [UInt8]) {
            var h = Header(capability: cap, command: cmd)
            h.size = size ?? UInt16(data.count)
            h.extra = extra
            return server.handle(header: h, data: data)
        }

        func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &random)] }
        func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
        func someSet() -> CapabilitySet {
            chance(10) ? .empty : CapabilitySet(foreignCap(UInt32.random(in: 1...100_000, using: &random)))
        }
        /// Masks as sent: the first column always all rights (so that a
        /// LOOKUP hands back the set unrestricted), sometimes fewer masks
        /// than columns (the rest are 0).
        func someMasks(_ columns: Int) -> (sent: [UInt32], kept: [UInt32]) {
            var sent: [UInt32] = [0xFF]
            let count = chance(20) ? 1 : columns
            while sent.count < count { sent.append(UInt32.random(in: 0...0xFF, using: &random)) }
            return (sent, Array((sent + [0, 0, 0, 0]).prefix(columns)))
        }

        func step(appendPercent: Int) throws {
            now += 1
            let d = Int.random(in: 0..<models.count, using: &random)
            let m = models[d]
            // Half the time a row the directory has, so that deletions
            // empty it and the other commands mostly find their row.
            let name = !m.rows.isEmpty && chance(50) ? pick(m.rows).name : pick(names)
            let roll = Int.random(in: 0..<100, using: &random)
            let rest = 100 - appendPercent
            func expect(_ reply: (Header, [UInt8]), _ status: ErrorCode, _ what: String) {
                #expect(reply.0.status == status, "\(what) \(name) in \(d)")
            }
            switch roll {
            case ..<appendPercent:
                let set = someSet()
                let masks = someMasks(m.columns)
                let exists = m.find(name) != nil
                expect(call(m.cap, DirectoryCommand.append, Req.append(name, set, masks.sent)), exists ? .exists : .ok, "append")
                if !exists {
                    models[d].rows.append(Row(name: name, set: set, masks: masks.kept, time: now))
                    models[d].sequence += 1
                }
            case ..<(appendPercent + rest * 35 / 100):
                let i = m.find(name)
                expect(call(m.cap, DirectoryCommand.delete, Req.strings([name])), i == nil ? .notFound : .ok, "delete")
                if let i {
                    models[d].rows.remove(at: i)
                    models[d].sequence += 1
                }
            case ..<(appendPercent + rest * 50 / 100):
                let set = someSet()
                let i = m.find(name)
                expect(call(m.cap, DirectoryCommand.replace, Req.replace(name, set)), i == nil ? .notFound : .ok, "replace")
                if let i {
                    models[d].rows[i].set = set
                    models[d].rows[i].time = now
                    models[d].sequence += 1
                }
            case ..<(appendPercent + rest * 60 / 100):
                let masks = someMasks(m.columns)
                let i = m.find(name)
                expect(call(m.cap, DirectoryCommand.chmod, Req.chmod(name, masks.sent)), i == nil ? .notFound : .ok, "chmod")
                if let i {
                    models[d].rows[i].masks = masks.kept
                    models[d].rows[i].time = now
                    models[d].sequence += 1
                }
            case ..<(appendPercent + rest * 65 / 100):
                let type = foreignCap(UInt32.random(in: 1...1000, using: &random))
                var w = BufferWriter()
                try w.write(string: name)
                try w.write(type)
                let i = m.find(name)
                expect(call(m.cap, DirectoryCommand.putType, w.bytes), i == nil ? .notFound : .ok, "puttype")
                if let i {
                    models[d].rows[i].type = type
                    models[d].rows[i].time = now
                    models[d].sequence += 1
                }
            case ..<(appendPercent + rest * 72 / 100):
                try install()
            case ..<(appendPercent + rest * 85 / 100):
                let reply = call(m.cap, DirectoryCommand.lookup, Req.strings([name]))
                if let i = m.find(name) {
                    expect(reply, .ok, "lookup")
                    var r = BufferReader(reply.1)
                    #expect(try r.readString() == "")
                    #expect(try CapabilitySet.decode(from: &r) == m.rows[i].set)
                } else {
                    expect(reply, .notFound, "lookup")
                }
            case ..<(appendPercent + rest * 90 / 100):
                let reply = call(m.cap, DirectoryCommand.getMasks, Req.strings([name]))
                if let i = m.find(name) {
                    expect(reply, .ok, "getmasks")
                    #expect(reply.1 == DirectoryReply.masks(encoding: m.rows[i].masks))
                } else {
                    expect(reply, .notFound, "getmasks")
                }
            case ..<(appendPercent + rest * 95 / 100):
                try setLookup()
            default:
                try list(d)
                let reply = call(m.cap, DirectoryCommand.getSequenceNumber, [])
                var r = BufferReader(reply.1)
                let high = UInt64(try r.readUInt32())
                #expect(high << 32 | UInt64(try r.readUInt32()) == m.sequence)
            }
        }

        /// INSTALL of one to three rows over both directories, now and then
        /// with an old capability that does not match (nothing changes).
        func install() throws {
            var entries = [(CapabilitySet, String, CapabilitySet, Capability)]()
            var working = models
            var touched = Set<Int>()
            var expected = ErrorCode.ok
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let d = Int.random(in: 0..<models.count, using: &random)
                // Mostly a row that exists, so that the install can succeed.
                let name = !working[d].rows.isEmpty && chance(80) ? pick(working[d].rows).name : pick(names)
                let set = someSet()
                var old = Capability.null
                if let i = working[d].find(name) {
                    old = working[d].rows[i].set.current.first ?? .null
                    if chance(10) { old = foreignCap(999_999) }
                    if expected == .ok {
                        if old.port.isNull ? working[d].rows[i].set.suites.isEmpty : working[d].rows[i].set.suites.contains(where: { $0.capability == old }) {
                            working[d].rows[i].set = set
                            working[d].rows[i].time = now
                            touched.insert(d)
                        } else {
                            expected = .directoryClash
                        }
                    }
                } else if expected == .ok {
                    expected = .notFound
                }
                entries.append((CapabilitySet(models[d].cap), name, set, old))
            }
            let reply = call(models[0].cap, DirectoryCommand.install, Req.install(entries))
            #expect(reply.0.status == expected, "install \(entries.map(\.1))")
            if expected == .ok {
                for d in touched { working[d].sequence += 1 }
                models = working
            }
        }

        /// SETLOOKUP of a few names in either directory.
        func setLookup() throws {
            var asked = [(Int, String)]()
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                asked.append((Int.random(in: 0..<models.count, using: &random), pick(names)))
            }
            let reply = call(models[0].cap, DirectoryCommand.setLookup,
                             Req.setLookup(asked.map { (CapabilitySet(models[$0.0].cap), $0.1) }))
            #expect(reply.0.status == .ok)
            var r = BufferReader(reply.1)
            for (d, name) in asked {
                let status = ErrorCode(rawValue: try r.readInt16())
                guard let i = models[d].find(name) else {
                    #expect(status == .notFound, "setlookup \(name) in \(d)")
                    continue
                }
                #expect(status == .ok, "setlookup \(name) in \(d)")
                let row = models[d].rows[i]
                #expect(try r.readCapability() == row.type)
                #expect(try r.readInt32() == row.time)
                #expect(try CapabilitySet.decode(from: &r) == row.set)
            }
            #expect(r.isAtEnd)
        }

        /// LIST in small pages: the rows in the model's order, with masks.
        func list(_ d: Int) throws {
            var names = [String](), masks = [[UInt32]]()
            var next: UInt16 = 0
            repeat {
                let reply = call(models[d].cap, DirectoryCommand.list, [], size: 120, extra: next)
                #expect(reply.0.status == .ok)
                let page = try DirectoryReply.list(reply.1)
                #expect(page.totalRows == models[d].rows.count)
                names += page.rows.map(\.name)
                masks += page.rows.map(\.masks)
                next = reply.0.extra
                if page.rows.isEmpty && next != DirectoryLimits.noMoreRows {
                    Issue.record("an empty page that is not the last")
                    break
                }
            } while next != DirectoryLimits.noMoreRows
            #expect(names == models[d].rows.map(\.name))
            #expect(masks == models[d].rows.map(\.masks))
        }

        /// The server's own rows agree with the model, its memory for them
        /// stays bounded, and a server reopened from the store (bases plus
        /// replayed records) holds the same.
        func reopen() throws {
            for (d, m) in models.enumerated() {
                let dir = try #require(server.directories[m.cap.private.object.value])
                #expect(dir.rows.map(\.name) == m.rows.map(\.name), "directory \(d)")
                #expect(dir.rows.map(\.time) == m.rows.map(\.time))
                #expect(dir.sequence == m.sequence)
                #expect(dir.count == m.rows.count)
                #expect(dir.index.count == m.rows.count)
                #expect(dir.index.bucketCount >= 2 * dir.count)
                #expect(dir.index.bucketCount <= max(DirectoryNameIndex.minimumBuckets, 4 * dir.count))
                #expect(dir.gaps <= max(dir.count, DirectoryNameIndex.minimumBuckets - 1))
            }
            let again = try DirectoryServer(store: store, generator: SeededRandom(99))
            #expect(again.directories == server.directories)
            #expect(again.storedBytes == server.storedBytes)
            again.clock = { [unowned self] in now }
            server = again
        }
    }

    /// Row names are printable ASCII and are compared as bytes, as SOAP's
    /// strcmp does: a LOOKUP path component that Unicode would call
    /// equivalent to a row's name (the Kelvin sign is canonically "K")
    /// names no row. (Swift's String comparison, used before the index,
    /// would have found "K".)
    @Test func namesAreComparedAsBytes() {
        let f = Fixture()
        #expect(f.append(f.root, "K", CapabilitySet(foreignCap(1))) == .ok)
        #expect(f.lookup(f.root, "K").0 == .ok)
        #expect(f.lookup(f.root, "\u{212A}").0 == .notFound)
        #expect(f.status(f.root, DirectoryCommand.getMasks, Req.strings(["\u{212A}"])) == .argumentBad)
    }

    /// Phases that grow the directories to a few hundred rows and shrink
    /// them again, so that the index grows and shrinks and deletions leave
    /// enough gaps to be compacted, with a reopen every few hundred steps.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomChangesAnswerAsTheModel(seed: UInt64) throws {
        let run = try Run(seed: seed, pool: 400)
        for phase in 0..<8 {
            for i in 0..<1500 {
                try run.step(appendPercent: phase % 2 == 0 ? 60 : 5)
                if i % 300 == 299 { try run.reopen() }
            }
        }
        try run.reopen()
    }
}
