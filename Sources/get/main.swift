// get: copy a file of the name space to standard output, piece by piece,
// so that a file larger than memory streams. Progress goes to stderr when
// it is a terminal.

import AmoebaClient
import AmoebaCore
import ArgumentParser
import Foundation
import ShellSupport
import StdTools

@main
struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Write a file's contents to standard output (get path > file).",
        discussion: "Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(help: "Show progress even when stderr is not a terminal.") var progress = false
    @Argument(help: "The file's path.") var path: String

    func run() throws {
        runTool("get") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let p = try session.path(path)
            let meter = Progress(label: "get \(path)", force: progress)
            let out = FileHandle.standardOutput
            do throws(ErrorCode) {
                let file = try session.directories.lookup(p)
                try session.files.read(file, progress: meter.update) { (piece: [UInt8]) throws(ErrorCode) in
                    do { try out.write(contentsOf: piece) } catch { throw .systemError }
                }
            } catch {
                meter.finish()
                throw .amoeba(error)
            }
            meter.finish()
            return 0
        }
    }
}
