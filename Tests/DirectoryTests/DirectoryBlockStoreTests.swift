import AmoebaCore
import BlockStorage
import Directory
import DirectoryProtocol
import Storage
import Testing
import TestSupport

/// A volume in memory that stops at its `stopAt`-th write: that write
/// lands torn (its first block only) and every later one is lost, as when
/// power fails under a kernel node's disk.
final class StoppingVolume: BlockVolume {
    var bytes: [UInt8]
    let blockCount: UInt64
    var writes = 0
    var stopAt = Int.max

    init(blocks: UInt64) {
        blockCount = blocks
        bytes = [UInt8](repeating: 0, count: Int(blocks) * BlockVolumeLayout.blockSize)
    }

    init(copying other: StoppingVolume) {
        blockCount = other.blockCount
        bytes = other.bytes
    }

    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        guard first + UInt64(count) <= blockCount else { throw .system(22) }
        let size = BlockVolumeLayout.blockSize
        return Array(bytes[Int(first) * size..<(Int(first) + count) * size])
    }

    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError) {
        let size = BlockVolumeLayout.blockSize
        guard first + UInt64(data.count / size) <= blockCount else { throw .system(22) }
        writes += 1
        if writes > stopAt { throw .system(5) }
        let kept = writes == stopAt ? min(size, data.count) : data.count
        bytes.replaceSubrange(Int(first) * size..<Int(first) * size + kept, with: data[0..<kept])
        if writes == stopAt { throw .system(5) }
    }

    func flush() throws(StorageError) {
        if writes >= stopAt { throw .system(5) }
    }
}

/// The directory server on the kernel's block store, with row-change
/// records and their folding: a power failure at any write leaves the
/// directory as it was after the last acknowledged change (or with the
/// change in flight, whole), never anything else.
@Suite struct DirectoryBlockStoreTests {
    /// The workload: appends to one directory, with deletes and a CHMOD
    /// now and then, enough to fold its log several times and to make the
    /// block store move to its other half.
    static func requests(_ root: Capability) -> [(UInt16, [UInt8])] {
        var out = [(UInt16, [UInt8])]()
        for i in 0..<120 {
            out.append((DirectoryCommand.append, Req.append("row-\(i)", CapabilitySet(foreignCap(UInt32(i + 1))), [0xFF, 0x0F, 0x01])))
            if i % 10 == 9 { out.append((DirectoryCommand.delete, Req.strings(["row-\(i - 5)"]))) }
            if i % 15 == 14 { out.append((DirectoryCommand.chmod, Req.chmod("row-\(i - 1)", [1, 2, 3]))) }
        }
        return out
    }

    static func run(_ server: DirectoryServer<BlockStore>, _ root: Capability, _ req: (UInt16, [UInt8])) -> ErrorCode {
        var h = Header(capability: root, command: req.0)
        h.size = UInt16(req.1.count)
        return server.handle(header: h, data: req.1).0.status
    }

    @Test func powerFailureAtEveryWriteKeepsEveryAcknowledgedChange() throws {
        // The run without failure: the state after each request, and how
        // many writes it makes.
        let blocks: UInt64 = 2 + 2 * 48
        let volume = StoppingVolume(blocks: blocks)
        let live = try BlockStore(volume: volume, generation: { 7 })
        let server = try DirectoryServer(store: live, generator: SeededRandom(1))
        let root = try server.createRootDirectory(columns: ["owner", "group", "other"])
        let start = StoppingVolume(copying: volume)
        let writesBefore = volume.writes
        let requests = Self.requests(root)
        var states = [server.directories]
        var logged = 0
        for req in requests {
            #expect(Self.run(server, root, req) == .ok)
            states.append(server.directories)
            if server.directories.count == 1, (try? BlockStore(volume: StoppingVolume(copying: volume)))?
                .keys().contains(where: { $0 > ObjectNumber.max }) == true { logged += 1 }
        }
        // Most changes went in as row-change records, and the store moved
        // to its other half several times.
        #expect(logged > requests.count / 2)
        #expect(live.compactions >= 2)
        print("directory on a block store: \(requests.count) changes, \(logged) with records, \(live.compactions) compactions")
        let store = try BlockStore(volume: StoppingVolume(copying: volume))
        #expect(try DirectoryServer(store: store, generator: SeededRandom(2)).directories == states.last!)
        let total = volume.writes - writesBefore
        #expect(total > requests.count)
        print("directory on a block store: a power failure at each of \(total) writes")

        for stop in 1...total {
            let disk = StoppingVolume(copying: start)
            disk.stopAt = stop
            let s = try DirectoryServer(store: try BlockStore(volume: disk, generation: { 7 }), generator: SeededRandom(1))
            var acknowledged = 0
            for req in requests {
                guard Self.run(s, root, req) == .ok else { break }
                acknowledged += 1
            }
            let after = StoppingVolume(copying: disk)
            let reopened = try DirectoryServer(store: try BlockStore(volume: after, generation: { 9 }), generator: SeededRandom(3))
            let ok = reopened.directories == states[acknowledged]
                || (acknowledged < requests.count && reopened.directories == states[acknowledged + 1])
            #expect(ok, "stopped at write \(stop) after \(acknowledged) acknowledged changes")
            // And the reopened server goes on.
            #expect(Self.run(reopened, root, (DirectoryCommand.append, Req.append("after", .empty, [1]))) == .ok)
        }
    }
}
