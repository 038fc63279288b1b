// The real Bullet handler behind a transport that holds back each request
// of one command (READ for get's reader, MODIFY for put's writer) by a
// varying amount, so that several threads' requests overtake each other
// as they would over a network, and that can make the n-th such request
// fail. It counts what the parallel readers and writers are judged by:
// how many were in flight at once, and how many the server refused.

import AmoebaClient
import AmoebaCore
import Bullet
import Foundation
import Storage

final class ShuffledBullet: Transactor, @unchecked Sendable {
    /// What becomes of a delayed request instead of the server's answer.
    enum Failure {
        case transaction
        case status(ErrorCode)
    }

    let server: BulletServer<MemoryStore>
    let lock = NSLock()
    private let command: UInt16
    private let delay: (Int) -> UInt32
    private let failure: (Int, Header) -> Failure?
    /// Requests of the delayed command so far.
    var delayed = 0
    var refused = 0
    var inFlight = 0
    var mostInFlight = 0

    /// `delay(n)` microseconds for the n-th request (0-based) of `command`;
    /// `failure(n, header)` says whether it fails. `holding` bounds the
    /// bytes the server holds for writes that overtook others (0: none,
    /// as an Amoeba 5.3 Bullet server).
    init(seed: UInt64, delaying command: UInt16, by delay: @escaping (Int) -> UInt32,
         failing failure: @escaping (Int, Header) -> Failure? = { _, _ in nil }, holding: Int? = nil) throws {
        var seed = seed
        server = try BulletServer(store: MemoryStore(), random: {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Port(bytes: (0..<6).map { UInt8(truncatingIfNeeded: seed >> (8 * $0 + 8)) })!
        })
        if let holding { server.pendingLimits.earlyBytes = holding }
        self.command = command
        self.delay = delay
        self.failure = failure
    }

    func transact(_ header: Header, _ data: [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8]) {
        lock.lock()
        let n = header.command == command ? delayed : -1
        if n >= 0 { delayed += 1 }
        inFlight += 1
        mostInFlight = max(mostInFlight, inFlight)
        lock.unlock()
        if n >= 0 { usleep(delay(n)) }
        lock.lock()
        defer { inFlight -= 1; lock.unlock() }
        if n >= 0, let f = failure(n, header) {
            switch f {
            case .transaction: throw .rpcFailure
            case .status(let code):
                var h = header
                h.status = code
                return (h, [])
            }
        }
        let r = server.handle(header: header, data: data)
        if r.0.status == .argumentBad { refused += 1 }
        return r
    }
}
