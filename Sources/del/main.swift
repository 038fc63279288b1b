// del: remove rows from directories, and the objects only they kept alive.
//
// Amoeba's del (del.n) only deletes the row and leaves the object to the
// garbage collector, because a user cannot know whether another row names
// it too; -d lets it delete a directory's row even when the directory
// still holds rows, and -f destroys every object of the row. Here nothing
// collects orphans yet, so a deleted file or empty directory would stay on
// its server for ever: del destroys a file (STD_INFO `-`) or an empty
// directory (`/`) after its row is gone, unless -k keeps it (Amoeba's
// behaviour, for an object entered under several names). A directory that
// still holds rows is refused unless -r deletes what it holds first, so a
// slip does not cut off a subtree. Servers and host directories (`%`) are
// never destroyed by default: only their row goes. An object whose server
// does not answer is deleted only with -d, as in Amoeba, since del cannot
// tell what it is.

import AmoebaClient
import AmoebaCore
import ArgumentParser
import ShellSupport
import StdTools

@main
struct Del: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Delete directory entries, and destroy the files and empty directories they named.",
        discussion: """
            Unlike Amoeba's del, which leaves every object to the garbage collector, this del destroys \
            a file or an empty directory once its row is gone (nothing collects orphans here yet); -k \
            keeps the object, for one entered under several names.

            Exit status: 0 ok, 1 refused (STD_*, SP_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .short, help: "Allow deleting a directory's row (and the row of an object whose server does not answer).") var d = false
    @Flag(name: .short, help: "With -d: delete everything the directory holds first.") var r = false
    @Flag(name: .short, help: "Destroy the object whatever it is, before deleting the row (std_destroy); a failure keeps the row.") var f = false
    @Flag(name: .short, help: "Keep the object: delete the row only, as Amoeba's del does.") var k = false
    @Argument(help: "Paths of the rows to delete.") var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one path") }
        if f && k { throw ValidationError("-f destroys the object and -k keeps it: give one of them") }
    }

    func run() throws {
        runTool("del") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            return session.forEach("del", paths) { (arg: String) throws(ToolError) in
                let path = try session.path(arg)
                guard path.parentAndName != nil else { throw .usage("cannot delete the root") }
                try delete(path, session, depth: 0)
            }
        }
    }

    /// What a row names, as far as del cares.
    enum Kind { case file, directory, otherDirectory, other, gone, unknown(ErrorCode) }

    func kind(_ cap: Capability, _ session: ShellSession) -> Kind {
        switch session.describe(cap, timeout: .seconds(5)) {
        // The server answered that the object is not there (or not for
        // this capability): nothing to protect, nothing to destroy.
        case .failure(let e) where e.rawValue <= -1000: return .gone
        case .failure(let e): return .unknown(e)
        case .success(let info):
            switch info.first {
            case "-": return .file
            case "/": return .directory
            case "%": return .otherDirectory
            default: return .other
            }
        }
    }

    func delete(_ path: AmoebaPath, _ session: ShellSession, depth: Int) throws(ToolError) {
        let client = session.directories
        let (parentPath, name) = path.parentAndName!
        let parent = try session.lookup(parentPath)
        let cap = try session.lookup(path)
        let what = kind(cap, session)
        switch what {
        case .directory, .otherDirectory:
            if !d && !r { throw .usage("is a directory (use -d)") }
        case .unknown(let e):
            if !d && !r && !f {
                throw .explained(e, what: "cannot tell what it is: \(ErrorWords.explain(e))", hint: "use -d to delete the row anyway")
            }
        default: break
        }
        if case .directory = what {
            let rows: [DirectoryEntry]
            do throws(ErrorCode) { rows = try client.list(cap).entries } catch { throw .amoeba(error) }
            if !rows.isEmpty && r {
                // Rows deeper than this are cut off only as far as the name
                // space is a tree; a row back up the path would loop.
                guard depth < 64 else { throw .explained(.overflow, what: "directories nested too deep (a loop?)", hint: nil) }
                for row in rows {
                    try delete(AmoebaPath(components: path.components + [row.name]), session, depth: depth + 1)
                }
            } else if !rows.isEmpty && !f {
                // With -f the server's own refusal (SP_NOTEMPTY) says it.
                throw .explained(.directoryNotEmpty, what: "directory not empty (\(rows.count) row\(rows.count == 1 ? "" : "s"))",
                                 hint: "use -r to delete what it holds too")
            }
        }
        if f {
            // STD_DESTROY is the same command for every server.
            do throws(ErrorCode) { try session.files.destroy(cap) } catch { throw .amoeba(error) }
        }
        do throws(ErrorCode) { try client.delete(name, in: parent) } catch { throw .amoeba(error) }
        guard !f, !k else { return }
        switch what {
        case .file, .directory:
            // The row is gone; the object goes too. If it cannot, say so
            // and carry on: what was asked (the row) is done.
            do throws(ErrorCode) {
                try session.files.destroy(cap)
            } catch {
                ToolRunner.note("del", path.absolute, "row deleted, but the object stays on its server: \(ErrorWords.explain(error))")
            }
        default: break
        }
    }
}
