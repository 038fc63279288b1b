// The client side of the name space against the real handlers, in one
// process: path parsing, multi-component lookup, listing across pages,
// append/delete, rights (a restricted directory capability cannot modify,
// looked-up capabilities carry only what the row allows), and whole files
// through the Bullet machines.

import AmoebaClient
import AmoebaCore
import Bullet
import Directory
import DirectoryProtocol
import Storage
import Testing

struct Fixture {
    let soap: DirectoryServer<MemoryStore>
    let bullet: BulletServer<MemoryStore>
    let net: LocalNetwork
    let root: Capability

    init() throws {
        var seed: UInt64 = 42
        let next: () -> Port = {
            var bytes = [UInt8]()
            for _ in 0..<6 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                bytes.append(UInt8(truncatingIfNeeded: seed >> 33))
            }
            return Port(bytes: bytes)!
        }
        soap = try DirectoryServer(store: MemoryStore(), random: next)
        bullet = try BulletServer(store: MemoryStore(), random: next)
        root = try soap.createRootDirectory(columns: ["owner", "group", "other"])
        var n = LocalNetwork()
        let s = soap, b = bullet
        n.add(port: s.putPort) { s.handle(header: $0, data: $1) }
        n.add(port: b.putPort) { b.handle(header: $0, data: $1) }
        net = n
    }

    var names: DirectoryClient<LocalNetwork> { DirectoryClient(transport: net, root: root) }
    var files: FileClient<LocalNetwork> { FileClient(transport: net) }
}

let masks: [UInt32] = [0xFF, 0x06, 0x04]

/// The Amoeba error `body` throws, or STD_OK; any other error fails the test.
func code(_ body: () throws -> Void) -> ErrorCode {
    do {
        try body()
        return .ok
    } catch let e as ErrorCode {
        return e
    } catch {
        Issue.record("unexpected error \(error)")
        return .systemError
    }
}

@Test func pathsParseAndRefuseBadNames() throws {
    #expect(try AmoebaPath("/a//b/c/").components == ["a", "b", "c"])
    #expect(try AmoebaPath("/").isRoot)
    #expect(try AmoebaPath("a/b").text == "a/b")
    #expect(try AmoebaPath("a/b").parentAndName?.name == "b")
    #expect(code { _ = try AmoebaPath("a b") } == .argumentBad)
    #expect(code { _ = try AmoebaPath(String(repeating: "x/", count: 200)) } == .argumentBad)
    #expect(code { _ = try AmoebaPath("caf\u{e9}") } == .argumentBad)
}

@Test func makeLookUpListAndDelete() throws {
    let f = try Fixture()
    let names = f.names
    let home = try names.makeDirectory(AmoebaPath("home"), masks: masks)
    let ann = try names.makeDirectory(AmoebaPath("/home/ann"), masks: masks)
    #expect(try names.lookup(AmoebaPath("/home")) == home)
    #expect(try names.lookup(AmoebaPath("home/ann/")) == ann)
    #expect(try names.list(f.root).entries.map(\.name) == ["home"])
    #expect(try names.list(f.root).columns == ["owner", "group", "other"])
    #expect(code { _ = try names.lookup(AmoebaPath("/home/bob")) } == .notFound)
    #expect(code { _ = try names.makeDirectory(AmoebaPath("/home/ann"), masks: masks) } == .exists)
    // The failed mkd left no unreachable directory behind: still home and ann only.
    #expect(f.soap.directories.count == 3)
    #expect(code { _ = try names.makeDirectory(AmoebaPath("/no/such"), masks: masks) } == .notFound)
    try names.delete("ann", in: home)
    #expect(try names.list(home).entries.isEmpty)
    #expect(code { try names.delete("ann", in: home) } == .notFound)
}

@Test func listingPagesThroughManyRows() throws {
    let f = try Fixture()
    let dir = try f.names.makeDirectory(AmoebaPath("big"), masks: masks)
    // 600 rows of long names do not fit one 8 KB LIST page.
    for i in 0..<600 {
        try f.names.append("row-\(i)-" + String(repeating: "x", count: 40), CapabilitySet(f.root), masks: masks, in: dir)
    }
    let listing = try f.names.list(dir)
    #expect(listing.entries.count == 600)
    #expect(Set(listing.entries.map(\.name)).count == 600)
}

@Test func restrictedDirectoryCannotModify() throws {
    let f = try Fixture()
    let home = try f.names.makeDirectory(AmoebaPath("home"), masks: masks)
    // Only the "other" column, no modify right.
    let readOnly = try Restriction.restrict(f.root, to: Rights(rawValue: 0x04))
    let viewer = DirectoryClient(transport: f.net, root: readOnly)
    #expect(try viewer.list(readOnly).entries.map(\.name) == ["home"])
    #expect(code { _ = try viewer.makeDirectory(AmoebaPath("evil"), masks: masks) } == .denied)
    #expect(code { try viewer.delete("home", in: readOnly) } == .denied)
    // Looked up through the "other" column, /home comes with the other mask only.
    let seen = try viewer.lookup(AmoebaPath("home"))
    #expect(seen.private.rights.rawValue == 0x04)
    #expect(code { try viewer.append("x", CapabilitySet(f.root), masks: masks, in: seen) } == .denied)
    // The owner's own lookup has every right.
    #expect(try f.names.lookup(AmoebaPath("home")) == home)
}

@Test func lookupThroughAFileIsNotFound() throws {
    let f = try Fixture()
    let file = try f.files.create(Array("hello".utf8), on: f.bullet.superCapability)
    try f.names.enter(AmoebaPath("greeting"), file, masks: masks)
    #expect(try f.names.lookup(AmoebaPath("greeting")) == file)
    #expect(code { _ = try f.names.lookup(AmoebaPath("greeting/deeper")) } != .ok)
    #expect(code { _ = try f.names.list(file) } == .commandBad)
}

@Test func filesRoundTripAcrossManyPieces() throws {
    let f = try Fixture()
    var bytes = [UInt8](repeating: 0, count: 3 * BulletLimits.requestData + 123)
    for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 7 &+ i >> 9) }
    var steps = 0
    let file = try f.files.create(bytes, on: f.bullet.superCapability) { _, _ in steps += 1 }
    #expect(steps == 4)
    #expect(try f.files.size(file) == bytes.count)
    var copy = [UInt8]()
    let n = try f.files.read(file) { (p: [UInt8]) throws(ErrorCode) in copy += p }
    #expect(n == bytes.count)
    #expect(copy == bytes)
    // Exactly a multiple of the piece, and empty.
    for size in [BulletLimits.requestData, 0] {
        let data = [UInt8](repeating: 9, count: size)
        let cap = try f.files.create(data, on: f.bullet.superCapability)
        var back = [UInt8]()
        try f.files.read(cap) { (p: [UInt8]) throws(ErrorCode) in back += p }
        #expect(back == data)
    }
    try f.files.destroy(file)
    #expect(code { _ = try f.files.size(file) } == .capabilityBad)
}

@Test func streamedFilesRoundTrip() throws {
    let f = try Fixture()
    for size in [0, 1, BulletLimits.requestData, 2 * BulletLimits.requestData + 5] {
        var bytes = [UInt8](repeating: 0, count: size)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 13 &+ size) }
        var at = 0
        var sent = [Int]()
        let file = try f.files.create(on: f.bullet.superCapability, reading: { () throws(ErrorCode) -> [UInt8]? in
            // Uneven pieces, as a pipe gives them.
            let n = min(bytes.count - at, at % 2 == 0 ? BulletLimits.requestData : 1000)
            defer { at += n }
            return n == 0 ? nil : Array(bytes[at..<(at + n)])
        }, progress: { sent.append($0) })
        #expect(sent.last == size)
        var back = [UInt8]()
        try f.files.read(file) { (p: [UInt8]) throws(ErrorCode) in back += p }
        #expect(back == bytes)
    }
    // A piece larger than one request is refused before anything is sent.
    #expect(code {
        _ = try f.files.create(on: f.bullet.superCapability,
                               reading: { () throws(ErrorCode) -> [UInt8]? in [UInt8](repeating: 0, count: BulletLimits.requestData + 1) })
    } == .argumentBad)
}

@Test func fileServerRefusesWithoutCreateRight() throws {
    let f = try Fixture()
    let weak = try Restriction.restrict(f.bullet.superCapability, to: Rights(rawValue: BulletRights.read))
    #expect(code { _ = try f.files.create([1, 2, 3], on: weak) } == .denied)
}

@Test func unknownServerIsNotFound() throws {
    let f = try Fixture()
    let stranger = Capability(port: Port(bytes: [1, 2, 3, 4, 5, 6])!, private: f.root.private)
    let names = DirectoryClient(transport: f.net, root: stranger)
    #expect(code { _ = try names.lookup(AmoebaPath("x")) } == .rpcNotFound)
}
