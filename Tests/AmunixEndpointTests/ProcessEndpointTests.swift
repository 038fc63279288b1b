// A program's own FLIP endpoint, driven as programs drive it: endpoints
// joined by Ethernet-in-UDP on loopback (no root), and where root, the
// tests of calls and waits again with each endpoint a station of its own
// on the loopback interface (pcap:lo: a packet socket, where the driver
// sleeps in a blocking receive that a signal cuts short), calling each other and
// an amunixd host; several threads on one endpoint; an ended call's ACK
// leaving without another call; and the failures a program must see
// cleanly (no server, a null port, a closed endpoint, a bad link).

import AmoebaCore
@testable import AmunixDaemon
@testable import AmunixEndpoint
import DaemonTestSupport
import RPC
import Foundation
import Logging
import Testing

/// Two UDP ports on loopback for a point-to-point wire, free a moment ago
/// (the kernel's choice: ports made from the process id overlapped other
/// suites' in a parallel run).
func wirePorts(_ name: String) -> (Int, Int) { FreeUDPPorts.pair() }

/// The links endpoints are tested over: pcap too where raw sockets may
/// be opened.
let linkKinds = geteuid() == 0 ? ["udp", "pcap"] : ["udp"]

func endpointPair(_ name: String, over kind: String = "udp") throws -> (ProcessEndpoint, ProcessEndpoint) {
    if kind == "pcap" {
        return (try ProcessEndpoint(link: LinkSpec(parsing: "pcap:lo")), try ProcessEndpoint(link: LinkSpec(parsing: "pcap:lo")))
    }
    let (p, q) = wirePorts(name)
    let a = try ProcessEndpoint(link: LinkSpec(parsing: "udp:\(p):127.0.0.1:\(q)"))
    let b = try ProcessEndpoint(link: LinkSpec(parsing: "udp:\(q):127.0.0.1:\(p)"))
    return (a, b)
}

/// Serves echo on a fresh port with `threads` threads until the endpoint
/// closes; returns the put-port capability and a counter of requests.
func serveEcho(on e: ProcessEndpoint, threads: Int = 1) -> (Capability, Served) {
    var g = SystemRandomNumberGenerator()
    let getPort = AmoebaCore.Port.random(using: &g)
    let served = Served()
    for _ in 0..<threads {
        Thread {
            while let req = try? e.getreq(getPort) {
                served.add()
                var h = Header()
                h.offset = req.header.offset
                e.putrep(req, h, req.data)
            }
            served.ended()
        }.start()
    }
    let cap = Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
    return (cap, served)
}

/// Makes `each` echo calls from each of `threads` threads on `a`, each
/// call's offset and data its own; returns how many failed or came back
/// with another call's answer (every thread given 60 s in all).
func echoCalls(on a: ProcessEndpoint, to cap: Capability, threads: Int, each: Int) -> Int {
    let wrong = Served()
    let group = DispatchGroup()
    for t in 0..<threads {
        group.enter()
        Thread {
            defer { group.leave() }
            for i in 0..<each {
                var h = Header(capability: cap, command: 7)
                h.offset = Int32(t * 1000 + i)
                let data = [UInt8(t), UInt8(i & 0xFF)]
                guard let r = try? a.trans(h, data, timeout: .seconds(10)),
                      r.header.offset == h.offset, r.data == data else {
                    wrong.add()
                    continue
                }
            }
        }.start()
    }
    guard group.wait(timeout: .now() + 60) == .success else { return threads * each }
    return wrong.count
}

final class Served: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    private var gone = 0
    func add() { lock.withLock { n += 1 } }
    func ended() { lock.withLock { gone += 1 } }
    var count: Int { lock.withLock { n } }
    var threadsEnded: Int { lock.withLock { gone } }
}

@Suite(.serialized) struct ProcessEndpointTests {
    @Test(arguments: linkKinds) func echoBetweenTwoEndpoints(over kind: String) throws {
        let (a, b) = try endpointPair("echo", over: kind)
        defer { a.close(); b.close() }
        let (cap, served) = serveEcho(on: b)
        for i in 0..<300 {
            var h = Header(capability: cap, command: 7)
            h.offset = Int32(i)
            let data = (0..<(i * 97 % 5000)).map { UInt8(truncatingIfNeeded: $0 &+ i) }
            let r = try a.trans(h, data, timeout: .seconds(10))
            #expect(r.header.offset == Int32(i))
            #expect(r.data == data)
        }
        #expect(served.count == 300)
        #expect(a.statistics.client.transactionsSucceeded == 300)
    }

    /// The driver's deadline is a timer it arms only when the node's next
    /// deadline moves earlier than the one armed (LinkWait): in a stream
    /// of calls each one's retransmission timer lies past the armed one,
    /// so the calls arm it a few times in all, not once per wait.
    @Test(arguments: linkKinds) func aStreamOfCallsArmsTheDriversTimerRarely(over kind: String) throws {
        let (a, b) = try endpointPair("armed", over: kind)
        defer { a.close(); b.close() }
        let (cap, _) = serveEcho(on: b)
        let calls = 400
        for i in 0..<calls {
            var h = Header(capability: cap, command: 7)
            h.offset = Int32(i)
            let r = try a.trans(h, [], timeout: .seconds(10))
            #expect(r.header.offset == Int32(i))
        }
        let armedByClient = a.sharedState { a.sleeper.timesArmed }
        let armedByServer = b.sharedState { b.sleeper.timesArmed }
        #expect(armedByClient < calls / 10, "client armed its timer \(armedByClient) times in \(calls) calls")
        #expect(armedByServer < calls / 10, "server armed its timer \(armedByServer) times in \(calls) calls")
    }

    @Test(arguments: linkKinds) func severalThreadsOnOneEndpoint(over kind: String) throws {
        let (a, b) = try endpointPair("threads", over: kind)
        defer { a.close(); b.close() }
        let (cap, served) = serveEcho(on: b, threads: 3)
        #expect(echoCalls(on: a, to: cap, threads: 4, each: 150) == 0)
        #expect(served.count == 600)
    }

    /// Threads waiting on one endpoint are woken for their own outcome or
    /// to take the driver's seat, not for every outcome: with one shared
    /// condition each reply woke every waiting thread, ~3 idle wakeups per
    /// transaction with four callers (about 11,000 per 50 MB put).
    @Test(arguments: linkKinds) func aWaitingThreadWakesOnlyForItsOwnOutcome(over kind: String) throws {
        let (a, b) = try endpointPair("wakes", over: kind)
        defer { a.close(); b.close() }
        let (cap, served) = serveEcho(on: b, threads: 4)
        #expect(echoCalls(on: a, to: cap, threads: 4, each: 200) == 0)
        #expect(served.count == 800)
        let (clientIdle, serverIdle) = (a.sharedState { a.idleWakeups }, b.sharedState { b.idleWakeups })
        // None is expected; a few spurious wakeups of the C library's
        // condition variables are allowed for.
        #expect(clientIdle < 8, "client side: \(clientIdle) idle wakeups in 800 transactions")
        #expect(serverIdle < 8, "server side: \(serverIdle) idle wakeups in 800 requests")
    }

    /// A call's last frame (the ACK of its reply) is held for the next
    /// call; with no next call the keeper sends it within milliseconds,
    /// before the server would resend its reply (20 ms at the earliest).
    @Test(arguments: linkKinds) func heldAcknowledgementLeavesWithoutAnotherCall(over kind: String) throws {
        let (a, b) = try endpointPair("held", over: kind)
        defer { a.close(); b.close() }
        let (cap, _) = serveEcho(on: b)
        for quiet in [false, true] {
            // Quiet: after a second without calls, when the keeper sleeps long.
            if quiet { Thread.sleep(forTimeInterval: 1.3) }
            _ = try a.trans(Header(capability: cap, command: 7), [1, 2, 3], timeout: .seconds(10))
            // The server holds its reply until the ACK comes. Waited for
            // rather than slept on, so a loaded machine's late scheduling
            // does not fail the test; the ACK's timeliness shows in the
            // server never having to probe for it (its RECEIVED would be
            // answered by an ACK too, so the reply would end either way).
            let limit = Date().addingTimeInterval(2)
            while b.statistics.repliesInFlight > 0 && Date() < limit { Thread.sleep(forTimeInterval: 0.001) }
            #expect(b.statistics.repliesInFlight == 0, "quiet: \(quiet)")
            #expect(b.statistics.repliesUnacknowledged == 0)
            #expect(b.statistics.server.sent[Int(AmpType.received.rawValue)] == 0, "quiet: \(quiet)")
        }
    }

    /// A server thread between its putrep and its next getreq has no slot
    /// listening. The keeper, waking then, used to take the client's ACK
    /// (which ends the port's last slot) and its next request, which found
    /// no slot and was refused with a NAK: a 50 ms back-off for the client.
    /// Here the gap is 2 ms, long enough for the keeper's 5 ms naps to land
    /// in it often: no request may be refused.
    @Test(arguments: linkKinds) func aServerBetweenPutrepAndGetreqRefusesNothing(over kind: String) throws {
        let (a, b) = try endpointPair("gap", over: kind)
        defer { a.close(); b.close() }
        var g = SystemRandomNumberGenerator()
        let getPort = AmoebaCore.Port.random(using: &g)
        Thread {
            while let req = try? b.getreq(getPort) {
                b.putrep(req, Header(), req.data)
                Thread.sleep(forTimeInterval: 0.002)
            }
        }.start()
        let cap = Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        for i in 0..<60 {
            let r = try a.trans(Header(capability: cap, command: 7), [UInt8(i)], timeout: .seconds(10))
            #expect(r.data == [UInt8(i)])
        }
        #expect(b.statistics.server.sent[Int(AmpType.nak.rawValue)] == 0)
        #expect(a.statistics.client.retransmissions == 0)
    }

    @Test func anEndpointCallsAnAmunixHost() throws {
        let (p, q) = wirePorts("host")
        let dir = NSTemporaryDirectory() + "amunix-endpoint-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var c = DaemonConfiguration(links: [try LinkSpec(parsing: "udp:\(p):127.0.0.1:\(q)")],
                                    socketPath: dir + "/amunixd.sock", stateDirectory: dir, hostName: "h")
        c.seed = 3
        let running = try RunningDaemon(c)
        let daemon = running.daemon
        defer {
            #expect(running.stop())
            try? FileManager.default.removeItem(atPath: dir)
        }
        let e = try ProcessEndpoint(link: LinkSpec(parsing: "udp:\(q):127.0.0.1:\(p)"))
        defer { e.close() }
        let sys = daemon.hostServers.object(.sys).capability
        let r = try e.trans(Header(capability: sys, command: StandardCommand.info), [], timeout: .seconds(10))
        #expect(r.header.status == .ok)
        #expect(String(decoding: r.data, as: UTF8.self) == "system server")
        let tod = daemon.hostServers.object(.tod).capability
        let t = try e.trans(Header(capability: tod, command: HostCommand.getTime), [], timeout: .seconds(10))
        #expect(t.header.offset > 1_600_000_000)
    }

    @Test func noServerEndsInBoundedTime() throws {
        let (a, b) = try endpointPair("none")
        defer { a.close(); b.close() }
        var g = SystemRandomNumberGenerator()
        let cap = Capability(port: AmoebaCore.Port.random(using: &g).putPort,
                             private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        let start = Date()
        #expect(throws: ErrorCode.self) {
            _ = try a.trans(Header(capability: cap, command: 1), [], timeout: .milliseconds(400))
        }
        #expect(Date().timeIntervalSince(start) < 3)
    }

    /// A call that starts while another drives, with an earlier deadline,
    /// ends at its own deadline: the driver's turn that learns of it runs
    /// the node's timers even though its own poll was not yet due.
    @Test(arguments: linkKinds) func aSecondCallersEarlierDeadlineIsKept(over kind: String) throws {
        let (a, b) = try endpointPair("deadline", over: kind)
        defer { a.close(); b.close() }
        var g = SystemRandomNumberGenerator()
        let cap = Capability(port: AmoebaCore.Port.random(using: &g).putPort,
                             private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        let firstEnded = DispatchSemaphore(value: 0)
        Thread {
            _ = try? a.trans(Header(capability: cap, command: 1), [], timeout: .seconds(8))
            firstEnded.signal()
        }.start()
        Thread.sleep(forTimeInterval: 0.1)
        let start = Date()
        #expect(throws: ErrorCode.self) {
            _ = try a.trans(Header(capability: cap, command: 2), [], timeout: .milliseconds(300))
        }
        let took = Date().timeIntervalSince(start)
        #expect(took >= 0.29 && took < 1.5, "took \(took) s")
        // The first call is still waiting for its own deadline.
        #expect(firstEnded.wait(timeout: .now()) == .timedOut)
        a.close()
        #expect(firstEnded.wait(timeout: .now() + 5) == .success)
    }

    @Test func nullPortAndClosedEndpointAreRefused() throws {
        let (a, b) = try endpointPair("refuse")
        defer { b.close() }
        #expect(throws: ErrorCode.rpcBadPort) { _ = try a.getreq(AmoebaCore.Port(bytes: [UInt8](repeating: 0, count: 6))!) }
        // A thread waiting in getreq when the endpoint closes is let go.
        let (_, served) = serveEcho(on: a)
        Thread.sleep(forTimeInterval: 0.1)
        a.close()
        for _ in 0..<100 where served.threadsEnded == 0 { Thread.sleep(forTimeInterval: 0.05) }
        #expect(served.threadsEnded == 1)
        #expect(throws: ErrorCode.rpcAborted) { _ = try a.trans(Header(), [], timeout: .seconds(1)) }
        a.close()
    }

    @Test func networkAccessSaysWhatIsWrong() throws {
        #expect {
            _ = try NetworkAccess.open(link: "ether:eth0", socket: nil)
        } throws: { e in
            guard case NetworkAccessError.badLink(let why)? = e as? NetworkAccessError else { return false }
            return why.contains("unknown link type ether")
        }
        #expect {
            _ = try NetworkAccess.open(link: nil, socket: "/nonexistent/amunixd.sock")
        } throws: { e in
            guard case NetworkAccessError.noDaemon? = e as? NetworkAccessError else { return false }
            return "\(e)".contains("cannot reach amunixd")
        }
        // Through the access, an endpoint's calls work as the endpoint's do.
        let (p, q) = wirePorts("access")
        let a = try NetworkAccess.open(link: "udp:\(p):127.0.0.1:\(q)", socket: nil)
        let b = try NetworkAccess.open(link: "udp:\(q):127.0.0.1:\(p)", socket: nil)
        defer { a.close(); b.close() }
        var g = SystemRandomNumberGenerator()
        let getPort = AmoebaCore.Port.random(using: &g)
        Thread {
            while let r = try? b.getreq(getPort) { try? b.putrep(r, Header(), r.data.reversed()) }
        }.start()
        let cap = Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        let r = try a.trans(Header(capability: cap, command: 1), [1, 2, 3], timeout: .seconds(10))
        #expect(r.data == [3, 2, 1])
    }

    @Test func aBadLinkIsAClearError() throws {
        #expect {
            _ = try ProcessEndpoint(link: LinkSpec(parsing: "pcap:no-such-interface0"))
        } throws: { e in
            "\(e)".contains("no such interface no-such-interface0")
        }
    }
}
