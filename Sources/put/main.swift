// put: make a file from standard input and enter it under a path
// (put path < file). The input is sent as it is read, one request's worth
// at a time, so a file larger than memory streams through; several writes
// are in flight at once (--parallel; ParallelFileWrite), and a write that
// fails ends the put with its error and where in the file it was. The
// file server is the one AMOEBA_BULLET names (a capability or a file
// holding one), else the one entered at /profile/cap/bulletsvr/default.
// With -f an existing row is replaced.
// Progress goes to stderr when it is a terminal.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import Bullet
import ArgumentParser
import DirectoryProtocol
import Foundation
import ShellSupport
import StdTools

@main
struct Put: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Store standard input as a file under a path (put path < file).",
        discussion: "Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .short, help: "Replace an existing row's file, in one step (its masks stay unless -m is given).") var f = false
    @Option(name: .short, help: "Column masks of the new row, hex, colon-separated (default ff:2:2).") var m: String?
    @Flag(help: "Show progress even when stderr is not a terminal.") var progress = false
    @Option(help: "Writes in flight at once (1 sends one piece after another).") var parallel = 4
    @Option(help: ArgumentHelp("Send the file's pieces through a FLIP endpoint of put's own on this link (pcap:IFACE needs root or CAP_NET_RAW; udp:, mcast: as amunixd takes them), not through amunixd.",
                               valueName: "link")) var link: String?
    @Argument(help: "The new file's path.") var path: String

    static let defaultServerPath = "/profile/cap/bulletsvr/default"

    func validate() throws {
        if let m, DefaultMasks.parse(m) == nil { throw ValidationError("-m takes 1 to 4 hex masks like ff:6:4") }
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel takes 1 to 64") }
    }

    func run() throws {
        runTool("put") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let transport = try session.dataTransport(link: link)
            defer { transport.close() }
            return session.forEach("put", [path]) { (arg: String) throws(ToolError) in try store(arg, session, transport) }
        }
    }

    func store(_ arg: String, _ session: ShellSession, _ transport: DataTransport) throws(ToolError) {
        let p = try session.path(arg)
        guard let (parentPath, name) = p.parentAndName else { throw .usage("cannot put the root") }
        let masks = m.flatMap(DefaultMasks.parse) ?? DefaultMasks.files
        let server = try fileServer(session)
        let parent = try session.lookup(parentPath)
        // Refuse before reading a large input, not after.
        if !f, (try? session.directories.masks(of: name, in: parent)) != nil {
            throw .explained(.exists, what: "already exists", hint: "use -f to replace")
        }
        let meter = Progress(label: "put \(arg)", force: progress)
        let input = StandardInput()
        let file: Capability
        do throws(FileWriteFailure) {
            let writer = ParallelFileWrite(pipeline: { transport.pipeline(depth: parallel) }, inFlight: parallel)
            file = try writer.create(on: server, reading: input.next) { meter.update($0, input.size) }
            meter.finish()
        } catch {
            meter.finish()
            // Past the CREATE, say where: the file was abandoned there.
            if error.offset == 0 { throw .amoeba(error.error) }
            throw .explained(error.error, what: "writing byte \(error.offset) of the file failed",
                             hint: "nothing was stored")
        }
        do throws(ErrorCode) {
            try enter(file, as: name, masks: masks, in: parent, session)
        } catch {
            // Nobody could ever reach the file: do not leave it behind.
            try? session.files.destroy(file)
            throw .amoeba(error)
        }
    }

    /// Enters the new file. With -f an existing row is given the file by
    /// one REPLACE, so readers never find the name missing, and keeps its
    /// masks unless -m names new ones; a row not there yet is appended.
    func enter(_ file: Capability, as name: String, masks: [UInt32], in parent: Capability,
               _ session: ShellSession) throws(ErrorCode) {
        let directories = session.directories
        if f {
            do throws(ErrorCode) {
                try directories.replace(name, CapabilitySet(file), in: parent)
                if m != nil { try directories.changeMasks(of: name, to: masks, in: parent) }
                return
            } catch where error == .notFound {}
        }
        try directories.append(name, CapabilitySet(file), masks: masks, in: parent)
    }

    /// Standard input in pieces of one request each, and its size when it
    /// is a regular file (for the progress line; 0 when unknown). Each
    /// piece is read straight into the array that is sent, not copied
    /// there from a buffer of its own.
    final class StandardInput {
        let size: Int

        init() {
            var st = stat()
            size = fstat(0, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int(st.st_size) : 0
        }

        func next() throws(ErrorCode) -> [UInt8]? {
            var failed = false
            let piece = [UInt8](unsafeUninitializedCapacity: BulletLimits.requestData) { buffer, filled in
                filled = 0
                while filled < buffer.count {
                    let n = read(0, buffer.baseAddress! + filled, buffer.count - filled)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { failed = true; break }
                    if n == 0 { break }
                    filled += n
                }
            }
            if failed { throw .systemError }
            return piece.isEmpty ? nil : piece
        }
    }

    func fileServer(_ session: ShellSession) throws(ToolError) -> Capability {
        if let v = ProcessInfo.processInfo.environment["AMOEBA_BULLET"], !v.isEmpty {
            if let cap = try? Capability(text: v) { return cap }
            if let cap = RootCapability.read(file: v) { return cap }
            throw .usage("AMOEBA_BULLET=\(v) is neither a capability nor a file holding one")
        }
        do throws(ErrorCode) {
            return try session.directories.lookup(AmoebaPath(Self.defaultServerPath))
        } catch {
            throw .usage("no file server: set AMOEBA_BULLET or enter one at \(Self.defaultServerPath) (\(error.name))")
        }
    }
}
