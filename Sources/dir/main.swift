// dir: list directories of the name space, as Amoeba's dir does.
//
// Each path names a directory (its rows are listed) or any other object
// (that row alone is shown). The flags add columns: -c the row's rights
// mask per directory column, -l the object's own description (STD_INFO,
// which starts with `/` for a directory and `-` for a file), -k its
// capability, -x its capability set (replicas). Rows come sorted by name.

import AmoebaClient
import AmoebaCore
import ArgumentParser
import DirectoryProtocol
import ShellSupport
import StdTools

@main
struct Dir: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dir",
        abstract: "List directories (names, rights masks, descriptions, capabilities).",
        discussion: "Paths start at the root ($AMOEBA_ROOT, or root.cap in amunixd's state folder, or ~/.amoeba/root.cap). Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.")

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .short, help: "Long listing: each object's STD_INFO.") var l = false
    @Flag(name: .short, help: "Each object's capability.") var k = false
    @Flag(name: .short, help: "Column rights masks (hex), with the column names.") var c = false
    @Flag(name: .short, help: "Capability sets: initial count, then each capability and whether current.") var x = false
    @Argument(help: "Paths (default: /).") var paths: [String] = []

    func run() throws {
        runTool("dir") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            var worst: Int32 = 0
            let targets = paths.isEmpty ? ["/"] : paths
            for (i, arg) in targets.enumerated() {
                do throws(ToolError) {
                    if targets.count > 1 { print("\(i > 0 ? "\n" : "")\(arg):") }
                    try show(arg, session)
                } catch {
                    ToolRunner.fail("dir", arg, error)
                    worst = max(worst, error.exitCode)
                }
            }
            return worst
        }
    }

    func show(_ arg: String, _ session: ShellSession) throws(ToolError) {
        let path = try session.path(arg)
        let client = session.directories
        let set: CapabilitySet
        do throws(ErrorCode) { set = try client.lookupSet(path) } catch { throw .amoeba(error) }
        guard let cap = set.current.first else { throw .amoeba(.directoryUnreachable) }
        let listing: DirectoryListing
        do throws(ErrorCode) {
            listing = try client.list(cap)
        } catch {
            // Not a directory: show the object itself under its last name.
            guard error == .commandBad || error == .capabilityBad, let (parent, name) = path.parentAndName else {
                throw .amoeba(error)
            }
            var masks: [UInt32] = []
            if c, let dir = try? client.lookup(parent) { masks = (try? client.masks(of: name, in: dir)) ?? [] }
            print(line(name, masks: masks, set: set, session))
            return
        }
        if c {
            print(pad("", 20) + listing.columns.map { pad($0, 9) }.joined())
        }
        for entry in listing.entries.sorted(by: { $0.name < $1.name }) {
            var rowSet = CapabilitySet.empty
            if l || k || x {
                do throws(ErrorCode) {
                    rowSet = try client.lookupSet(AmoebaPath(components: path.components + [entry.name]))
                } catch {
                    print(pad(entry.name, 20) + "  (\(error.name))")
                    continue
                }
            }
            print(line(entry.name, masks: entry.masks, set: rowSet, session))
        }
    }

    func line(_ name: String, masks: [UInt32], set: CapabilitySet, _ session: ShellSession) -> String {
        guard l || k || c || x else { return name }
        var s = pad(name, 20)
        if c { s += masks.map { pad(String($0, radix: 16), 9) }.joined() }
        if l {
            if let cap = set.current.first {
                s += "  " + info(cap, session)
            } else {
                s += "  (no current capability)"
            }
        }
        if k, let cap = set.current.first { s += "  " + cap.text }
        if x {
            s += "  {\(set.initial),\(set.suites.count):"
            for suite in set.suites { s += " \(suite.capability.text)\(suite.isCurrent ? "" : " (old)")" }
            s += "}"
        }
        return s
    }

    func info(_ cap: Capability, _ session: ShellSession) -> String {
        var h = Header(capability: cap, command: StandardCommand.info)
        h.size = 30000
        var t = session.transport
        t.timeout = .seconds(5)
        do throws(ErrorCode) {
            let r = try t.transact(h, [])
            guard r.header.status == .ok else { return "(\(r.header.status.name))" }
            let text = String(decoding: r.data, as: UTF8.self)
            return text.split(separator: "\n").first.map(String.init) ?? ""
        } catch {
            return "(\(error.name))"
        }
    }

    func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
