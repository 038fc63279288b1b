// chm: change the column masks of rows, as Amoeba's chm does. The masks
// say, per directory column (owner, group, other), which rights a holder
// of that column gets on the row's object: `chm ff:2:0 /home/ann/notes`
// keeps the file from others and lets the group read it.

import AmoebaClient
import AmoebaCore
import ArgumentParser
import ShellSupport
import StdTools

@main
struct Chm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chm",
        abstract: "Change the column masks of directory rows.",
        discussion: """
            MASKS are hex, one per column, colon-separated: ff:6:4 gives the owner column every right, \
            the group 0x6 and others 0x4. Columns not given get 0. Needs the right to change the \
            directory's rows (w in dir -l).

            Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: "The new masks, hex per column (e.g. ff:2:0).") var masks: String
    @Argument(help: "Paths of the rows to change.") var paths: [String] = []

    func validate() throws {
        guard DefaultMasks.parse(masks) != nil else { throw ValidationError("MASKS takes 1 to 4 hex masks like ff:6:4, not '\(masks)'") }
        guard !paths.isEmpty else { throw ValidationError("name at least one row") }
    }

    func run() throws {
        runTool("chm") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let parsed = DefaultMasks.parse(masks)!
            return session.forEach("chm", paths) { (arg: String) throws(ToolError) in
                let path = try session.path(arg)
                do throws(ErrorCode) {
                    let (dir, name) = try session.directories.parent(of: path)
                    try session.directories.changeMasks(of: name, to: parsed, in: dir)
                } catch {
                    throw .amoeba(error)
                }
            }
        }
    }
}
