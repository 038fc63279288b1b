// dir: list directories of the name space, as Amoeba's dir does.
//
// Each path names a directory (its rows are listed) or any other object
// (that row alone is shown). The flags add columns: -c the row's rights
// mask per directory column, -l the object's own description (STD_INFO,
// which starts with `/` for a directory and `-` for a file), -k its
// capability, -x its capability set (replicas). Rows come sorted by name
// (-u: the directory's own order, -r: reversed), as Amoeba's dir sorts.
// A row whose object cannot be asked (its server is down) shows why, and
// makes dir exit non-zero, so a script notices a dead server.

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
        // -h is human-readable sizes, as in ls; help stays --help.
        abstract: "List directories (names, rights masks, descriptions, capabilities).",
        discussion: """
            Paths start at the root ($AMOEBA_ROOT, or root.cap in amunixd's state folder, or ~/.amoeba/root.cap); \
            relative ones at the working directory ($AMOEBA_WORK or $_WORK, an absolute path; else the root). \
            . and .. are resolved by name: /home/../hosts is /hosts.

            Reading -l: a directory shows as /dw1234. The first character is the kind of object \
            (/ a directory, % a host's or kernel's own directory, - a file with its size); then what \
            your capability allows: d destroy it, w change its rows, and 1 to 4 the directory columns \
            you may look up through (1 owner, 2 group, 3 other); - marks a right you do not hold. \
            /----3- is a directory seen as "other": look up only.

            Reading -c: one hex rights mask per column (owner group other): what a holder of that \
            column gets on the row's object. ff 6 4, the default for directories, gives the owner \
            every right, the group columns 2 and 3 (6 = bits 0x2 and 0x4, no w, no d) and others \
            column 3 (4); a file's ff 2 2 gives group and others the read right.

            Exit status: 0 ok, 1 refused (STD_*), 2 not reached (RPC_*), 3 no amunixd, 64 bad usage.
            """,
        helpNames: [.long])

    @OptionGroup var daemon: DaemonOptions
    @Flag(name: .short, help: "Long listing: each object's STD_INFO.") var l = false
    @Flag(name: .short, help: "Each object's capability.") var k = false
    @Flag(name: .short, help: "Column rights masks (hex), with the column names.") var c = false
    @Flag(name: .short, help: "Capability sets: initial count, then each capability and whether current.") var x = false
    @Flag(name: .short, help: "With -l, file sizes human-readable (1.5K, 230M).") var h = false
    @Flag(name: .short, help: "Show a directory's own row, not its contents (as Amoeba's dir -d).") var d = false
    @Flag(name: .short, help: "Reverse the order.") var r = false
    @Flag(name: .short, help: "Unsorted: the directory's own order.") var u = false
    @Flag(name: .short, help: "Sort by the time each row was made or last changed, newest first (as Amoeba's dir -t).") var t = false
    @Flag(help: "For scripts: one JSON array of rows per path, each row with name, masks, info (or error), size for files, capability.") var json = false
    @Argument(help: "Paths (default: the working directory, $AMOEBA_WORK, else /).") var paths: [String] = []

    // --json gives a script everything a person could ask for with -c -l -k.
    var showInfo: Bool { l || json }
    var showCapability: Bool { k || json }
    var showMasks: Bool { c || json }

    func run() throws {
        runTool("dir") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            var worst: Int32 = 0
            let targets = paths.isEmpty ? ["."] : paths
            for (i, arg) in targets.enumerated() {
                do throws(ToolError) {
                    if targets.count > 1 && !json { print("\(i > 0 ? "\n" : "")\(arg):") }
                    worst = max(worst, try show(arg, session))
                } catch {
                    ToolRunner.fail("dir", arg, error)
                    worst = max(worst, error.exitCode)
                }
            }
            return worst
        }
    }

    /// Prints one argument's rows; returns the worst exit code of the rows
    /// that could not be described.
    func show(_ arg: String, _ session: ShellSession) throws(ToolError) -> Int32 {
        let path = try session.path(arg)
        let client = session.directories
        let set: CapabilitySet
        do throws(ErrorCode) { set = try client.lookupSet(path) } catch { throw .amoeba(error) }
        guard let cap = set.current.first else { throw .amoeba(.directoryUnreachable) }
        let listing: DirectoryListing
        do throws(ErrorCode) {
            // -d: pretend the directory is any other object.
            if d, !path.isRoot { throw ErrorCode.commandBad }
            listing = try client.list(cap)
        } catch {
            // Not a directory: show the object itself under its last name.
            guard error == .commandBad || error == .capabilityBad, let (parent, name) = path.parentAndName else {
                throw .amoeba(error)
            }
            var masks: [UInt32]? = nil
            var columns: [String] = []
            if showMasks, let dir = try? client.lookup(parent) {
                masks = (try? client.masks(of: name, in: dir)) ?? []
                columns = (try? client.list(dir).columns) ?? []
            }
            let row = self.row(name, masks: masks, set: .success(set), session)
            if json {
                print(JSONOutput.line([ListingRowJSON(row, columns: columns)]))
            } else {
                print(ListingTable(columns: columns, human: h).render([row]).joined(separator: "\n"))
            }
            return rowCode(row)
        }
        var rows = [ListingRow]()
        var worst: Int32 = 0
        var entries = u ? listing.entries : listing.entries.sorted(by: { $0.name < $1.name })
        if t {
            let times: [String: Int32]
            do throws(ErrorCode) { times = try client.rowTimes(entries.map(\.name), in: cap) } catch { throw .amoeba(error) }
            // Newest first; rows made in the same second stay by name.
            entries = entries.enumerated().sorted { a, b in
                let ta = times[a.element.name] ?? .min, tb = times[b.element.name] ?? .min
                return ta != tb ? ta > tb : a.offset < b.offset
            }.map(\.element)
        }
        if r { entries.reverse() }
        for entry in entries {
            var rowSet: Result<CapabilitySet, ErrorCode> = .success(.empty)
            if showInfo || showCapability || x {
                do throws(ErrorCode) {
                    rowSet = .success(try client.lookupSet(AmoebaPath(components: path.components + [entry.name])))
                } catch {
                    rowSet = .failure(error)
                }
            }
            let row = self.row(entry.name, masks: showMasks ? entry.masks : nil, set: rowSet, session)
            let code = rowCode(row)
            if code != 0, case .failure(let e)? = row.info {
                ToolRunner.fail("dir", AmoebaPath(components: path.components + [entry.name]).absolute, .amoeba(e))
            }
            worst = max(worst, code)
            rows.append(row)
        }
        if json {
            print(JSONOutput.line(rows.map { ListingRowJSON($0, columns: listing.columns) }))
            return worst
        }
        let lines = ListingTable(columns: listing.columns, human: h).render(rows)
        if !lines.isEmpty { print(lines.joined(separator: "\n")) }
        return worst
    }

    func row(_ name: String, masks: [UInt32]?, set: Result<CapabilitySet, ErrorCode>, _ session: ShellSession) -> ListingRow {
        var r = ListingRow(name: name, masks: masks)
        guard case .success(let set) = set else {
            if case .failure(let e) = set, showInfo || showCapability || x { r.info = .failure(e) }
            return r
        }
        let current = set.current.first
        if showInfo { r.info = current.map { session.describe($0) } ?? .failure(.directoryUnreachable) }
        if showCapability, let current { r.capability = current.text }
        if x {
            var s = "{\(set.initial),\(set.suites.count):"
            for suite in set.suites { s += " \(suite.capability.text)\(suite.isCurrent ? "" : " (old)")" }
            r.set = s + "}"
        }
        return r
    }

    /// The exit code a row's failure to answer STD_INFO stands for.
    func rowCode(_ row: ListingRow) -> Int32 {
        guard case .failure(let e)? = row.info else { return 0 }
        return ToolError.amoeba(e).exitCode
    }
}
