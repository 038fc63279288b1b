// A CallPipeline over a transport that takes one call per thread (amunixd's
// connection, a test's handler): a few threads of its own each make one
// call at a time, and the pipeline's thread takes their outcomes as they
// end. The connection to amunixd takes concurrent calls, so the pieces of
// a file still cross together; what this costs, a thread switch per call,
// is what a program's own endpoint saves (ProcessEndpoint.Pipeline).

import AmoebaClient
import AmoebaCore
import Amunix
import Foundation

public final class ThreadedPipeline: CallPipeline, @unchecked Sendable {
    public typealias Outcome = (tag: Int, result: Result<(header: Header, data: [UInt8]), ErrorCode>)
    /// The transport's call, as a function: the threads capture no
    /// generic type.
    let transact: (Header, [UInt8]) throws(ErrorCode) -> (header: Header, data: [UInt8])
    /// Threads making calls, at most; started as calls first need them.
    let threads: Int
    /// The pipeline's thread waits in it as 0, each worker as its number,
    /// so that an outcome wakes the one and a call one of the others.
    private let room = WaitRoom()
    /// Calls started and not yet taken by a thread, oldest first.
    private var queue: [(tag: Int, header: Header, data: [UInt8])] = []
    /// Calls ended and not yet taken by `next`.
    private var ended: [Outcome] = []
    /// Whether each worker (by number less one) sleeps waiting for a call.
    private var asleep: [Bool] = []
    private var closing = false
    public private(set) var inFlight = 0

    public init<T: Transactor>(_ transport: T, threads: Int) {
        transact = { (h, d) throws(ErrorCode) in try transport.transact(h, d) }
        self.threads = max(1, threads)
    }

    public func start(_ header: Header, _ data: [UInt8], tag: Int) throws(ErrorCode) {
        room.lock()
        defer { room.unlock() }
        guard !closing else { throw .rpcAborted }
        queue.append((tag, header, data))
        inFlight += 1
        if let i = asleep.firstIndex(of: true) {
            asleep[i] = false
            room.wake(UInt32(i + 1))
        } else if asleep.count < threads {
            asleep.append(false)
            let me = UInt32(asleep.count)
            Thread { [self] in work(as: me) }.start()
        }
    }

    public func next() -> Outcome? {
        room.lock()
        defer { room.unlock() }
        guard inFlight > 0 else { return nil }
        while ended.isEmpty { room.wait(for: 0) }
        room.leave(0)
        inFlight -= 1
        return ended.removeFirst()
    }

    /// Stops the threads once their calls end; calls not yet taken by one
    /// are dropped. The threads hold the pipeline until then.
    public func close() {
        room.lock()
        closing = true
        inFlight -= queue.count
        queue.removeAll()
        room.wakeEveryone()
        room.unlock()
    }

    private func work(as me: UInt32) {
        room.lock()
        while true {
            if queue.isEmpty {
                if closing { break }
                asleep[Int(me) - 1] = true
                while asleep[Int(me) - 1] && !closing { room.wait(for: me) }
                room.leave(me)
                continue
            }
            let call = queue.removeFirst()
            room.unlock()
            let result: Result<(header: Header, data: [UInt8]), ErrorCode>
            do throws(ErrorCode) {
                result = .success(try transact(call.header, call.data))
            } catch {
                result = .failure(error)
            }
            room.lock()
            ended.append((call.tag, result))
            room.wake(0)
        }
        room.unlock()
    }
}
