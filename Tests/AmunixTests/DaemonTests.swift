// Two daemons in this test process, joined by Ethernet-in-UDP on loopback,
// driven through the client library as real programs would: trans to the
// other host's servers, several server threads on one port serving many
// concurrent callers, a server program that vanishes mid-request, timeouts,
// and the graceful stop.

import AmoebaCore
@testable import Amunix
@testable import AmunixDaemon
import DaemonTestSupport
import Foundation
import Logging
import Testing

final class DaemonPair: @unchecked Sendable {
    let dir: String
    let a: Daemon
    let b: Daemon
    private let done = DispatchGroup()

    init(_ name: String, tweak: (inout DaemonConfiguration) -> Void = { _ in }) throws {
        dir = NSTemporaryDirectory() + "amunix-test-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
        let (base, peerPort) = FreeUDPPorts.pair()
        var ca = DaemonConfiguration(links: [try LinkSpec(parsing: "udp:\(base):127.0.0.1:\(peerPort)")],
                                     socketPath: dir + "/a/amunixd.sock", stateDirectory: dir + "/a", hostName: "a")
        var cb = DaemonConfiguration(links: [try LinkSpec(parsing: "udp:\(peerPort):127.0.0.1:\(base)")],
                                     socketPath: dir + "/b/amunixd.sock", stateDirectory: dir + "/b", hostName: "b")
        ca.seed = 1
        cb.seed = 2
        tweak(&ca)
        tweak(&cb)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        a = try Daemon(configuration: ca, logger: logger)
        b = try Daemon(configuration: cb, logger: logger)
        for d in [a, b] {
            done.enter()
            Thread { [done] in
                d.run()
                done.leave()
            }.start()
        }
    }

    func connect(_ host: String) throws -> AmunixConnection {
        try AmunixConnection(path: dir + "/\(host)/amunixd.sock")
    }

    /// Stops both; true when both loops ended in time.
    func stop() -> Bool {
        a.requestStop()
        b.requestStop()
        let ok = done.wait(timeout: .now() + 15) == .success
        try? FileManager.default.removeItem(atPath: dir)
        return ok
    }
}

@Suite(.serialized) struct DaemonTests {
    @Test func stdInfoOfTheOtherHost() throws {
        let pair = try DaemonPair("info")
        defer { #expect(pair.stop()) }
        let conn = try pair.connect("a")
        let sys = pair.b.hostServers.object(.sys).capability
        let r = try conn.trans(Header(capability: sys, command: StandardCommand.info), [], timeout: .seconds(10))
        #expect(r.header.status == .ok)
        #expect(String(decoding: r.data, as: UTF8.self) == "system server")
        // Amoeba's std_info does not name the host; the status does.
        let status = try conn.trans(Header(capability: sys, command: StandardCommand.status), [], timeout: .seconds(10))
        #expect(String(decoding: status.data, as: UTF8.self).hasPrefix("host b\n"))
        // And the capability file the tools read says the same.
        let text = try String(contentsOfFile: pair.dir + "/b/sys.cap", encoding: .utf8)
        #expect(text == sys.text + "\n")
        // A server on the same host is reached as well.
        let local = pair.a.hostServers.object(.tod).capability
        let t = try conn.trans(Header(capability: local, command: HostCommand.getTime), [], timeout: .seconds(10))
        #expect(t.header.offset > 1_600_000_000)
        conn.close()
    }

    @Test func manyCallersSeveralServerThreads() throws {
        let pair = try DaemonPair("many")
        defer { #expect(pair.stop()) }
        let server = try pair.connect("b")
        var g = SystemRandomNumberGenerator()
        let getPort = AmoebaCore.Port.random(using: &g)
        let served = Counter()
        for _ in 0..<3 {
            Thread {
                while let req = try? server.getreq(getPort) {
                    served.add()
                    var h = Header()
                    h.offset = req.header.offset &* 2
                    try? server.putrep(req, h, req.data.reversed())
                }
            }.start()
        }
        let client = try pair.connect("a")
        let wrong = Counter()
        let group = DispatchGroup()
        for t in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                for i in 0..<25 {
                    var h = Header(port: getPort.putPort)
                    h.offset = Int32(t * 1000 + i)
                    let data = (0..<(i * 40)).map { UInt8(truncatingIfNeeded: $0 &+ t) }
                    guard let r = try? client.trans(h, data, timeout: .seconds(20)),
                          r.header.offset == h.offset * 2, r.data == data.reversed() else {
                        wrong.add()
                        continue
                    }
                }
            }.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(wrong.value == 0)
        #expect(served.value == 200)
        client.close()
        server.close()
    }

    /// Server threads of one program on two ports: the thread that reads a
    /// request may serve it in place of the thread it was addressed to, but
    /// only if it waits on the same port; every reply still reaches its
    /// caller, and taking over did happen.
    @Test func readingThreadServesRequestsForItsOwnPortOnly() throws {
        let pair = try DaemonPair("takeover")
        defer { #expect(pair.stop()) }
        let server = try pair.connect("b")
        var g = SystemRandomNumberGenerator()
        let ports = [AmoebaCore.Port.random(using: &g), AmoebaCore.Port.random(using: &g)]
        let misrouted = Counter()
        for p in 0..<2 {
            for _ in 0..<3 {
                Thread {
                    while let req = try? server.getreq(ports[p]) {
                        if req.header.port != ports[p].putPort { misrouted.add() }
                        var h = Header()
                        h.offset = req.header.offset &+ Int32(p) * 1_000_000
                        try? server.putrep(req, h, req.data)
                    }
                }.start()
            }
        }
        let client = try pair.connect("a")
        let wrong = Counter()
        let group = DispatchGroup()
        for t in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                for i in 0..<60 {
                    let p = (i + t) % 2
                    var h = Header(port: ports[p].putPort)
                    h.offset = Int32(t * 1000 + i)
                    let data = [UInt8(t), UInt8(i)]
                    guard let r = try? client.trans(h, data, timeout: .seconds(20)),
                          r.header.offset == h.offset + Int32(p) * 1_000_000, r.data == data else {
                        wrong.add()
                        continue
                    }
                }
            }.start()
        }
        #expect(group.wait(timeout: .now() + 60) == .success)
        #expect(wrong.value == 0)
        #expect(misrouted.value == 0)
        #expect(server.requestsTakenOver > 0)
        client.close()
        server.close()
    }

    @Test func serverThatVanishesAnswersWithAnError() throws {
        let pair = try DaemonPair("vanish")
        defer { #expect(pair.stop()) }
        let server = try pair.connect("b")
        var g = SystemRandomNumberGenerator()
        let getPort = AmoebaCore.Port.random(using: &g)
        let arrived = DispatchSemaphore(value: 0)
        Thread {
            if (try? server.getreq(getPort)) != nil {
                arrived.signal()
                // ... and never answers: the program goes away instead.
                server.close()
            }
        }.start()
        let client = try pair.connect("a")
        let start = Date()
        let r = try client.trans(Header(port: getPort.putPort), [], timeout: .seconds(20))
        #expect(arrived.wait(timeout: .now() + 1) == .success)
        #expect(r.header.status == .rpcFailure)
        #expect(Date().timeIntervalSince(start) < 10)
        client.close()
    }

    @Test func timeoutEndsAWaitForANonexistentPort() throws {
        let pair = try DaemonPair("timeout")
        defer { #expect(pair.stop()) }
        let client = try pair.connect("a")
        var g = SystemRandomNumberGenerator()
        let nobody = AmoebaCore.Port.random(using: &g)
        let start = Date()
        #expect(throws: AmunixError.rpc(.rpcFailure)) {
            try client.trans(Header(port: nobody), [], timeout: .milliseconds(300))
        }
        let took = Date().timeIntervalSince(start)
        #expect(took >= 0.25 && took < 3)
        // The connection is still good afterwards.
        let sys = pair.b.hostServers.object(.sys).capability
        #expect(try client.trans(Header(capability: sys, command: StandardCommand.info), [], timeout: .seconds(10)).header.status == .ok)
        client.close()
    }

    /// Issue 10, item 8: one program with more transactions in flight than
    /// its share (a quarter of the state table) has the excess fail at
    /// once; another program's calls still go through.
    @Test func oneProgramCannotTakeEveryState() throws {
        let pair = try DaemonPair("share") { $0.rpc.maxStates = 96 }
        defer { #expect(pair.stop()) }
        let greedy = try pair.connect("a")
        let other = try pair.connect("a")
        var g = SystemRandomNumberGenerator()
        let nobody = AmoebaCore.Port.random(using: &g)
        let group = DispatchGroup()
        let refused = Locked(0)
        for _ in 0..<40 {
            group.enter()
            Thread {
                do { _ = try greedy.trans(Header(port: nobody), [], timeout: .seconds(2)) } catch {
                    if (error as? AmunixError) == .rpc(.noSpace) { refused.add(1) }
                }
                group.leave()
            }.start()
        }
        Thread.sleep(forTimeInterval: 0.3)
        let sys = pair.b.hostServers.object(.sys).capability
        #expect(try other.trans(Header(capability: sys, command: StandardCommand.info), [], timeout: .seconds(10)).header.status == .ok)
        #expect(group.wait(timeout: .now() + 30) == .success)
        #expect(refused.value >= 40 - 96 / 4, "calls past the program's share should be refused")
        greedy.close()
        other.close()
    }

    /// A program cannot grow the daemon's group tables without bound: at
    /// most 16 members of its own, and 64 grp_receive calls waiting on one.
    @Test func aProgramsGroupsAreBounded() throws {
        let pair = try DaemonPair("groups")
        defer { #expect(pair.stop()) }
        let greedy = try pair.connect("a")
        let other = try pair.connect("a")
        var g = SystemRandomNumberGenerator()
        var made: [GroupID] = []
        var refusal: AmunixError? = nil
        for _ in 0..<20 {
            do { made.append(try greedy.grpCreate(port: AmoebaCore.Port.random(using: &g))) } catch {
                refusal = error
                break
            }
        }
        #expect(made.count == HostedGroups.perProgram)
        #expect(refusal == .rpc(.noSpace))
        #expect((try? other.grpCreate(port: AmoebaCore.Port.random(using: &g))) != nil, "another program still may")

        let waiting = DispatchGroup()
        let refused = Locked(0)
        let first = made[0]
        for _ in 0..<(HostedGroups.waitingCalls + 6) {
            waiting.enter()
            Thread {
                do { _ = try greedy.grpReceive(first) } catch {
                    if (error as? AmunixError) == .rpc(.noSpace) { refused.add(1) }
                }
                waiting.leave()
            }.start()
        }
        Thread.sleep(forTimeInterval: 1)
        #expect(refused.value == 6)
        greedy.close()   // the waiting calls end with the connection
        #expect(waiting.wait(timeout: .now() + 10) == .success)
        other.close()
    }

    @Test func garbageOnTheSocketDisconnectsOnlyThatProgram() throws {
        let pair = try DaemonPair("garbage")
        defer { #expect(pair.stop()) }
        let good = try pair.connect("a")
        // A raw connection sending nonsense.
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = Array((pair.dir + "/a/amunixd.sock").utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.enumerated() { raw[i] = b }
        }
        let c = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(c == 0)
        let junk: [UInt8] = [5, 0, 0, 0, 0x77, 1, 2, 3, 4]
        _ = junk.withUnsafeBytes { send(s, $0.baseAddress, $0.count, 0) }
        var b = [UInt8](repeating: 0, count: 16)
        #expect(recv(s, &b, 16, 0) == 0)  // the daemon hung up on it
        close(s)
        let sys = pair.b.hostServers.object(.sys).capability
        #expect(try good.trans(Header(capability: sys, command: StandardCommand.info), [], timeout: .seconds(10)).header.status == .ok)
        good.close()
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
