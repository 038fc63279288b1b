// Several calls in flight from one thread of a program's own endpoint
// (ProcessEndpoint.Pipeline): they overlap at the server, their outcomes
// come back tagged in the order the calls end, one call's failure is its
// own, a closed endpoint lets the pipeline's thread go, a closed pipeline
// leaves nothing behind, and threads calling trans on the same endpoint
// meanwhile still get their own answers.

import AmoebaCore
@testable import AmunixDaemon
@testable import AmunixEndpoint
import Foundation
import Testing

/// A server on `e` whose reply to a request comes `delay(offset)` ms after
/// it arrives, with `threads` threads; echoes offset and data.
private func serveSlowly(on e: ProcessEndpoint, threads: Int, delay: @escaping @Sendable (Int32) -> UInt32) -> Capability {
    var g = SystemRandomNumberGenerator()
    let getPort = AmoebaCore.Port.random(using: &g)
    for _ in 0..<threads {
        Thread {
            while let req = try? e.getreq(getPort) {
                usleep(delay(req.header.offset) * 1000)
                var h = Header()
                h.offset = req.header.offset
                e.putrep(req, h, req.data)
            }
        }.start()
    }
    return Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
}

private func request(_ cap: Capability, _ i: Int) -> (Header, [UInt8]) {
    var h = Header(capability: cap, command: 7)
    h.offset = Int32(i)
    // Each call's bytes its own, made cheaply (debug builds run the tests).
    var d = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: i * 7919 % 30000)
    if d.count >= 4 { withUnsafeBytes(of: UInt32(i).bigEndian) { d.replaceSubrange(0..<4, with: $0) } }
    return (h, d)
}

@Suite(.serialized) struct PipelineTests {
    @Test(arguments: linkKinds) func callsInFlightFromOneThreadGetTheirOwnAnswers(over kind: String) throws {
        let (a, b) = try endpointPair("pipeline", over: kind)
        defer { a.close(); b.close() }
        let (cap, served) = serveEcho(on: b, threads: 4)
        let p = a.pipeline(timeout: .seconds(10))
        var started = 0, ended = 0, wrong = 0
        while ended < 300 {
            while started < 300 && p.inFlight < 4 {
                let (h, d) = request(cap, started)
                try p.start(h, d, tag: started)
                started += 1
            }
            let (tag, result) = try #require(p.next())
            let (h, d) = request(cap, tag)
            if case .success(let r) = result, r.header.offset == h.offset, r.data == d {} else { wrong += 1 }
            ended += 1
        }
        #expect(wrong == 0)
        #expect(p.next().map(\.tag) == nil)
        #expect(served.count == 300)
        #expect(a.sharedState { a.pipelined.isEmpty && a.outcomes.isEmpty })
    }

    /// Four calls to a server that takes 300 ms over each, with four
    /// threads: they overlap there, so all end in about 300 ms, not 1.2 s,
    /// and come back in the order they end (the longest delay last).
    @Test func callsOverlapAndEndInTheirOwnOrder() throws {
        let (a, b) = try endpointPair("order")
        defer { a.close(); b.close() }
        let cap = serveSlowly(on: b, threads: 4) { UInt32(300 + (3 - $0) * 150) }
        let p = a.pipeline(timeout: .seconds(10))
        let start = Date()
        for i in 0..<4 {
            var h = Header(capability: cap, command: 7)
            h.offset = Int32(i)
            try p.start(h, [UInt8(i)], tag: i)
        }
        var order: [Int] = []
        while let (tag, result) = p.next() {
            order.append(tag)
            let r = try result.get()
            #expect(r.data == [UInt8(tag)])
        }
        let took = Date().timeIntervalSince(start)
        #expect(order == [3, 2, 1, 0])
        #expect(took < 1.1, "took \(took) s")
    }

    /// A call to a port nobody serves fails at its timeout; the calls
    /// beside it are answered.
    @Test func oneCallsFailureIsItsOwn() throws {
        let (a, b) = try endpointPair("failure")
        defer { a.close(); b.close() }
        let (cap, _) = serveEcho(on: b, threads: 2)
        var g = SystemRandomNumberGenerator()
        let nobody = Capability(port: AmoebaCore.Port.random(using: &g).putPort,
                                private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        let p = a.pipeline(timeout: .milliseconds(400))
        try p.start(Header(capability: nobody, command: 1), [], tag: 99)
        for i in 0..<3 {
            let (h, d) = request(cap, i)
            try p.start(h, d, tag: i)
        }
        var results: [Int: Bool] = [:]
        while let (tag, result) = p.next() {
            if case .success = result { results[tag] = true } else { results[tag] = false }
        }
        #expect(results == [0: true, 1: true, 2: true, 99: false])
    }

    /// Closing the endpoint ends calls still in flight with RPC_ABORTED,
    /// and a pipeline cannot start another.
    @Test func aClosedEndpointLetsThePipelinesThreadGo() throws {
        let (a, b) = try endpointPair("closed")
        defer { b.close() }
        let cap = serveSlowly(on: b, threads: 2) { _ in 3000 }
        let p = a.pipeline()
        for i in 0..<2 { try p.start(Header(capability: cap, command: 7), [], tag: i) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { a.close() }
        let start = Date()
        var failures: [ErrorCode] = []
        while let (_, result) = p.next() {
            if case .failure(let e) = result { failures.append(e) }
        }
        #expect(failures == [.rpcAborted, .rpcAborted])
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(throws: ErrorCode.rpcAborted) { try p.start(Header(capability: cap, command: 7), [], tag: 5) }
    }

    /// A pipeline closed with calls in flight leaves no outcome or call of
    /// its own behind, and the endpoint goes on serving trans.
    @Test func aClosedPipelineLeavesNothingBehind() throws {
        let (a, b) = try endpointPair("abandon")
        defer { a.close(); b.close() }
        let cap = serveSlowly(on: b, threads: 3) { _ in 50 }
        let p = a.pipeline(timeout: .seconds(5))
        for i in 0..<3 {
            let (h, d) = request(cap, i)
            try p.start(h, d, tag: i)
        }
        p.close()
        #expect(p.inFlight == 0)
        #expect(p.next().map(\.tag) == nil)
        let (h, d) = request(cap, 7)
        let r = try a.trans(h, d, timeout: .seconds(5))
        #expect(r.data == d)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(a.sharedState { a.pipelined.isEmpty && a.outcomes.isEmpty })
    }

    /// A pipeline's thread and threads calling trans share the driver's
    /// seat: every one gets its own answers.
    @Test(arguments: linkKinds) func aPipelineBesideCallingThreads(over kind: String) throws {
        let (a, b) = try endpointPair("beside", over: kind)
        defer { a.close(); b.close() }
        let (cap, _) = serveEcho(on: b, threads: 4)
        let others = DispatchSemaphore(value: 0)
        let othersWrong = Served()
        Thread {
            let wrong = echoCalls(on: a, to: cap, threads: 2, each: 150)
            for _ in 0..<wrong { othersWrong.add() }
            others.signal()
        }.start()
        let p = a.pipeline(timeout: .seconds(10))
        var started = 0, wrong = 0
        while started < 200 || p.inFlight > 0 {
            while started < 200 && p.inFlight < 3 {
                let (h, d) = request(cap, 5000 + started)
                try p.start(h, d, tag: 5000 + started)
                started += 1
            }
            guard let (tag, result) = p.next() else { break }
            let (h, d) = request(cap, tag)
            if case .success(let r) = result, r.header.offset == h.offset, r.data == d {} else { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(others.wait(timeout: .now() + 60) == .success)
        #expect(othersWrong.count == 0)
    }
}
