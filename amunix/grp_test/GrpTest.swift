// grp_test: a program that uses group communication through amunixd, for
// the multi-host test (scripts/group-multihost.sh) and for trying groups
// by hand. Every member waits until the group has --members members,
// sends --count messages, and prints every message it receives in the
// group's total order, one line each: "SEQ KIND SENDER TEXT". Then each
// says "done" and waits for everyone's; the members leave, and the
// sequencer (which may leave only last) waits for their leaves. On
// BC_ABORT (a member failed) it calls grp_reset and goes on.

import AmoebaCore
import Amunix
import ArgumentParser
import Foundation

@main
struct GrpTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grp_test", abstract: "Send and receive ordered messages in an Amoeba group through amunixd.")

    @Argument(help: "create (this member is the sequencer) or join")
    var role: String
    @Option(help: "The group's port, 12 hex digits.")
    var port: String
    @Option(help: "Members to wait for before sending.")
    var members = 3
    @Option(help: "Messages this member sends.")
    var count = 100
    @Option(help: "This member's name, in its messages.")
    var name = "m"
    @Option(help: "Resilience degree (create only).")
    var resilience: UInt16 = 0
    @Option(help: "Bytes of padding after each message's text (large ones go by method BB).")
    var pad = 0
    @Option(help: "Count only these senders' messages (comma-separated names; default: every member's).")
    var from: String?
    @Option(help: "The amunixd socket (default: AMUNIX_SOCKET or /run/amunix/amunixd.sock).")
    var socket: String?
    @Flag(help: "For benches: print no message lines, and on standard error one line of this member's send figures (grp_send latency p50/p99, sends per second).")
    var figures = false

    func run() throws {
        guard let p = Port(hex: port) else { throw ValidationError("--port: 12 hex digits") }
        guard role == "create" || role == "join" else { throw ValidationError("say create or join") }
        let conn = try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment)
        let gid = role == "create"
            ? try conn.grpCreate(port: p, GroupParameters(resilience: resilience))
            : try conn.grpJoin(Header(port: p))
        let me = try conn.grpInfo(gid).me
        // Wait for the whole group, so that everyone sees every message.
        while try conn.grpInfo(gid).members.count < members { usleep(20_000) }

        let senders = from.map { $0.split(separator: ",").map(String.init) }
        let receiver = Receiver(conn: conn, gid: gid, me: me, count: count, members: members, senders: senders)
        receiver.quiet = figures
        let thread = Thread { receiver.run() }
        thread.start()
        let padding = [UInt8](repeating: 0x2e, count: pad)
        var latencies = [Double]()
        let start = Date()
        for i in 0..<count {
            let t0 = Date()
            try send(conn, gid, Array("\(name) \(i)".utf8) + padding)
            latencies.append(Date().timeIntervalSince(t0) * 1000)
        }
        if figures {
            let seconds = Date().timeIntervalSince(start)
            latencies.sort()
            let p = { (q: Double) in latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
            FileHandle.standardError.write(Data(String(
                format: "figures %@ sends %d bytes %d p50 %.2f ms p99 %.2f ms rate %.0f/s\n",
                name, count, name.utf8.count + 6 + pad, p(0.5), p(0.99), seconds > 0 ? Double(count) / seconds : 0).utf8))
        }
        receiver.allReceived.wait()
        try send(conn, gid, Array("done \(name)".utf8))
        receiver.allDone.wait()
        // The sequencer (the creator, or a reset's coordinator) may leave
        // only last: it waits for the others' leaves instead.
        let info = try conn.grpInfo(gid)
        if info.me != info.sequencer { try conn.grpLeave(gid, Header(command: 2)) }
        receiver.finished.wait()
        if let e = receiver.failure { throw e }
    }

    /// grp_send, going on through a reset.
    func send(_ conn: AmunixConnection, _ gid: GroupID, _ data: [UInt8]) throws {
        while true {
            do {
                try conn.grpSend(gid, Header(command: 1), data)
                return
            } catch AmunixError.rpc(let c) where c.rawValue == -21 {
                usleep(50_000)   // BC_ABORT: a reset is under way
            }
        }
    }
}

/// The receiving thread: prints the order and tells the sender when the
/// stream and the "done" round are complete.
final class Receiver: @unchecked Sendable {
    let conn: AmunixConnection
    let gid: GroupID
    let me: UInt16
    /// Messages to wait for, and "done"s: from every member, or from the
    /// named senders only.
    let expected: Int
    let doneNeeded: Int
    let senders: [String]?
    let allReceived = DispatchSemaphore(value: 0)
    let allDone = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    var failure: Error?
    var quiet = false

    init(conn: AmunixConnection, gid: GroupID, me: UInt16, count: Int, members: Int, senders: [String]?) {
        self.conn = conn
        self.gid = gid
        self.me = me
        self.senders = senders
        expected = count * (senders?.count ?? members)
        doneNeeded = senders?.count ?? members
    }

    func run() {
        defer { finished.signal() }
        var messages = 0, done = 0
        while true {
            let m: GroupMessage
            do {
                m = try conn.grpReceive(gid)
            } catch AmunixError.rpc(let c) where c.rawValue == -21 {
                // BC_ABORT: a member failed; rebuild with whoever is left.
                do {
                    let n = try conn.grpReset(gid, minimum: 1, Header(command: 3))
                    FileHandle.standardError.write(Data("grp_test: group reset, \(n) members\n".utf8))
                } catch {
                    failure = error
                    return
                }
                continue
            } catch {
                failure = error
                return
            }
            let text = String(decoding: m.data.prefix { $0 != 0x2e }, as: UTF8.self)
            if !quiet { FileHandle.standardOutput.write(Data("\(m.sequence) \(m.kind) \(m.sender) \(text)\n".utf8)) }
            switch m.kind {
            case .message:
                let name = String(text.split(separator: " ").last ?? "")
                if text.hasPrefix("done ") {
                    guard senders?.contains(name) ?? true else { break }
                    done += 1
                    if done == doneNeeded { allDone.signal() }
                } else {
                    let sender = String(text.split(separator: " ").first ?? "")
                    guard senders?.contains(sender) ?? true else { break }
                    messages += 1
                    if messages == expected { allReceived.signal() }
                }
            case .leave, .reset:
                if m.kind == .leave && m.sender == me { return }
                // The sequencer ends when the others have all gone.
                if done >= doneNeeded, let info = try? conn.grpInfo(gid), info.members == [me] { return }
            default:
                break
            }
        }
    }
}
