// om: the object manager, Amoeba's garbage collector.
//
// Capabilities can be copied anywhere, so a server cannot count who refers
// to an object; Amoeba reclaims instead what nobody has touched for a
// while. Each sweep, om walks the name space from the root, sends
// STD_TOUCH to every object a row names (which resets its lifetime), then
// sends STD_AGE to the servers it is given the super capabilities of: each
// ages all its objects by one, and destroys those whose lifetime reaches
// zero. A file that no row names is touched by no sweep and goes after the
// server's lifetime (bullet-server --max-lifetime, 24 by default).
//
// Ageing a server whose objects were not all touched would destroy live
// ones, so a server is aged only if the walk reached every directory and
// no touch of one of its objects failed for want of an answer.

import AmoebaClient
import AmoebaCore
import DirectoryProtocol
import ArgumentParser
import ShellSupport
import StdTools

@main
struct ObjectManager: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "om",
        abstract: "Touch every object the name space names, then age servers (garbage collection).",
        discussion: """
            Run it regularly (a systemd timer or cron), as Amoeba ran om, with the super capability \
            of each server to age, for example the file server's: om --age /var/lib/amoeba/bullet/super.cap. \
            Without --age it only touches (harmless, and shows what is reachable).

            Exit status: 0 ok, 1 a server refused to age (STD_*), 2 the walk or a server was not \
            reached (nothing is aged then), 3 no amunixd, 64 bad usage.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .customLong("age"), help: "The super capability (text or file) of a server to age after the walk. Repeatable.")
    var ageCapabilities: [String] = []
    @Option(help: "How many sweeps (walk, then age) to run.") var sweeps: Int = 1
    @Flag(name: .short, help: "Print each object touched.") var v = false
    @Argument(help: "Where to start the walk (default: the root). Give every tree the servers' objects are named in.")
    var paths: [String] = []

    func validate() throws {
        guard sweeps >= 1 else { throw ValidationError("--sweeps is at least 1") }
    }

    func run() throws {
        runTool("om") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            let servers = try ageCapabilities.map { (text: String) throws(ToolError) in try session.object(text) }
            var worst: Int32 = 0
            for sweep in 1...sweeps {
                worst = max(worst, try self.sweep(sweep, servers, session))
            }
            return worst
        }
    }

    /// One walk and one round of ageing; returns the exit code it stands for.
    func sweep(_ number: Int, _ servers: [Capability], _ session: ShellSession) throws(ToolError) -> Int32 {
        var walk = Walk(session: session, verbose: v)
        let starts = paths.isEmpty ? [AmoebaPath(components: [])] : try paths.map { (p: String) throws(ToolError) in try session.path(p) }
        for start in starts { walk.visit(start) }
        var line = "om: sweep \(number): \(walk.directories) directories, \(walk.touched) objects touched"
        if walk.dangling > 0 { line += ", \(walk.dangling) rows naming objects that are gone" }
        print(line)
        var worst: Int32 = 0
        for problem in walk.unreached {
            ToolRunner.fail("om", problem.path, .amoeba(problem.error))
            worst = 2
        }
        for server in servers {
            let name = "server \(server.port)"
            if walk.incomplete {
                ToolRunner.note("om", name, "not aged: the walk did not reach every directory")
                worst = max(worst, 2)
                continue
            }
            if walk.unansweredPorts.contains(server.port) {
                ToolRunner.note("om", name, "not aged: some of its objects could not be touched")
                worst = max(worst, 2)
                continue
            }
            var h = Header(capability: server, command: StandardCommand.age)
            h.size = 0
            do throws(ErrorCode) {
                let r = try session.transport.transact(h, [])
                guard r.header.status == .ok else { throw r.header.status }
                print("om: aged \(name)")
            } catch {
                ToolRunner.fail("om", name, .amoeba(error))
                worst = max(worst, ToolError.amoeba(error).exitCode)
            }
        }
        return worst
    }
}

/// One walk of the name space: each SOAP directory listed once, each
/// object its rows name touched once.
struct Walk {
    let session: ShellSession
    let verbose: Bool
    var directories = 0
    var touched = 0
    var dangling = 0
    /// Directories or rows that could not be read: ageing would be unsafe.
    var unreached: [(path: String, error: ErrorCode)] = []
    var incomplete: Bool { !unreached.isEmpty }
    /// Servers some of whose objects did not answer the touch.
    var unansweredPorts = Set<Port>()
    private var seen = Set<Capability>()

    init(session: ShellSession, verbose: Bool) {
        self.session = session
        self.verbose = verbose
    }

    mutating func visit(_ path: AmoebaPath) {
        let client = session.directories
        let set: CapabilitySet
        do throws(ErrorCode) { set = try client.lookupSet(path) } catch {
            unreached.append((path.absolute, error))
            return
        }
        for cap in set.suites.map(\.capability) { touch(cap, path) }
        guard let cap = set.current.first, seen.insert(Self.identity(cap)).inserted,
              case .success(let info) = session.describe(cap), info.first == "/" else { return }
        let listing: DirectoryListing
        do throws(ErrorCode) { listing = try client.list(cap) } catch {
            unreached.append((path.absolute, error))
            return
        }
        directories += 1
        for entry in listing.entries {
            visit(AmoebaPath(components: path.components + [entry.name]))
        }
    }

    private mutating func touch(_ cap: Capability, _ path: AmoebaPath) {
        // Object 0 is a server's own capability: servers are not aged.
        guard cap.private.object.value != 0 else { return }
        var h = Header(capability: cap, command: StandardCommand.touch)
        h.size = 0
        do throws(ErrorCode) {
            let r = try session.transport.transact(h, [])
            switch r.header.status {
            case .ok:
                touched += 1
                if verbose { print("touched \(path.absolute)") }
            case .capabilityBad, .notFound:
                dangling += 1
            default:
                break   // a server that does not age its objects (sys, a kernel directory)
            }
        } catch {
            // RPC_*: nobody answered; that server's objects may not all be touched.
            unansweredPorts.insert(cap.port)
        }
    }

    /// A directory is the same one whatever rights a row gives on it.
    private static func identity(_ cap: Capability) -> Capability {
        Capability(port: cap.port, private: PrivatePart(object: cap.private.object, rights: .all, check: .null))
    }
}
