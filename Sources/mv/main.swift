// mv: rename a row within the name space, or move it to another
// directory. The object is not touched: its capability set and masks are
// entered under the new name first and the old row deleted after, so a
// failure half-way leaves the object reachable (under both names, which mv
// then says) and never under none.

import AmoebaClient
import AmoebaCore
import ArgumentParser
import ShellSupport
import StdTools

@main
struct Mv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mv",
        abstract: "Rename or move a row of the name space (the object stays as it is).",
        discussion: """
            mv OLD NEW renames; mv OLD... DIR moves each into the directory DIR under its own name. \
            An existing NEW is refused unless -f, which replaces that row (the object it named is \
            not destroyed). Rows keep their column masks.

            Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .short, help: "Replace an existing row at the destination.") var f = false
    @Argument(help: "The row(s) to move, then the new name or a directory.") var paths: [String] = []

    func validate() throws {
        guard paths.count >= 2 else { throw ValidationError("give the row to move and where to (mv OLD NEW, or mv OLD... DIR)") }
    }

    func run() throws {
        runTool("mv") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let client = session.directories
            let target = try session.path(paths.last!)
            let sources = paths.dropLast()
            // Into a directory when the target is one (or more than one row moves).
            var into: Capability? = nil
            if let cap = try? client.lookup(target), (try? client.list(cap)) != nil { into = cap }
            if sources.count > 1, into == nil {
                throw .usage("\(paths.last!): not a directory, and more than one row is to move")
            }
            return session.forEach("mv", Array(sources)) { (arg: String) throws(ToolError) in
                let from = try session.path(arg)
                guard let (fromDir, name) = from.parentAndName else { throw .usage("the root cannot move") }
                let fromCap = try amoeba { () throws(ErrorCode) in try client.lookup(fromDir) }
                let (toDir, newName): (Capability, String)
                if let into { (toDir, newName) = (into, name) } else {
                    (toDir, newName) = try amoeba { () throws(ErrorCode) in try client.parent(of: target) }
                }
                let set = try amoeba { () throws(ErrorCode) in try client.lookupSet(from) }
                let masks = try amoeba { () throws(ErrorCode) in try client.masks(of: name, in: fromCap) }
                if toDir == fromCap && newName == name { return }
                if f, (try? client.masks(of: newName, in: toDir)) != nil {
                    try amoeba { () throws(ErrorCode) in try client.delete(newName, in: toDir) }
                }
                do throws(ErrorCode) {
                    try client.append(newName, set, masks: masks, in: toDir)
                } catch {
                    if error == .exists {
                        throw .explained(.exists, what: "\(paths.last!) already exists", hint: "use -f to replace it")
                    }
                    throw .amoeba(error)
                }
                do throws(ErrorCode) { try client.delete(name, in: fromCap) } catch {
                    throw .explained(error, what: "entered under the new name, but the old row stays", hint: "del \(arg) when it can be reached")
                }
            }
        }
    }
}

/// Runs a directory call, its Amoeba error becoming the tool's.
func amoeba<T>(_ body: () throws(ErrorCode) -> T) throws(ToolError) -> T {
    do { return try body() } catch { throw .amoeba(error) }
}
