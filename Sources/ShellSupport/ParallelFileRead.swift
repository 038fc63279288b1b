// Reading a whole Bullet file with several READs in flight. One call at a
// time leaves the link idle for a whole turn per 30 KB piece (the program,
// both daemons and the server each wake in turn); with a few threads
// sharing the one connection to amunixd, which takes concurrent calls, the
// next pieces cross while one is being answered. The pieces still reach
// the sink in order, and reading runs at most `window` pieces ahead of it,
// so memory stays bounded however large the file.

import AmoebaClient
import AmoebaCore
import Bullet
import Foundation

public struct ParallelFileRead<T: Transactor> {
    public let transport: T
    /// READs in flight at once (1: one after another).
    public let threads: Int
    /// Pieces read but not yet handed to the sink, at most.
    public let window: Int
    public let piece: Int

    public init(transport: T, threads: Int = 4, window: Int = 16, piece: Int = BulletLimits.requestData) {
        self.transport = transport
        self.threads = max(1, threads)
        self.window = max(self.threads, window)
        self.piece = max(1, min(piece, BulletLimits.maxRead))
    }

    /// Reads the `total` bytes (its SIZE) of committed file `file` into
    /// `sink`, in order; returns the byte count. A failed READ, a piece of
    /// the wrong length or a sink that throws ends the read with that
    /// error once every thread has stopped.
    @discardableResult
    public func read(_ file: Capability, total: Int, progress: (Int, Int) -> Void = { _, _ in },
                     into sink: ([UInt8]) throws(ErrorCode) -> Void) throws(ErrorCode) -> Int {
        guard total > 0 else { return 0 }
        let transport = self.transport
        let shared = Shared(file: file, total: total, piece: piece, window: window) { (h: Header) throws(ErrorCode) in
            try transport.transact(h, [])
        }
        let workers = min(threads, shared.count)
        shared.running = workers
        for _ in 0..<workers {
            Thread { shared.work() }.start()
        }
        var done = 0
        var failure: ErrorCode?
        for i in 0..<shared.count {
            guard let bytes = shared.take(i) else { break }
            do throws(ErrorCode) {
                try sink(bytes)
            } catch {
                failure = error
                break
            }
            done += bytes.count
            progress(done, total)
        }
        if let e = shared.finish(failure) { throw e }
        return done
    }
}

/// What the reading threads and the writing one share, under one lock. The
/// transport comes as a function, so that the threads capture no generic type.
private final class Shared: @unchecked Sendable {
    typealias Read = (Header) throws(ErrorCode) -> (header: Header, data: [UInt8])
    let transact: Read
    let file: Capability
    let total: Int
    let piece: Int
    let window: Int
    let count: Int
    let lock = NSCondition()
    var nextToRead = 0
    var taken = 0
    var ready: [Int: [UInt8]] = [:]
    var failure: ErrorCode?
    var running = 0

    init(file: Capability, total: Int, piece: Int, window: Int, transact: @escaping Read) {
        self.transact = transact
        self.file = file
        self.total = total
        self.piece = piece
        self.window = window
        count = (total + piece - 1) / piece
    }

    /// One reading thread: claims the next piece within the window,
    /// reads it, files it; until every piece is claimed or one failed.
    func work() {
        lock.lock()
        while failure == nil && nextToRead < count {
            if nextToRead >= taken + window {
                lock.wait()
                continue
            }
            let i = nextToRead
            nextToRead += 1
            lock.unlock()
            let result = readPiece(i)
            lock.lock()
            switch result {
            case .success(let bytes): ready[i] = bytes
            case .failure(let e): if failure == nil { failure = e }
            }
            lock.broadcast()
        }
        running -= 1
        lock.broadcast()
        lock.unlock()
    }

    private func readPiece(_ i: Int) -> Result<[UInt8], ErrorCode> {
        let offset = i * piece
        let want = min(piece, total - offset)
        var h = Header(capability: file, command: BulletCommand.read)
        h.offset = Int32(truncatingIfNeeded: offset)
        h.size = UInt16(truncatingIfNeeded: want)
        do throws(ErrorCode) {
            let r = try transact(h)
            guard r.header.status == .ok else { return .failure(r.header.status) }
            // The file is immutable and its size known: any other
            // length means it is not the file SIZE described.
            guard r.data.count == want else { return .failure(.systemError) }
            return .success(r.data)
        } catch {
            return .failure(error)
        }
    }

    /// Piece `i` once read; nil if the read failed first.
    func take(_ i: Int) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        while ready[i] == nil && failure == nil { lock.wait() }
        guard let bytes = ready.removeValue(forKey: i) else { return nil }
        taken = i + 1
        lock.broadcast()
        return bytes
    }

    /// Stops the threads (the writer's `failure`, if any, ends them)
    /// and waits for them; the error that ended the read, if one did.
    func finish(_ writerFailure: ErrorCode?) -> ErrorCode? {
        lock.lock()
        defer { lock.unlock() }
        if let e = writerFailure, failure == nil { failure = e }
        lock.broadcast()
        while running > 0 { lock.wait() }
        return writerFailure ?? failure
    }
}
