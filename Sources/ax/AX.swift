// ax: run a program on a kernel node, as Amoeba's ax does from Unix. It
// finds the Amoeba binary (in /bin, or by path), reads its process
// descriptor, lays the initial stack (arguments, ax's environment strings
// and the capabilities ROOT, WORK, STDIN, STDOUT, STDERR, and TTY when ax
// has a terminal) into a file on the
// file server, and sends PS_EXEC to the host's proc server; the kernel
// reads the segments from the file server itself. ax serves the program's
// standard input and output and is its owner: output shows as it is
// written, and the checkpoint at the end gives ax's exit status: the
// program's own, 128+signal for a stun, 1 with the exception printed for
// a fault.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import DirectoryProtocol
import Amunix
import ArgumentParser
import Foundation
import ProcessDescriptor
import ShellSupport
import StdTools

@main
struct AX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ax",
        abstract: "Run an Amoeba program on a kernel node, its output here.",
        discussion: """
        Example: ax -m node0 hello a b;  ax -C HOME=/home/ann -E GREETING=hi hello
        Exit status: the program's; 128+N when it was stunned with signal N; 1 for an exception \
        (printed) or a refusal (STD_*); 2 not reached (RPC_*); 3 no amunixd; 64 bad usage.
        """)

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .short, help: "The host to run on: a name under /hosts (default: any host under /hosts with a proc server that answers, taken round robin from a random start, the next one when a host is full, as Amoeba's findhost).")
    var m: String?
    @Option(name: .short, help: "NAME=VALUE: an environment string for the program, added to ax's own environment (which the program gets, as from Amoeba's ax). -E 0: leave ax's own environment out. Repeat.")
    var E: [String] = []
    @Option(name: .short, help: "NAME=PATH: a capability for the program's capability environment, looked up here. Repeat.")
    var C: [String] = []
    @Option(name: .customLong("stack"), help: "Stack size in bytes (default 65536).")
    var stackSize: Int = 65536
    @Flag(name: .customLong("stack-on-node"), help: "Build the stack in a segment on the node itself (PS_SEG_CREATE, PS_SEG_WRITE) instead of in a file on the file server.")
    var stackOnNode = false
    // Test hooks (scripts/ax-test.sh), not for users.
    @Option(name: .customLong("raw-exec"), help: .hidden) var rawExec: String?
    @Flag(name: .customLong("unreachable-source"), help: .hidden) var unreachableSource = false
    @Argument(help: "The program: a name in /bin, or a path.") var program: String
    @Argument(parsing: .captureForPassthrough, help: "Its arguments.") var arguments: [String] = []

    /// The program's environment strings: ax's own (unless -E 0), each
    /// -E replacing a string of the same name.
    var environment: [String] {
        var strings = E.contains("0") ? [] : ProcessInfo.processInfo.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for e in E where e != "0" {
            let name = e.prefix { $0 != "=" } + "="
            strings.removeAll { $0.hasPrefix(name) }
            strings.append(e)
        }
        return strings
    }

    func validate() throws {
        for e in E where !e.contains("=") && e != "0" { throw ValidationError("-E takes NAME=VALUE, or 0: \(e)") }
        for c in C where !c.contains("=") { throw ValidationError("-C takes NAME=PATH: \(c)") }
        guard stackSize >= 16384, stackSize <= 16 << 20 else { throw ValidationError("--stack takes 16384 to 16777216 bytes") }
    }

    func run() throws {
        runTool("ax") { () throws(ToolError) -> Int32 in
            let session = try ShellSession(options: daemon)
            if let rawExec { return try Launch(ax: self, session: session).raw(rawExec) }
            return try Launch(ax: self, session: session).run()
        }
    }
}

/// The signal a handler noted and the watcher has not sent yet.
nonisolated(unsafe) var pendingInterrupt: Int32 = 0

final class Interrupts: @unchecked Sendable {
    var cancelled = false
}

/// One run: find, build, exec, serve, wait.
struct Launch {
    let ax: AX
    let session: ShellSession

    var name: String { String(ax.program.split(separator: "/").last ?? Substring(ax.program)) }

    func run() throws(ToolError) -> Int32 {
        let (file, pd0) = try binary()
        let server = AxServer(connection: session.connection, programName: name)
        server.start()
        var pd = pd0
        if ax.unreachableSource {
            // Every segment read from the file names a port nobody serves.
            var g = SystemRandomNumberGenerator()
            let nowhere = Capability(port: AmoebaCore.Port.random(using: &g), private: file.private)
            for i in pd.segments.indices where pd.segments[i].capability == file { pd.segments[i].capability = nowhere }
        }
        pd.owner = server.capability(AxServer.nameStdin)
        let (_, answer) = try exec(pd, server: server, on: try hosts())
        let process = Capability(port: answer.header.port, private: answer.header.private)
        _ = file
        server.process = process
        setComment(process)
        let interrupts = stunOnInterrupt(server)
        guard let end = waitForEnd(server) else {
            FileHandle.standardError.write(Data("ax: \(name): lost: its node no longer answers for it and sent no checkpoint\n".utf8))
            return 2
        }
        interrupts.cancelled = true
        switch end.cause {
        case .normal:
            return end.detail
        case .stunned:
            return 128 + max(0, min(end.detail, 127))
        case .exception:
            let what = ExceptionNumber(rawValue: end.detail)?.name ?? "exception \(end.detail)"
            var line = "ax: \(name): \(what)"
            if let state = end.descriptor?.threads.first?.i386State {
                line += String(format: ", trap %u, eip 0x%08x, fault address 0x%08x", state.trap, state.eip, state.faultAddress)
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
            return 1
        }
    }

    /// The checkpoint, or nil once the node stops answering for the
    /// process (every 5 s ax asks std_info; a crashed node or a process
    /// gone without a checkpoint must not leave ax waiting for ever).
    func waitForEnd(_ server: AxServer) -> AxServer.Ending? {
        var misses = 0
        while true {
            if let end = server.waitForEnd(timeout: 5) { return end }
            guard let process = server.process else { continue }
            let h = Header(capability: process, command: StandardCommand.info)
            let answered = (try? session.connection.trans(h, [], timeout: .seconds(5)))?.header.status == .ok
            misses = answered ? 0 : misses + 1
            if misses >= 2 { return server.waitForEnd(timeout: 2) }
        }
    }

    /// Test hook: PS_EXEC of the hex bytes in PROGRAM to the proc server
    /// `proc` (capability text); prints the status.
    func raw(_ proc: String) throws(ToolError) -> Int32 {
        var bytes: [UInt8] = []
        var chars = Array(ax.program.utf8)
        if chars.count % 2 == 1 { chars.removeLast() }
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { throw .usage("not hex") }
            bytes.append(b)
        }
        let cap: Capability
        do throws(CapabilityTextError) { cap = try Capability(text: proc) } catch { throw .usage("not a capability: \(proc)") }
        var h = Header(capability: cap, command: ProcessCommand.exec.rawValue)
        h.size = UInt16(truncatingIfNeeded: bytes.count)
        do throws(AmunixError) {
            let r = try session.connection.trans(h, bytes, timeout: .seconds(30))
            print(r.header.status.name)
            return r.header.status == .ok ? 0 : 1
        } catch {
            throw .daemon(error)
        }
    }

    /// The program's file and its descriptor (file capability filled in).
    func binary() throws(ToolError) -> (Capability, ProcessDescriptor) {
        let path = ax.program.contains("/") ? ax.program : "/bin/" + ax.program
        let file: Capability
        do throws(ToolError) { file = try session.lookup(try session.path(path)) } catch {
            throw .explained(error.code ?? .notFound, what: "\(path): no such program", hint: nil)
        }
        var wanted = 1024
        while true {
            var h = Header(capability: file, command: 2006)   // BS_READ
            h.size = UInt16(wanted)
            let r: (header: Header, data: [UInt8])
            do throws(ErrorCode) { r = try session.transport.transact(h, []) } catch {
                throw .explained(error, what: "\(path): cannot read", hint: nil)
            }
            guard r.header.status == .ok else { throw .explained(r.header.status, what: "\(path): cannot read", hint: nil) }
            do throws(DescriptorError) {
                return (file, try AmoebaBinary.descriptor(of: r.data, file: file))
            } catch {
                if error == .truncated && r.data.count == wanted && wanted < ProcessDescriptor.maximumSize {
                    wanted = min(wanted * 2, ProcessDescriptor.maximumSize)
                    continue
                }
                throw .usage("\(path): not an Amoeba binary (\(error)); make one with acv")
            }
        }
    }

    /// Where to run: the host -m names, or every host under /hosts that
    /// answers for its proc server (a dead node must not cost the exec's
    /// 60 s), in round-robin order from a random start, as Amoeba's
    /// findhost falls back to when there is no run server.
    func hosts() throws(ToolError) -> [(name: String, proc: Capability)] {
        if let m = ax.m {
            let proc: Capability
            do throws(ToolError) { proc = try session.lookup(try session.path("/hosts/\(m)/proc")) } catch {
                throw .explained(error.code ?? .notFound, what: "host \(m): no proc server at /hosts/\(m)/proc", hint: nil)
            }
            return [(m, proc)]
        }
        let hosts: Capability
        do throws(ToolError) { hosts = try session.lookup(try session.path("/hosts")) } catch {
            throw .explained(.notFound, what: "no /hosts directory", hint: "name a host with -m")
        }
        let rows: [String]
        do throws(ErrorCode) { rows = try session.directories.list(hosts).entries.map(\.name) } catch {
            throw .explained(error, what: "cannot list /hosts", hint: "name a host with -m")
        }
        var found: [(name: String, proc: Capability)] = []
        for row in rows.sorted() where !row.contains(".") {
            // The row is SOAP's; only the look-up of `proc` in it asks the
            // host, with a short timeout so a dead node costs 2 s, not 8.
            guard let host = try? session.lookup(try session.path("/hosts/\(row)")),
                  let answer = try? session.connection.trans(Header(capability: host, command: DirectoryCommand.lookup),
                                                             DirectoryRequest.name("proc"), timeout: .seconds(2)),
                  answer.header.status == .ok,
                  let reply = try? DirectoryReply.lookup(answer.data), reply.rest.isEmpty,
                  let proc = reply.capabilities.current.first
            else { continue }
            found.append((row, proc))
        }
        guard !found.isEmpty else {
            throw .explained(.notFound, what: "no host under /hosts has a proc server that answers", hint: "start a kernel node")
        }
        let start = Int.random(in: 0..<found.count)
        return Array(found[start...] + found[..<start])
    }

    /// PS_EXEC of `pd` on the first of `hosts` that takes it. A busy node
    /// answers STD_NOSPACE (all exec workers or slots in use) or STD_NOMEM:
    /// the next host is tried, and when there is only one, the same again
    /// after a pause, as exec_file does. The stack is laid anew for each
    /// host (its top is the host's). Returns the host and its answer.
    func exec(_ pd0: ProcessDescriptor, server: AxServer, on hosts: [(name: String, proc: Capability)]) throws(ToolError)
        -> (String, (header: Header, data: [UInt8]))
    {
        let attempts = hosts.count > 1 ? max(6, hosts.count) : 8
        var answer: (header: Header, data: [UInt8]) = (Header(), [])
        var hostName = hosts[0].name
        for attempt in 1...attempts {
            let host = hosts[(attempt - 1) % hosts.count]
            hostName = host.name
            var pd = pd0
            let stackFile = try layStack(&pd, server: server, host: host.name, proc: host.proc)
            let body = pd.encoded()
            var h = Header(capability: host.proc, command: ProcessCommand.exec.rawValue)
            h.size = UInt16(truncatingIfNeeded: body.count)
            // The exec reads every segment from the file server: give it time.
            do throws(AmunixError) {
                answer = try session.connection.trans(h, body, timeout: .seconds(60))
            } catch {
                try? session.files.destroy(stackFile)
                throw ToolError.explained(error.code, what: "exec on \(host.name) failed", hint: nil)
            }
            if answer.header.status == .ok { break }
            try? session.files.destroy(stackFile)
            guard answer.header.status == .noSpace || answer.header.status == .noMemory, attempt < attempts else { break }
            if attempt % hosts.count == 0 { usleep(UInt32(100_000 * attempt)) }   // every host was busy
        }
        guard answer.header.status == .ok else {
            // An RPC error in the exec's reply is the node's own reads
            // of the segments failing: the file server did not answer it.
            let code = answer.header.status
            let what = code.rawValue < 0 && code.rawValue > -1000
                ? "exec on \(hostName) failed: the node could not read the program from its file server"
                : "exec on \(hostName) refused"
            throw ToolError.explained(code, what: what, hint: nil)
        }
        return (hostName, answer)
    }

    /// Builds the stack (Amoeba's layout) at the top of the host's user
    /// memory, stores it as a file (or, with --stack-on-node, as a segment
    /// on the host's proc server, as native Amoeba's exec_file does), and
    /// points the stack segment and the first thread's sp at it. Returns
    /// the file or segment (the kernel destroys it once copied; ax does
    /// when the exec fails).
    func layStack(_ pd: inout ProcessDescriptor, server: AxServer, host: String, proc: Capability) throws(ToolError) -> Capability {
        guard let i = pd.segments.firstIndex(where: { $0.capability.port.isNull && $0.type.contains(.system) })
                ?? pd.segments.firstIndex(where: { $0.type.contains(.growDown) })
        else { throw .usage("\(ax.program): its descriptor has no stack segment") }
        var environment = ax.environment
        if !environment.contains(where: { $0.hasPrefix("HOME=") }) { environment.append("HOME=/") }
        if !environment.contains(where: { $0.hasPrefix("SHELL=") }) { environment.append("SHELL=/bin/sh") }
        environment.append("AX_HOST=\(host)")
        let work: Capability = (try? session.lookup(session.work)) ?? session.root
        var caps: [(String, Capability)] = [
            ("ROOT", session.root), ("WORK", work),
            ("STDIN", server.capability(AxServer.nameStdin)), ("STDOUT", server.capability(AxServer.nameStdout)),
            ("STDERR", server.capability(AxServer.nameStderr)),
        ]
        if let tty = server.ttyCapability { caps.append(("TTY", tty)) }
        for c in ax.C {
            let parts = c.split(separator: "=", maxSplits: 1).map(String.init)
            let cap: Capability
            do throws(ToolError) { cap = try session.lookup(try session.path(parts[1])) } catch {
                throw .explained(error.code ?? .notFound, what: "-C \(c): cannot look up \(parts[1])", hint: nil)
            }
            caps.removeAll { $0.0 == parts[0] }
            caps.append((parts[0], cap))
        }
        let argv = [name] + ax.arguments
        var length = max(Int(pd.segments[i].length), ax.stackSize)
        length = max(length, InitialStack.required(arguments: argv, environment: environment, capabilities: caps) + 13 * 1024)
        length = (length + 0xFFF) & ~0xFFF
        let top = UInt64(ProcessDefaults.lastUserClickPlusOne) << UInt64(ProcessDefaults.pageShift)
        let start = pd.segments[i].address != 0 ? pd.segments[i].address : UInt32(top - UInt64(length))
        let stack: InitialStack
        do throws(InitialStack.BuildError) {
            stack = try InitialStack(start: start, length: length, arguments: argv, environment: environment, capabilities: caps)
        } catch {
            throw .usage("arguments and environment do not fit in a \(length)-byte stack")
        }
        if ax.stackOnNode {
            let segment = try stackSegment(stack.bytes, on: proc, host: host)
            pd.segments[i] = ProcessSegment(capability: segment, offset: 0, address: start, length: UInt32(length), type: .execStack)
            pd.threads[0].sp = stack.stackPointer
            return segment
        }
        let bullet: Capability
        if let text = ProcessInfo.processInfo.environment["AMOEBA_BULLET"], let cap = try? Capability(text: text) {
            bullet = cap
        } else {
            bullet = try session.lookup(try session.path("/profile/cap/bulletsvr/default"))
        }
        let file: Capability
        do throws(ErrorCode) { file = try session.files.create(stack.bytes, on: bullet) } catch {
            throw .explained(error, what: "cannot store the stack on the file server", hint: nil)
        }
        pd.segments[i] = ProcessSegment(capability: file, offset: 0, address: start, length: UInt32(length), type: .execStack)
        pd.threads[0].sp = stack.stackPointer
        return file
    }

    /// PS_SEG_CREATE of a segment of `bytes.count` on the host's proc
    /// server, then PS_SEG_WRITE of the bytes in chunks of 8192 (the
    /// server's request buffer), each advancing by what the reply says
    /// went in. The segment is destroyed again when a write fails.
    func stackSegment(_ bytes: [UInt8], on proc: Capability, host: String) throws(ToolError) -> Capability {
        var h = Header(capability: proc, command: ProcessCommand.segmentCreate.rawValue)
        h.offset = Int32(bytes.count)
        let made: (header: Header, data: [UInt8])
        do throws(AmunixError) { made = try session.connection.trans(h, [], timeout: .seconds(10)) } catch {
            throw .explained(error.code, what: "cannot make the stack segment on \(host)", hint: nil)
        }
        guard made.header.status == .ok else {
            throw .explained(made.header.status, what: "cannot make the stack segment on \(host)", hint: nil)
        }
        let segment = Capability(port: made.header.port, private: made.header.private)
        var done = 0
        while done < bytes.count {
            let n = min(ProcessDefaults.requestBufferSize, bytes.count - done)
            var w = Header(capability: segment, command: ProcessCommand.segmentWrite.rawValue)
            w.offset = Int32(done)
            w.size = UInt16(n)
            let r = try? session.connection.trans(w, Array(bytes[done..<done + n]), timeout: .seconds(10))
            guard let r, r.header.status == .ok, r.header.size > 0 else {
                try? session.files.destroy(segment)
                throw .explained(r?.header.status ?? .rpcFailure, what: "cannot write the stack segment on \(host)", hint: nil)
            }
            done += Int(r.header.size)
        }
        return segment
    }

    /// Ctrl-C and Ctrl-\\ stun the program with SIGINT or SIGQUIT (PS_STUN,
    /// the signal number as the stun code), as Amoeba's ax does without an
    /// interrupt capability; the checkpoint then ends ax with 128+signal.
    /// The handlers only note the signal (and replace an inherited
    /// SIG_IGN, as a background job has); a thread sends the stun.
    func stunOnInterrupt(_ server: AxServer) -> Interrupts {
        let connection = session.connection
        let watcher = Interrupts()
        signal(SIGINT) { pendingInterrupt = $0 }
        signal(SIGQUIT) { pendingInterrupt = $0 }
        Thread {
            while !watcher.cancelled {
                let sig = pendingInterrupt
                if sig != 0, let process = server.process {
                    pendingInterrupt = 0
                    var h = Header(capability: process, command: ProcessCommand.stun.rawValue)
                    h.offset = sig
                    _ = try? connection.trans(h, [], timeout: .seconds(10))
                }
                usleep(20_000)
            }
        }.start()
        return watcher
    }

    /// Amoeba's comment: "USER: program args", cut to 31 characters.
    func setComment(_ process: Capability) {
        let user = ProcessInfo.processInfo.environment["LOGNAME"] ?? ProcessInfo.processInfo.environment["USER"] ?? "?"
        let text = Array(([user + ":", name] + ax.arguments).joined(separator: " ").utf8.prefix(ProcessDefaults.commentLength))
        var h = Header(capability: process, command: ProcessCommand.setComment.rawValue)
        h.size = UInt16(text.count)
        _ = try? session.connection.trans(h, text, timeout: .seconds(5))
    }
}
