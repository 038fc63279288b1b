// mkd: make directories in the name space. Each new directory gets the
// columns of the directory it is entered in, and is entered with the
// default masks (or those given with -m, hex per column, e.g. ff:6:4).

import AmoebaClient
import AmoebaCore
import ArgumentParser
import ShellSupport
import StdTools

@main
struct Mkd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkd",
        abstract: "Make directories.",
        discussion: "Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .short, help: "Column masks of the new rows, hex, colon-separated (default ff:6:4).") var m: String?
    @Argument(help: "Paths of the new directories.") var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one directory") }
        if let m, DefaultMasks.parse(m) == nil { throw ValidationError("-m takes 1 to 4 hex masks like ff:6:4") }
    }

    func run() throws {
        runTool("mkd") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let masks = m.flatMap(DefaultMasks.parse) ?? DefaultMasks.directories
            return session.forEach("mkd", paths) { (arg: String) throws(ToolError) in
                let path = try session.path(arg)
                do throws(ErrorCode) { _ = try session.directories.makeDirectory(path, masks: masks) } catch { throw .amoeba(error) }
            }
        }
    }
}
