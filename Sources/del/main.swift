// del: remove rows from directories, as Amoeba's del does. A directory is
// only removed with -d, so that a slip does not cut off a subtree; -f also
// destroys the object the row names (a directory must then be empty)
// instead of leaving it to garbage collection.

import AmoebaClient
import AmoebaCore
import ArgumentParser
import ShellSupport
import StdTools

@main
struct Del: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Delete directory entries.",
        discussion: "Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .short, help: "Allow deleting a directory's row.") var d = false
    @Flag(name: .short, help: "Also destroy the object (std_destroy).") var f = false
    @Argument(help: "Paths of the rows to delete.") var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one path") }
    }

    func run() throws {
        runTool("del") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            var worst: Int32 = 0
            for arg in paths {
                do throws(ToolError) {
                    try delete(arg, session)
                } catch {
                    ToolRunner.fail("del", arg, error)
                    worst = max(worst, error.exitCode)
                }
            }
            return worst
        }
    }

    func delete(_ arg: String, _ session: ShellSession) throws(ToolError) {
        let path = try session.path(arg)
        let client = session.directories
        guard let (parentPath, name) = path.parentAndName else { throw .usage("cannot delete the root") }
        let parent: Capability, cap: Capability
        do throws(ErrorCode) {
            parent = try client.lookup(parentPath)
            cap = try client.lookup(path)
        } catch {
            throw .amoeba(error)
        }
        if !d, isDirectory(cap, session) { throw .usage("is a directory (use -d)") }
        if f {
            // STD_DESTROY is the same command for every server.
            do throws(ErrorCode) { try session.files.destroy(cap) } catch { throw .amoeba(error) }
        }
        do throws(ErrorCode) { try client.delete(name, in: parent) } catch { throw .amoeba(error) }
    }

    /// Whether the object describes itself as a directory (STD_INFO `/...`).
    func isDirectory(_ cap: Capability, _ session: ShellSession) -> Bool {
        var h = Header(capability: cap, command: StandardCommand.info)
        h.size = 100
        var t = session.transport
        t.timeout = .seconds(5)
        guard let r = try? t.transact(h, []), r.header.status == .ok else { return false }
        return r.data.first == UInt8(ascii: "/")
    }
}
