// One server thread keeping several getreqs listening on its own endpoint
// (ProcessEndpoint.Listener): it serves calls that come several at once,
// requests that come while it handles another are taken by the getreqs
// still listening, its thread is let go when the endpoint closes, and a
// closed listener leaves no getreq behind.

import AmoebaCore
@testable import AmunixDaemon
@testable import AmunixEndpoint
import Foundation
import RPC
import Testing

/// Serves echo from one thread with a listener of `depth`, each request
/// handled once `gate` (if any) lets it; returns the capability and the
/// count served.
private func serveListening(on e: ProcessEndpoint, depth: Int, gate: DispatchSemaphore? = nil) throws -> (Capability, Served) {
    var g = SystemRandomNumberGenerator()
    let getPort = AmoebaCore.Port.random(using: &g)
    let listener = try e.listen(getPort, depth: depth)
    let served = Served()
    Thread {
        while let req = try? listener.next() {
            served.add()
            gate?.wait()
            var h = Header()
            h.offset = req.header.offset
            e.putrep(req, h, req.data)
        }
        served.ended()
    }.start()
    return (Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null)), served)
}

@Suite(.serialized) struct ListenerTests {
    @Test(arguments: linkKinds) func oneThreadServesCallsThatComeTogether(over kind: String) throws {
        let (a, b) = try endpointPair("listener", over: kind)
        defer { a.close(); b.close() }
        let (cap, served) = try serveListening(on: b, depth: 4)
        #expect(echoCalls(on: a, to: cap, threads: 4, each: 100) == 0)
        #expect(served.count == 400)
        #expect(b.statistics.server.sent[Int(AmpType.nak.rawValue)] == 0)
        // Four listening again, none serving: every request was answered.
        #expect(soon { b.statistics.slotsWaiting == 4 && b.statistics.requestsBeingServed == 0 })
    }

    /// Requests that come while the thread handles one (held until the
    /// test has looked) are taken by the getreqs still listening, at once:
    /// four are being served together, where a thread with one getreq
    /// would hold one and queue the rest. Each still gets its own reply,
    /// none a NAK. The first comes after a quiet spell, with the keeper in
    /// a long nap, and the others once the thread is away handling it:
    /// only the keeper reads the link then, and it is rung as the thread
    /// leaves, or the others would wait for its nap to end. (A fixed
    /// handling time left a window that a loaded machine's polling could
    /// miss.)
    @Test func requestsWhileOneIsHandledAreTakenAtOnce() throws {
        let (a, b) = try endpointPair("busy")
        defer { a.close(); b.close() }
        let gate = DispatchSemaphore(value: 0)
        let (cap, served) = try serveListening(on: b, depth: 4, gate: gate)
        #expect(soon(within: 5) { b.sharedState { b.keeperWakes > MonotonicClock.now + .milliseconds(700) } })
        let wrong = Served()
        let done = DispatchSemaphore(value: 0)
        func call(_ i: Int) {
            Thread {
                var h = Header(capability: cap, command: 7)
                h.offset = Int32(i)
                if (try? a.trans(h, [UInt8(i)], timeout: .seconds(10)))?.data != [UInt8(i)] { wrong.add() }
                done.signal()
            }.start()
        }
        call(0)
        #expect(soon(within: 5) { served.count == 1 })
        for i in 1..<4 { call(i) }
        #expect(soon(within: 0.5) { b.statistics.requestsBeingServed == 4 })
        for _ in 0..<4 { gate.signal() }
        for _ in 0..<4 { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(wrong.count == 0)
        #expect(served.count == 4)
        #expect(b.statistics.server.sent[Int(AmpType.nak.rawValue)] == 0)
    }

    @Test func aClosedEndpointLetsTheListenersThreadGo() throws {
        let (a, b) = try endpointPair("listenclose")
        defer { a.close() }
        let (_, served) = try serveListening(on: b, depth: 3)
        Thread.sleep(forTimeInterval: 0.1)
        b.close()
        for _ in 0..<100 where served.threadsEnded == 0 { Thread.sleep(forTimeInterval: 0.05) }
        #expect(served.threadsEnded == 1)
        var g = SystemRandomNumberGenerator()
        let port = AmoebaCore.Port.random(using: &g)
        #expect(throws: ErrorCode.rpcAborted) { _ = try b.listen(port, depth: 1) }
    }

    @Test func aClosedListenerLeavesNoGetreqBehind() throws {
        let (a, b) = try endpointPair("listendrop")
        defer { a.close(); b.close() }
        var g = SystemRandomNumberGenerator()
        let listener = try b.listen(AmoebaCore.Port.random(using: &g), depth: 3)
        #expect(throws: ErrorCode.rpcBadPort) { _ = try b.listen(AmoebaCore.Port(bytes: [0, 0, 0, 0, 0, 0])!, depth: 1) }
        // Its getreqs start with its first wait; a call from a gives it one.
        let getPort = listener.getPort
        let served = DispatchSemaphore(value: 0)
        Thread {
            if let req = try? listener.next() {
                b.putrep(req, Header(), [])
                served.signal()
            }
        }.start()
        let cap = Capability(port: getPort.putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, check: .null))
        _ = try a.trans(Header(capability: cap, command: 1), [], timeout: .seconds(5))
        #expect(served.wait(timeout: .now() + 5) == .success)
        // Two of its three still listen (the thread took one and left).
        #expect(soon { b.statistics.slotsWaiting == 2 })
        listener.close()
        #expect(b.statistics.slotsWaiting == 0)
        #expect(b.sharedState { b.pipelined.isEmpty && b.outcomes.isEmpty })
    }
}

/// Whether `condition` holds within `seconds` (a server thread finishes
/// its putrep and listens again a moment after its client has the reply).
private func soon(within seconds: Double = 1, _ condition: () -> Bool) -> Bool {
    let end = Date(timeIntervalSinceNow: seconds)
    while Date() < end {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return condition()
}
