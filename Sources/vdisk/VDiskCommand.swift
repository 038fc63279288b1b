// vdisk: the virtual disk commands from Linux (AMOEBA-FACTS §3), against a
// kernel node's `vdisk:NN` or any server speaking the same protocol:
//
//   vdisk info DISK                 DS_INFO: the physical pieces
//   vdisk size DISK                 DS_SIZE: blocks of 2^--shift bytes
//   vdisk geometry DISK             DS_GETGEOMETRY
//   vdisk read DISK BLOCK COUNT     DS_READ, to stdout or -o FILE
//   vdisk write DISK BLOCK FILE     DS_WRITE of FILE (- for stdin)
//   vdisk raw DISK COMMAND          one request as given, for tests
//   vdisk store-stream / store-check  the block store on the disk, for tests
//
// Long reads and writes are split at the server's 29 KiB buffer, as
// Amoeba's stubs split them; --parallel keeps several pieces in flight.
// The disk is named as the std tools name objects: a path in the name
// space (/hosts/node0/vdisk:00), capability text or a capability file.
// Exit status as the std tools: 0 ok, 1 the disk refused (STD_*), 2 not
// reached (RPC_*), 3 no amunixd, 64 bad usage.

import AmoebaCore
import Amunix
import ArgumentParser
import BlockStorage
import DiskProtocol
import Foundation
import StdTools
import Storage

@main
struct VDisk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vdisk",
        abstract: "Read, write and describe a virtual disk (a kernel node's vdisk:NN).",
        discussion: ToolRunner.exitStatus,
        subcommands: [Info.self, Size.self, Geometry.self, Read.self, Write.self, Raw.self, StoreStream.self, StoreCheck.self])
}

struct DiskArguments: ParsableArguments {
    @OptionGroup var daemon: DaemonOptions

    @Argument(help: "The disk: a path (/hosts/NODE/vdisk:00), capability text (PORT/OBJECT(RIGHTS)/CHECK) or a capability file.")
    var disk: String
}

struct BlockSize: ParsableArguments {
    @Option(help: "log2 of the block size the request counts in (9 = 512 bytes, up to 31).")
    var shift: UInt16 = 9
}

/// An open disk: the daemon connection and the disk's capability.
struct Disk {
    let client: StandardClient
    let cap: Capability

    /// One transaction; an error status becomes the error.
    func call(_ h: Header, _ data: [UInt8] = [], acceptErrors: Bool = false) throws(ToolError) -> (header: Header, data: [UInt8]) {
        let r: (header: Header, data: [UInt8])
        do {
            r = try client.connection.trans(h, data, timeout: client.timeout)
        } catch {
            if case .rpc(let code) = error { throw .amoeba(code) }
            throw .daemon(error)
        }
        guard acceptErrors || r.header.status == .ok else { throw .amoeba(r.header.status) }
        return r
    }

    func header(_ command: DiskCommand) -> Header { Header(capability: cap, command: command.rawValue) }
}

/// Opens the disk named in `arguments`, runs `body`, reports a failure as
/// the std tools do and exits with its code.
func withDisk(_ tool: String, _ arguments: DiskArguments, _ body: (Disk) throws(ToolError) -> Void) -> Never {
    do throws(ToolError) {
        let client = try arguments.daemon.client()
        let cap = try CapabilityArgument.resolve(arguments.disk, connection: client.connection, timeout: client.timeout)
        try body(Disk(client: client, cap: cap))
        // What was printed goes out before anything else can happen at exit.
        fflush(nil)
        client.connection.close()
        exit(0)
    } catch {
        ToolRunner.fail("vdisk \(tool)", arguments.disk, error)
        exit(error.exitCode)
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the physical pieces the disk is made of (DS_INFO).")
    @OptionGroup var arguments: DiskArguments

    func run() throws {
        withDisk("info", arguments) { disk throws(ToolError) in
            let r = try disk.call(disk.header(.info))
            guard let pieces = DiskPiece.decode(r.data) else { throw .usage("the server's DS_INFO reply is not a list of 12-byte records (\(r.data.count) bytes)") }
            for p in pieces {
                print("unit \(p.unit): first block \(p.firstBlock), \(p.blockCount) blocks of 512 bytes (\(Int64(p.blockCount) / 2) KB)")
            }
        }
    }
}

struct Size: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print how many blocks the disk holds (DS_SIZE).")
    @OptionGroup var arguments: DiskArguments
    @OptionGroup var block: BlockSize

    func run() throws {
        withDisk("size", arguments) { disk throws(ToolError) in
            var h = disk.header(.size)
            h.size = block.shift
            let r = try disk.call(h)
            print("\(r.header.offset) blocks of \(DiskTransfer.validShift(block.shift) ? "\(1 << Int(block.shift))" : "2^\(block.shift)") bytes")
        }
    }
}

struct Geometry: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the drive's geometry (DS_GETGEOMETRY).")
    @OptionGroup var arguments: DiskArguments

    func run() throws {
        withDisk("geometry", arguments) { disk throws(ToolError) in
            let r = try disk.call(disk.header(.getGeometry))
            guard let g = DiskGeometry.decode(r.data) else { throw .usage("the server's geometry reply is not six int16 (\(r.data.count) bytes)") }
            print("cylinders \(g.cylinders), heads \(g.heads), sectors per track \(g.sectorsPerTrack), bytes per sector \(g.bytesPerSector), bytes per track \(g.bytesPerTrack), alternate cylinders \(g.alternateCylinders)")
        }
    }
}

struct Transfer: ParsableArguments {
    @OptionGroup var block: BlockSize

    @Option(help: "Requests kept in flight at once (1-16).")
    var parallel = 1

    @Flag(help: "Send the whole transfer as one request, however large (to see the server refuse it).")
    var noSplit = false

    @Flag(help: "Print the bytes moved and the rate on stderr.")
    var stats = false

    func validate() throws {
        guard (1...16).contains(parallel) else { throw ValidationError("--parallel must be from 1 to 16") }
    }

    func pieces(first: Int64, count: Int64) throws(ToolError) -> [DiskTransfer] {
        if noSplit {
            guard count <= Int64(UInt16.max), first <= Int64(Int32.max) else { throw .usage("a single request counts at most 65535 blocks from a block below 2^31") }
            return [DiskTransfer(shift: block.shift, first: Int32(first), count: UInt16(count))]
        }
        guard DiskTransfer.validShift(block.shift) else { throw .usage("--shift must be from 9 to 31 (--no-split sends any)") }
        guard first + count - 1 <= Int64(Int32.max) else { throw .usage("the blocks reach past block 2^31 - 1") }
        let pieces = DiskTransfer.split(shift: block.shift, first: first, count: count)
        guard !pieces.isEmpty else { throw .usage("a block of 2^\(block.shift) bytes does not fit the server's 29 KiB buffer (--no-split sends it anyway)") }
        return pieces
    }

    /// Runs `each` on every piece, `parallel` at a time, and hands the
    /// results to `done` in order.
    func perform<T>(_ pieces: [DiskTransfer], _ each: @escaping (Int, DiskTransfer) -> Result<T, ToolError>,
                    done: (T) throws(ToolError) -> Void) throws(ToolError) {
        let started = Date()
        var at = 0
        while at < pieces.count {
            let window = Array(pieces[at..<min(pieces.count, at + parallel * 4)])
            let work = Window(window, base: at, each)
            if parallel == 1 {
                work.drain()
            } else {
                DispatchQueue.concurrentPerform(iterations: min(parallel, window.count)) { _ in work.drain() }
            }
            let results = work.results
            for r in results {
                switch r! {
                case .success(let v): try done(v)
                case .failure(let e): throw e
                }
            }
            at += window.count
        }
        if stats {
            let seconds = max(Date().timeIntervalSince(started), 1e-6)
            let bytes = pieces.reduce(0) { $0 + Int($1.count) << Int($1.shift) }
            FileHandle.standardError.write(Data(String(format: "%d bytes in %d requests, %.3f s, %.2f MB/s\n",
                                                        bytes, pieces.count, seconds, Double(bytes) / seconds / 1e6).utf8))
        }
    }
}

/// One window of pieces shared by the threads that send them: each takes
/// the next piece under the lock and files its result by index. The
/// connection serves concurrent calls; the lock guards the rest.
final class Window<T>: @unchecked Sendable {
    let pieces: [DiskTransfer]
    let base: Int
    let each: (Int, DiskTransfer) -> Result<T, ToolError>
    var results: [Result<T, ToolError>?]
    private var next = 0
    private let lock = NSLock()

    init(_ pieces: [DiskTransfer], base: Int, _ each: @escaping (Int, DiskTransfer) -> Result<T, ToolError>) {
        self.pieces = pieces
        self.base = base
        self.each = each
        results = Array(repeating: nil, count: pieces.count)
    }

    func drain() {
        while true {
            lock.lock(); let i = next; next += 1; lock.unlock()
            guard i < pieces.count else { return }
            let r = each(base + i, pieces[i])
            lock.lock(); results[i] = r; lock.unlock()
        }
    }
}

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read COUNT blocks from BLOCK on (DS_READ), to stdout or a file.")
    @OptionGroup var arguments: DiskArguments
    @Argument(help: "The first block, in blocks of 2^--shift bytes.") var firstBlock: Int64
    @Argument(help: "How many blocks.") var count: Int64
    @Option(name: .shortAndLong, help: "Write the data to this file instead of stdout.") var output: String?
    @OptionGroup var transfer: Transfer

    func validate() throws {
        guard firstBlock >= 0, count > 0 else { throw ValidationError("BLOCK must be 0 or more and COUNT 1 or more") }
    }

    func run() throws {
        withDisk("read", arguments) { disk throws(ToolError) in
            let pieces = try transfer.pieces(first: firstBlock, count: count)
            let out: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil), let h = FileHandle(forWritingAtPath: output) else {
                    throw .usage("\(output): cannot write")
                }
                out = h
            } else {
                out = FileHandle.standardOutput
            }
            try transfer.perform(pieces, { _, p in
                Result { () throws(ToolError) in try disk.call(p.header(disk.cap, .read)).data }
            }, done: { (data: [UInt8]) throws(ToolError) in
                do { try out.write(contentsOf: data) } catch { throw .usage("cannot write the data: \(error)") }
            })
            try? out.close()
        }
    }
}

struct Write: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write FILE to the disk from BLOCK on (DS_WRITE); its length must be whole blocks.")
    @OptionGroup var arguments: DiskArguments
    @Argument(help: "The first block, in blocks of 2^--shift bytes.") var firstBlock: Int64
    @Argument(help: "The data: a file, or - for stdin.") var file: String
    @OptionGroup var transfer: Transfer

    func validate() throws {
        guard firstBlock >= 0 else { throw ValidationError("BLOCK must be 0 or more") }
    }

    func run() throws {
        withDisk("write", arguments) { disk throws(ToolError) in
            let contents = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let contents else { throw .usage("\(file): cannot read") }
            let data = [UInt8](contents)
            let shift = Int(min(transfer.block.shift, 62))
            guard !data.isEmpty, data.count % (1 << shift) == 0 else {
                throw .usage("\(file): \(data.count) bytes is not a whole number of \(1 << shift)-byte blocks")
            }
            let pieces = try transfer.pieces(first: firstBlock, count: Int64(data.count >> shift))
            var offsets: [Int] = []
            var at = 0
            for p in pieces { offsets.append(at); at += Int(p.count) << shift }
            try transfer.perform(pieces, { i, p in
                let slice = Array(data[offsets[i]..<(offsets[i] + (Int(p.count) << shift))])
                return Result { () throws(ToolError) in _ = try disk.call(p.header(disk.cap, .write), slice) }
            }, done: { (_: Void) throws(ToolError) in })
            print("wrote \(data.count >> shift) blocks of \(1 << shift) bytes from block \(firstBlock)")
        }
    }
}

struct Raw: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one request exactly as given and print the reply's header (for tests).",
        discussion: "Prints: status NAME size N offset N extra N data N bytes [hex]. Exits 0 whatever the status, unless the request was not delivered.")
    @OptionGroup var arguments: DiskArguments
    @Argument(help: "The command number (e.g. 2202 for DS_READ, 1004 for STD_INFO).") var command: UInt16
    @Option(help: "h_size.") var size: UInt16 = 0
    @Option(help: "h_offset.") var offset: Int32 = 0
    @Option(help: "h_extra.") var extra: UInt16 = 0
    @Option(help: "Send this many bytes of data (the byte pattern i & 0xff).") var dataBytes = 0
    @Flag(help: "Print the reply's data in hex.") var hex = false

    func run() throws {
        withDisk("raw", arguments) { disk throws(ToolError) in
            var h = Header(capability: disk.cap, command: command)
            h.size = size
            h.offset = offset
            h.extra = extra
            let r = try disk.call(h, (0..<max(0, dataBytes)).map { UInt8(truncatingIfNeeded: $0) }, acceptErrors: true)
            var line = "status \(r.header.status.name) size \(r.header.size) offset \(r.header.offset) extra \(r.header.extra) data \(r.data.count) bytes"
            if hex { line += " " + r.data.map { String(format: "%02x", $0) }.joined() }
            print(line)
        }
    }
}

/// The contents the store test gives key `k`: its number and a pattern,
/// 1 to 3000 bytes, so a mix-up between keys or a torn value shows.
func storeTestValue(_ k: UInt32) -> [UInt8] {
    let n = Int(k &* 37 % 3000) + 1
    return (0..<n).map { UInt8(truncatingIfNeeded: Int(k) &* 131 &+ $0) }
}

struct StoreOptions: ParsableArguments {
    @Option(help: "Use only the first BLOCKS blocks of 512 bytes (a small volume makes the store compact often).")
    var blocks: UInt64?
}

/// Opens the block store on the disk (formatting a blank one).
func openStore(_ disk: Disk, _ options: StoreOptions) throws(ToolError) -> BlockStore {
    do throws(StorageError) {
        let volume = try VDiskVolume(connection: disk.client.connection, disk: disk.cap,
                                     timeout: disk.client.timeout ?? .seconds(8), limit: options.blocks)
        return try BlockStore(volume: volume)
    } catch {
        throw .usage("cannot open the block store on the disk: \(error)")
    }
}

struct StoreStream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-stream",
        abstract: "For tests: commit keys FROM, FROM+1, ... to a block store on the disk, each batch also removing key K-30, printing \"acked K\" as each commit returns.",
        discussion: "Stops after COUNT commits or at the first failure (exit 1).")
    @OptionGroup var arguments: DiskArguments
    @OptionGroup var store: StoreOptions
    @Argument(help: "The first key.") var from: UInt32
    @Argument(help: "How many commits.") var count: UInt32

    func run() throws {
        withDisk("store-stream", arguments) { disk throws(ToolError) in
            let s = try openStore(disk, store)
            for k in from..<from &+ count {
                do throws(StorageError) {
                    // The store keeps at most 30 keys: a small volume holds them forever.
                    try s.commit(k >= 30 ? [.write(key: k, bytes: storeTestValue(k)), .remove(key: k - 30)]
                                         : [.write(key: k, bytes: storeTestValue(k))])
                } catch {
                    throw .usage("commit of key \(k) failed: \(error)")
                }
                // Unbuffered: a test reading the pipe must see each line as the commit returns.
                FileHandle.standardOutput.write(Data("acked \(k)\n".utf8))
            }
        }
    }
}

struct StoreCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-check",
        abstract: "For tests: open the block store on the disk and check every key store-stream wrote.",
        discussion: "Prints \"keys A..B intact, N objects\"; exit 1 if a value is wrong, a key is missing within A..B, or more than the last 30 are kept (a batch's remove lost).")
    @OptionGroup var arguments: DiskArguments
    @OptionGroup var store: StoreOptions

    func run() throws {
        withDisk("store-check", arguments) { disk throws(ToolError) in
            let s = try openStore(disk, store)
            let keys = s.keys()
            guard let lo = keys.first, let hi = keys.last else { print("keys none, 0 objects"); return }
            for k in lo...hi {
                guard let v = try? s.read(k) else { throw .usage("key \(k) missing between \(lo) and \(hi)") }
                guard v == storeTestValue(k) else { throw .usage("key \(k) holds the wrong bytes") }
            }
            guard keys.count == min(Int(hi), 30) else { throw .usage("\(keys.count) keys kept up to \(hi): a batch was applied in part") }
            print("keys \(lo)..\(hi) intact, \(keys.count) objects, \(s.compactions) compactions since opening")
        }
    }
}
