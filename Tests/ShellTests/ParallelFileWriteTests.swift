// put's writer with several MODIFYs in flight, against the real Bullet
// handler behind a transport that delays each write by a varying amount,
// so that later pieces overtake earlier ones: the committed file is exact
// whether the server holds early pieces (ours) or refuses them (Amoeba's,
// here a server allowed to hold nothing), and a write that fails in the
// middle ends the upload with its error and offset, leaving nothing behind.

import AmoebaClient
import AmoebaCore
import Bullet
import Foundation
import ShellSupport
import Storage
import Testing

/// MODIFYs held back by varying amounts (every third longest: the ones
/// after it overtake it); the MODIFY at file offset `failAt` fails, with
/// `failWith` as its status, or as a transaction if nil.
private func shuffledWrites(failAt: Int? = nil, failWith: ErrorCode? = nil,
                            holding: Int? = nil) throws -> ShuffledBullet {
    try ShuffledBullet(seed: 11, delaying: BulletCommand.modify, by: { UInt32($0 % 3 == 0 ? 3000 : 200 + $0 % 2 * 300) },
                       failing: { _, h in
                           guard let failAt, Int(h.offset) == failAt else { return nil }
                           return failWith.map { .status($0) } ?? .transaction
                       }, holding: holding)
}

private func pieces(of bytes: [UInt8]) -> () throws(ErrorCode) -> [UInt8]? {
    var at = 0
    return { () throws(ErrorCode) -> [UInt8]? in
        guard at < bytes.count else { return nil }
        let end = min(at + BulletLimits.requestData, bytes.count)
        defer { at = end }
        return Array(bytes[at..<end])
    }
}

private func contents(_ t: ShuffledBullet, _ cap: Capability) throws -> [UInt8] {
    var copy: [UInt8] = []
    let size = try FileClient(transport: t).size(cap)
    try FileClient(transport: t).read(cap) { copy += $0 }
    #expect(copy.count == size)
    return copy
}

@Test func writesInFlightBuildTheFile() throws {
    for holding in [nil, 0] as [Int?] {
        let t = try shuffledWrites(holding: holding)
        for size in [0, 1, BulletLimits.requestData, 2 * BulletLimits.requestData + 1, 40 * BulletLimits.requestData + 77] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 10) }
            var last = -1
            let cap = try ParallelFileWrite(transport: t, threads: 4, window: 6)
                .create(on: t.server.superCapability, reading: pieces(of: bytes)) { done in
                    #expect(done >= last && done <= size)
                    last = done
                }
            #expect(last == size)
            #expect(try contents(t, cap) == bytes)
        }
        #expect(t.mostInFlight > 1)
        #expect(t.mostInFlight <= 4 + 1)
        // Ours held what came early; an Amoeba server refused it and the
        // writer sent it again behind the pieces in front.
        #expect(holding == nil ? t.refused == 0 : t.refused > 0)
        #expect(t.server.pendingUsage == (0, 0))
    }
}

@Test func aFailedWriteEndsTheUploadWithItsOffset() throws {
    for failWith in [nil, ErrorCode.noSpace] as [ErrorCode?] {
        let t = try shuffledWrites(failAt: 8 * BulletLimits.requestData, failWith: failWith)
        let bytes = [UInt8](repeating: 5, count: 30 * BulletLimits.requestData)
        #expect(throws: FileWriteFailure(error: failWith ?? .rpcFailure, offset: 8 * BulletLimits.requestData)) {
            try ParallelFileWrite(transport: t, threads: 4)
                .create(on: t.server.superCapability, reading: pieces(of: bytes))
        }
        // Nothing committed, the uncommitted file destroyed, and the writers
        // stopped within the window rather than at the end of the input.
        #expect(t.server.fileCount == 0)
        #expect(t.server.pendingUsage == (0, 0))
        #expect(t.delayed <= 8 + 16 + 4)
    }
    // A failure reading the input ends it the same way.
    let t = try shuffledWrites()
    var n = 0
    #expect(throws: FileWriteFailure(error: .systemError, offset: 4 * BulletLimits.requestData)) {
        try ParallelFileWrite(transport: t).create(on: t.server.superCapability) { () throws(ErrorCode) -> [UInt8]? in
            n += 1
            if n == 5 { throw .systemError }
            return [UInt8](repeating: 1, count: BulletLimits.requestData)
        }
    }
    #expect(t.server.pendingUsage == (0, 0))
}
