// get: copy a file of the name space to standard output, piece by piece,
// so that a file larger than memory streams. Progress goes to stderr when
// it is a terminal. The file is named as the std tools name objects (a
// path, capability text or a capability file), so a capability someone
// handed over can be read without entering it first. Several READs are in
// flight at once (--parallel), the pieces written in order.

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
    @Option(help: "READs in flight at once (1 reads one piece after another).") var parallel = 4
    @Option(help: ArgumentHelp("Read the file's pieces through a FLIP endpoint of get's own on this link (pcap:IFACE needs root or CAP_NET_RAW; udp:, mcast: as amunixd takes them), not through amunixd.",
                               valueName: "link")) var link: String?
    @Argument(help: "The file: a path, capability text (PORT/OBJECT(RIGHTS)/CHECK) or a capability file.") var path: String

    func validate() throws {
        guard (1...64).contains(parallel) else { throw ValidationError("--parallel takes 1 to 64") }
    }

    func run() throws {
        runTool("get") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let transport = try session.dataTransport(link: link)
            defer { transport.close() }
            let meter = Progress(label: "get \(path)", force: progress)
            var out = StreamingOutput()
            return session.forEach("get", [path]) { (arg: String) throws(ToolError) in
                let file = try session.object(arg)
                do throws(ErrorCode) {
                    // Asked the way the pieces go: with --link the size's
                    // answer also locates the file server for the READs.
                    let total = try FileClient(transport: transport).size(file)
                    let reader = ParallelFileRead(pipeline: { transport.pipeline(depth: parallel) }, inFlight: parallel)
                    try reader.read(file, total: total, progress: meter.update) { (piece: [UInt8]) throws(ErrorCode) in
                        try out.write(piece)
                    }
                    meter.finish()
                } catch {
                    meter.finish()
                    // A directory answers a file command with STD_COMBAD:
                    // say what the object is instead.
                    if error == .commandBad || error == .capabilityBad, session.isDirectory(file) {
                        throw .explained(error, what: "is a directory", hint: "dir lists it")
                    }
                    if error == .commandBad { throw .explained(error, what: "not a file", hint: nil) }
                    throw .amoeba(error)
                }
            }
        }
    }
}
