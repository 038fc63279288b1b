// Issue 13, item 3: a server thread that answers and asks again keeps
// reading its connection's socket, so a stream of requests to a server
// with several threads costs no thread hand-off per request; yet requests
// that arrive while that thread is busy still reach the idle threads, so
// slow requests are served in parallel, not one after another. Part of
// DaemonTests, whose daemon pairs share a few UDP ports per process and so
// must not run beside these.

import AmoebaCore
@testable import Amunix
import Foundation
import Testing

extension DaemonTests {
    /// How many requests are being served at once, and the most so far.
    final class ServingGauge: @unchecked Sendable {
        private let lock = NSLock()
        private var now = 0, highest = 0
        func enter() { lock.lock(); now += 1; highest = max(highest, now); lock.unlock() }
        func leave() { lock.lock(); now -= 1; lock.unlock() }
        func reset() { lock.lock(); highest = now; lock.unlock() }
        var most: Int { lock.lock(); defer { lock.unlock() }; return highest }
    }

    /// Starts `threads` server threads on `port` that echo the offset, a
    /// request with command 1 taking `work` seconds.
    func serveOnThreads(_ conn: AmunixConnection, _ port: AmoebaCore.Port, threads: Int,
                        work: Double = 0, gauge: ServingGauge = ServingGauge()) {
        for _ in 0..<threads {
            Thread {
                while let req = try? conn.getreq(port) {
                    gauge.enter()
                    if req.header.command == 1 { Thread.sleep(forTimeInterval: work) }
                    gauge.leave()
                    var h = Header()
                    h.offset = req.header.offset
                    try? conn.putrep(req, h)
                }
            }.start()
        }
    }

    /// One caller, one transaction after another, to four server threads:
    /// the thread that read a request reads the next one too. Before, every
    /// request woke another thread to read the socket meanwhile (one
    /// hand-off per transaction).
    @Test func aStreamOfRequestsIsReadByTheThreadThatServes() throws {
        let pair = try DaemonPair("stream")
        defer { #expect(pair.stop()) }
        let server = try pair.connect("b")
        var g = SystemRandomNumberGenerator()
        let port = AmoebaCore.Port.random(using: &g)
        serveOnThreads(server, port, threads: 4)
        let client = try pair.connect("a")
        // Until all four getreqs are with the daemon the count may move.
        Thread.sleep(forTimeInterval: 0.2)
        let before = server.readerHandOffs
        let n = 300
        for i in 0..<n {
            var h = Header(port: port.putPort)
            h.offset = Int32(i)
            let r = try client.trans(h, [], timeout: .seconds(20))
            #expect(r.header.offset == Int32(i))
        }
        let handOffs = server.readerHandOffs - before
        // A thread descheduled past the watcher's millisecond on a busy
        // machine costs a couple; one per transaction is the old way.
        #expect(handOffs < n / 5, "\(handOffs) reader hand-offs in \(n) transactions")
        client.close()
        server.close()
    }

    /// Four slow requests at once, and four arriving one by one while the
    /// earlier ones are still being served: each round is served by four
    /// threads in parallel.
    @Test func slowRequestsAreServedInParallel() throws {
        let pair = try DaemonPair("parallel")
        defer { #expect(pair.stop()) }
        let server = try pair.connect("b")
        var g = SystemRandomNumberGenerator()
        let port = AmoebaCore.Port.random(using: &g)
        let gauge = ServingGauge()
        serveOnThreads(server, port, threads: 4, work: 0.4, gauge: gauge)
        let client = try pair.connect("a")
        Thread.sleep(forTimeInterval: 0.2)
        for stagger in [0.0, 0.05] {
            // A quick request first: its thread leaves the socket unattended
            // on its way to the server code, as in a stream.
            _ = try client.trans(Header(port: port.putPort), [], timeout: .seconds(20))
            gauge.reset()
            let group = DispatchGroup()
            let failed = Counter()
            let start = Date()
            for t in 0..<4 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    Thread.sleep(forTimeInterval: stagger * Double(t))
                    if (try? client.trans(Header(port: port.putPort, command: 1), [], timeout: .seconds(20))) == nil { failed.add() }
                }.start()
            }
            #expect(group.wait(timeout: .now() + 30) == .success)
            #expect(failed.value == 0)
            #expect(gauge.most == 4, "stagger \(stagger): at most \(gauge.most) requests served at once")
            // One after another would take 1.6 s.
            #expect(Date().timeIntervalSince(start) < 1.3)
        }
        client.close()
        server.close()
    }
}
