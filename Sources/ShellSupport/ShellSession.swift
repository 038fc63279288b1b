// What the name-space tools (dir, mkd, del, get, put, amoeba-init's checks)
// share: one connection to amunixd, the root capability and the working
// directory, the directory and file clients over them, how an argument
// names an object, and one loop that reports each failure as `tool: arg:
// what went wrong (NAME)`; the default column masks of new rows; and the
// exit codes of the std tools, so that scripts treat every tool alike.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import Amunix
import Foundation
import StdTools

public struct ShellSession {
    public let connection: AmunixConnection
    public let transport: AmunixTransactor
    public let root: Capability
    /// Where relative paths start (AMOEBA_WORK or _WORK, else the root).
    public let work: AmoebaPath
    public var directories: DirectoryClient<AmunixTransactor> { DirectoryClient(transport: transport, root: root) }
    public var files: FileClient<AmunixTransactor> { FileClient(transport: transport) }

    /// Connects to the daemon the options name and finds the root. The
    /// daemon comes first: without it nothing else can work, and a missing
    /// root is most often a symptom of the daemon not running (root.cap
    /// lives in its state folder).
    public init(options: DaemonOptions) throws(ToolError) {
        do throws(AmunixError) {
            connection = try AmunixConnection(path: options.socket ?? AmunixConnection.socketPathFromEnvironment)
        } catch {
            throw .daemon(error)
        }
        do throws(RootCapability.NotFound) {
            root = try RootCapability.find()
        } catch {
            throw .usage(error.description)
        }
        do throws(WorkingDirectory.Bad) {
            work = try WorkingDirectory.find()
        } catch {
            throw .usage(error.description)
        }
        transport = AmunixTransactor(connection: connection, timeout: .milliseconds(Int64(options.timeout * 1000)))
    }

    /// Parses a path argument, relative ones from the working directory.
    /// The message leaves the path out: the caller prints it in front
    /// (`tool: path: ...`).
    public func path(_ text: String) throws(ToolError) -> AmoebaPath {
        do {
            return try AmoebaPath(text, from: work)
        } catch {
            throw .usage("not a path of row names (1-255 printable characters, no spaces) of at most 255 bytes")
        }
    }

    /// The capability `path` names.
    public func lookup(_ path: AmoebaPath) throws(ToolError) -> Capability {
        do throws(ErrorCode) { return try directories.lookup(path) } catch { throw .amoeba(error) }
    }

    /// The object an argument names, as the std tools take it: capability
    /// text, a Linux file holding a capability, else a path in the name
    /// space. A Linux file that holds no capability is not an error but a
    /// path: `get README` in a folder that has a README means the name
    /// space's README.
    public func object(_ text: String) throws(ToolError) -> Capability {
        if text.contains("("), let cap = try? Capability(text: text) { return cap }
        var st = stat()
        if stat(text, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= 4096,
           let cap = RootCapability.read(file: text) {
            return cap
        }
        return try lookup(path(text))
    }

    /// The first line of the object's STD_INFO, or the error that kept it
    /// back. `timeout` bounds the wait for a server that may be down.
    public func describe(_ cap: Capability, timeout: Duration? = nil) -> Result<String, ErrorCode> {
        var h = Header(capability: cap, command: StandardCommand.info)
        h.size = 30000
        var t = transport
        if let timeout { t.timeout = min(timeout, t.timeout ?? timeout) }
        do throws(ErrorCode) {
            let r = try t.transact(h, [])
            guard r.header.status == .ok else { return .failure(r.header.status) }
            let text = String(decoding: r.data, as: UTF8.self)
            return .success(text.split(separator: "\n").first.map(String.init) ?? "")
        } catch {
            return .failure(error)
        }
    }

    /// Whether the object describes itself as a directory: `/` for a SOAP
    /// directory, `%` for a kernel or host directory.
    public func isDirectory(_ cap: Capability) -> Bool {
        guard case .success(let info) = describe(cap, timeout: .seconds(5)), let c = info.first else { return false }
        return c == "/" || c == "%"
    }

    /// Runs `body` on each argument, printing each failure as
    /// `tool: arg: what went wrong (NAME)`; returns the worst exit code.
    public func forEach(_ tool: String, _ arguments: [String], _ body: (String) throws(ToolError) -> Void) -> Int32 {
        var worst: Int32 = 0
        for arg in arguments {
            do throws(ToolError) {
                try body(arg)
            } catch {
                ToolRunner.fail(tool, arg, error)
                worst = max(worst, error.exitCode)
            }
        }
        return worst
    }
}

/// The column masks new rows get. Rights bits mean different things to
/// different servers, so directories and files differ: a directory row
/// gives the group the group and other columns and others the other column
/// (no modify, no delete); a file row gives group and others the Bullet
/// read right only.
public enum DefaultMasks {
    public static let directories: [UInt32] = [0xFF, 0x06, 0x04]
    public static let files: [UInt32] = [0xFF, 0x02, 0x02]

    /// Parses `ff:6:4` (hex masks, one per column).
    public static func parse(_ text: String) -> [UInt32]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var out = [UInt32]()
        for p in parts {
            guard let v = UInt32(p, radix: 16), v <= 0xFF else { return nil }
            out.append(v)
        }
        return out
    }
}

extension ToolError {
    /// Wraps an Amoeba error from the clients.
    public static func from(_ code: ErrorCode) -> ToolError { .amoeba(code) }
}

/// Runs a tool body, printing a failure as `tool: ERROR` and exiting with
/// its code.
public func runTool(_ tool: String, _ body: () throws(ToolError) -> Int32) -> Never {
    do throws(ToolError) {
        let code = try body()
        exit(code)
    } catch {
        ToolRunner.fail(tool, nil, error)
        exit(error.exitCode)
    }
}

/// Progress of a long transfer on stderr, only when stderr is a terminal,
/// at most ten times a second.
public final class Progress {
    let enabled: Bool
    let label: String
    var last = Date.distantPast

    public init(label: String, force: Bool = false) {
        self.label = label
        enabled = force || isatty(2) == 1
    }

    public func update(_ done: Int, _ total: Int) {
        guard enabled else { return }
        let now = Date()
        guard (total > 0 && done == total) || now.timeIntervalSince(last) >= 0.1 else { return }
        last = now
        let line = total > 0
            ? String(format: "\r%@: %d%% (%.1f of %.1f MB)", label, done * 100 / total, Double(done) / 1e6, Double(total) / 1e6)
            : String(format: "\r%@: %.1f MB", label, Double(done) / 1e6)
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
