// get's reader with several READs in flight, against the real Bullet
// handler behind a transport whose replies come back out of order: the
// copy is exact and in order, and a failed READ or a failing sink ends
// the read with that error, never a hang.

import AmoebaClient
import AmoebaCore
import Bullet
import Foundation
import ShellSupport
import Storage
import Testing

/// READs held back by varying amounts, so that replies overtake each
/// other; READ number `failAt` (0-based) fails if set.
private func shuffledReads(failAt: Int? = nil) throws -> ShuffledBullet {
    try ShuffledBullet(seed: 7, delaying: BulletCommand.read, by: { UInt32(200 + ($0 * 7919) % 5 * 400) },
                       failing: { n, _ in n == failAt ? .transaction : nil })
}

private func file(_ size: Int, on t: ShuffledBullet) throws -> ([UInt8], Capability) {
    let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
    let cap = try FileClient(transport: t).create(bytes, on: t.server.superCapability)
    return (bytes, cap)
}

@Test func readsInFlightGiveTheFileInOrder() throws {
    let t = try shuffledReads()
    for size in [1, BulletLimits.requestData, 40 * BulletLimits.requestData + 123] {
        let (bytes, cap) = try file(size, on: t)
        var copy: [UInt8] = []
        var last = 0
        let n = try ParallelFileRead(transport: t, threads: 4, window: 6).read(cap, total: size) { done, total in
            #expect(done > last && total == size)
            last = done
        } into: { copy += $0 }
        #expect(n == size)
        #expect(copy == bytes)
    }
    #expect(t.mostInFlight > 1)
    #expect(t.mostInFlight <= 4)
}

@Test func aFailedReadEndsTheReadWithItsError() throws {
    let t = try shuffledReads(failAt: 9)
    let (_, cap) = try file(30 * BulletLimits.requestData, on: t)
    var pieces = 0
    #expect(throws: ErrorCode.rpcFailure) {
        try ParallelFileRead(transport: t, threads: 4).read(cap, total: 30 * BulletLimits.requestData) { _ in pieces += 1 }
    }
    #expect(pieces < 30)
    // A SIZE that promises more than the file holds: the short piece fails.
    let u = try shuffledReads()
    let (_, small) = try file(1000, on: u)
    #expect(throws: ErrorCode.systemError) {
        try ParallelFileRead(transport: u).read(small, total: 5000) { _ in }
    }
}

@Test func aFailingSinkStopsTheReaders() throws {
    let t = try shuffledReads()
    let size = 50 * BulletLimits.requestData
    let (_, cap) = try file(size, on: t)
    var pieces = 0
    #expect(throws: ErrorCode.systemError) {
        try ParallelFileRead(transport: t, threads: 4, window: 8).read(cap, total: size) { (_: [UInt8]) throws(ErrorCode) in
            pieces += 1
            if pieces == 3 { throw .systemError }
        }
    }
    // The readers stopped within the window, not at the end of the file.
    #expect(t.delayed <= 3 + 8 + 4)
    #expect(try ParallelFileRead(transport: t).read(cap, total: 0) { _ in } == 0)
}
