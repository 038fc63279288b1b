// migrate: move a running process from one kernel node to another, as
// Amoeba's process migration does with the proc server's own commands.
// migrate makes itself the process's owner (PS_GETOWNER remembers the
// real owner, ax usually, and PS_SETOWNER names migrate's server), stuns
// it (PS_STUN: every thread stops where it can go on, registers kept),
// and takes the checkpoint the old kernel sends: the descriptor with the
// process's segments, each a capability the old kernel serves BS_READ
// on, and its threads' registers. Holding the checkpoint unanswered,
// migrate hands that descriptor to the new host's PS_EXEC, whose kernel
// reads the memory straight from the old one and starts the threads
// where they stopped; the new process's owner is the old owner, told of
// the move by PS_SWAPPROC. The answer to the checkpoint then lets the old
// process go, its pages freed. Should the new host refuse the exec (a
// STD_* answer: it started nothing), the process is exec'd back on the
// old host from the same checkpoint and goes on there; should anything
// else fail after the stun (or that too), the checkpoint is passed on to
// the old owner, so ax ends as for a stun.

import AmoebaCore
import Amunix
import ArgumentParser
import Foundation
import ProcessDescriptor
import ShellSupport
import StdTools

@main
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move a running process to another kernel node.",
        discussion: """
        Example: migrate /hosts/node0/ps/3 node1   (a row of a host's ps directory, a name under /hosts)
        Prints where the process went. Exit status 0 moved; 1 refused (STD_*), the process left \
        where it was or, after the stun, ended as for a stun; 2 not reached (RPC_*); 3 no amunixd; 64 bad usage.
        """)

    @OptionGroup var daemon: DaemonOptions
    @Option(help: "Seconds to wait for the stunned process's checkpoint.")
    var wait: Double = 30
    // Test hook (scripts/ax-test.sh), not for users: stun, read the
    // checkpoint's segments, try bad reads, then let the process end as stunned.
    @Flag(name: .customLong("probe-segments"), help: .hidden) var probeSegments = false
    // Test hook: HOST is sent a descriptor for another architecture (it refuses).
    @Flag(name: .customLong("exec-refused"), help: .hidden) var execRefused = false
    @Argument(help: "The process: a path to its row in a host's ps directory, e.g. /hosts/node0/ps/3.")
    var process: String
    @Argument(help: "The host to move it to: a name under /hosts.")
    var host: String

    func validate() throws {
        guard wait > 0 else { throw ValidationError("--wait takes a positive number of seconds") }
        guard !host.isEmpty, !host.contains("/") else { throw ValidationError("HOST is a name under /hosts, e.g. node1") }
    }

    func run() throws {
        runTool("migrate") { () throws(ToolError) -> Int32 in
            try Move(migrate: self, session: try ShellSession(options: daemon)).run()
        }
    }
}

/// One move: find, take ownership, stun, exec elsewhere, hand back, let go.
struct Move {
    let migrate: Migrate
    let session: ShellSession

    func run() throws(ToolError) -> Int32 {
        let started = Date()
        let old = try look(up: migrate.process, what: "process")
        let proc = try look(up: "/hosts/\(migrate.host)/proc", what: "host \(migrate.host)'s proc server")

        let ownerReply = try call(old, .getOwner, what: "PS_GETOWNER of \(migrate.process)")
        let owner = Capability(port: ownerReply.header.port, private: ownerReply.header.private)
        var comment: [UInt8] = []
        if let r = try? call(old, .getComment, what: "PS_GETCOMMENT") { comment = Array(r.data.prefix { $0 != 0 }) }

        // The old host's proc server, when PROCESS is a row of its ps, for
        // its free memory before and after (the old process's pages freed).
        var oldProc: Capability? = nil
        if let r = migrate.process.range(of: "/ps/", options: .backwards) {
            oldProc = try? look(up: String(migrate.process[..<r.lowerBound]) + "/proc", what: "proc server")
        }
        let freeBefore = oldProc.flatMap(freeMemory)

        let catcher = CheckpointCatcher(connection: session.connection)
        catcher.start()
        _ = try call(old, .setOwner, body: catcher.capability.bytes, what: "PS_SETOWNER of \(migrate.process)")
        do throws(ToolError) {
            _ = try call(old, .stun, what: "PS_STUN of \(migrate.process)")
        } catch {
            _ = try? call(old, .setOwner, body: owner.bytes, what: "PS_SETOWNER back")
            throw error
        }
        let stunned = Date()
        guard let checkpoint = catcher.wait(timeout: migrate.wait) else {
            throw .explained(.notNow, what: "\(migrate.process) sent no checkpoint within \(Int(migrate.wait)) s of the stun", hint: nil)
        }
        // From here the process is stopped: on any failure it goes to its owner as stunned.
        let giveUp = { (error: ToolError) -> ToolError in
            pass(checkpoint, to: owner)
            catcher.release()
            return error
        }
        guard checkpoint.cause == .stunned else {
            throw giveUp(.explained(.notNow, what: "\(migrate.process) ended (\(checkpoint.cause)) before it could be moved", hint: nil))
        }
        var pd: ProcessDescriptor
        do throws(DescriptorError) { pd = try ProcessDescriptor.decode(checkpoint.body, exact: false) } catch {
            throw giveUp(.explained(.argumentBad, what: "the checkpoint's descriptor does not decode (\(error))", hint: nil))
        }
        if migrate.probeSegments {
            let report = SegmentProbe(connection: session.connection).probe(pd)
            pass(checkpoint, to: owner)
            catcher.release()
            print(report + "; after the answer: " + SegmentProbe(connection: session.connection).status(of: pd.segments[0].capability))
            return 0
        }
        pd.me = .null
        pd.owner = owner
        let body = pd.encoded()
        // The new kernel reads every segment from the old one: give it time.
        let reply: (header: Header, data: [UInt8])
        var refusal: ToolError? = nil
        do throws(ToolError) {
            var sent = body
            if migrate.execRefused { sent.replaceSubrange(0..<8, with: Array("mc68000\0".utf8)) }
            reply = try call(proc, .exec, body: sent, timeout: 60, what: "PS_EXEC on \(migrate.host)")
        } catch {
            // Refused there: the process goes on where it was, exec'd anew on
            // the old host from the same checkpoint (a kernel here cannot
            // continue a stunned process in its own slot).
            guard let oldProc, (error.code?.rawValue ?? 0) <= -1000,
                  let back = try? call(oldProc, .exec, body: body, timeout: 60, what: "PS_EXEC back") else {
                throw giveUp(error)
            }
            refusal = error
            reply = back
        }
        let new = Capability(port: reply.header.port, private: reply.header.private)
        _ = try? call(new, .setOwner, body: owner.bytes, what: "PS_SETOWNER of the new process")
        if !comment.isEmpty { _ = try? call(new, .setComment, body: comment, what: "PS_SETCOMMENT") }
        // The owner watches the new process from now on (ax: its std_info polls and Ctrl-C).
        var swap = Header(capability: owner, command: ProcessCommand.swapProcess.rawValue)
        swap.size = 32
        let swapped = (try? session.connection.trans(swap, old.bytes + new.bytes, timeout: .seconds(10)))?.header.status ?? .rpcFailure
        catcher.release()
        let slot = new.private.object.value & 0xFFFF
        let ms = { (d: Date) in Int(Date().timeIntervalSince(d) * 1000) }
        let stoppedFor = ms(stunned), total = ms(started)
        // The old kernel frees the pages once the checkpoint's answer is in.
        var freed = ""
        if let oldProc, let before = freeBefore {
            for _ in 0..<20 {
                if let after = freeMemory(oldProc), after > before {
                    freed = ", \((after - before) / 1024) KiB freed on the old host"
                    break
                }
                usleep(100_000)
            }
        }
        if let refusal {
            let host = migrate.process[..<(migrate.process.range(of: "/ps/", options: .backwards)?.lowerBound ?? migrate.process.endIndex)]
            FileHandle.standardError.write(Data("migrate: \(refusal); the process goes on where it was, as \(host)/ps/\(slot)\n".utf8))
            return refusal.exitCode
        }
        print("\(migrate.process) -> /hosts/\(migrate.host)/ps/\(slot): \(pd.segments.count) segments, "
              + "\(pd.threads.count) thread\(pd.threads.count == 1 ? "" : "s"), stopped for \(stoppedFor) ms, "
              + "\(total) ms in all" + freed)
        if swapped != .ok {
            FileHandle.standardError.write(Data("migrate: its owner did not take PS_SWAPPROC (\(swapped.name)); it still gets the checkpoint\n".utf8))
        }
        return 0
    }

    /// PS_GETLOAD's free memory in bytes (h_offset), nil when it does not answer.
    private func freeMemory(_ proc: Capability) -> Int? {
        guard let r = try? call(proc, .getLoad, what: "PS_GETLOAD") else { return nil }
        return Int(UInt32(bitPattern: r.header.offset))
    }

    private func look(up path: String, what: String) throws(ToolError) -> Capability {
        do throws(ToolError) { return try session.lookup(try session.path(path)) } catch {
            throw .explained(error.code ?? .notFound, what: "\(path): no such \(what)", hint: nil)
        }
    }

    private func call(_ cap: Capability, _ command: ProcessCommand, body: [UInt8] = [], timeout: Int = 10,
                      what: String) throws(ToolError) -> (header: Header, data: [UInt8]) {
        var h = Header(capability: cap, command: command.rawValue)
        h.size = UInt16(truncatingIfNeeded: body.count)
        let r: (header: Header, data: [UInt8])
        do throws(AmunixError) { r = try session.connection.trans(h, body, timeout: .seconds(timeout)) } catch {
            throw .explained(error.code, what: "\(what) failed", hint: nil)
        }
        guard r.header.status == .ok else { throw .explained(r.header.status, what: "\(what) refused", hint: nil) }
        return r
    }

    /// The checkpoint as the kernel sent it, to the process's real owner.
    private func pass(_ checkpoint: CheckpointCatcher.Checkpoint, to owner: Capability) {
        guard !owner.port.isNull else { return }
        var h = Header(capability: owner, command: ProcessCommand.checkpoint.rawValue)
        h.extra = checkpoint.header.extra
        h.offset = checkpoint.header.offset
        h.size = UInt16(truncatingIfNeeded: checkpoint.body.count)
        _ = try? session.connection.trans(h, checkpoint.body, timeout: .seconds(10))
    }
}
