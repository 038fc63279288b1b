// The pipeline put and get use through amunixd: calls made by threads of
// its own, at most as many at once as it has threads, their outcomes
// tagged in the order they end, a failed call's error its own, and a
// close that drops what no thread has taken yet.

import AmoebaClient
import AmoebaCore
import Foundation
import ShellSupport
import Testing

/// Answers each call after `offset` ms, with its offset; offset 30 fails.
private final class Sleepy: Transactor, @unchecked Sendable {
    let lock = NSLock()
    var inFlight = 0, most = 0, calls = 0
    func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        lock.withLock { inFlight += 1; calls += 1; most = max(most, inFlight) }
        defer { lock.withLock { inFlight -= 1 } }
        usleep(UInt32(header.offset) * 1000)
        if header.offset == 30 { throw .rpcFailure }
        return (header, data)
    }
}

@Test func aThreadedPipelineEndsCallsInTheirOwnOrder() throws {
    let t = Sleepy()
    let p = ThreadedPipeline(t, threads: 3)
    defer { p.close() }
    for (i, ms) in [90, 30, 10, 50].enumerated() {
        var h = Header()
        h.offset = Int32(ms)
        try p.start(h, [UInt8(i)], tag: i)
    }
    #expect(p.inFlight == 4)
    var order: [Int] = [], failed: [Int] = []
    while let (tag, result) = p.next() {
        order.append(tag)
        if case .failure(let e) = result {
            #expect(e == .rpcFailure)
            failed.append(tag)
        } else {
            #expect(try result.get().data == [UInt8(tag)])
        }
    }
    // Three threads: the fourth call waits for the first to end (10 ms),
    // then ends at 60 ms, between the second (30) and the first (90).
    #expect(order == [2, 1, 3, 0])
    #expect(failed == [1])
    #expect(t.most == 3)
}

@Test func closingAThreadedPipelineDropsWhatNoThreadTook() throws {
    let t = Sleepy()
    let p = ThreadedPipeline(t, threads: 1)
    for i in 0..<5 {
        var h = Header()
        h.offset = 40
        try p.start(h, [], tag: i)
    }
    Thread.sleep(forTimeInterval: 0.01)
    p.close()
    // The call a thread had taken still ends; the four queued are gone.
    #expect(p.inFlight == 1)
    #expect(p.next()?.tag == 0)
    #expect(p.next().map(\.tag) == nil)
    #expect(t.calls == 1)
    #expect(throws: ErrorCode.rpcAborted) { try p.start(Header(), [], tag: 9) }
}
