// Reading a whole Bullet file with several READs in flight. One call at a
// time leaves the link idle for a whole turn per 30 KB piece; with several
// in flight, the next pieces cross while one is being answered and while
// the last is being written out. The pieces still reach the sink in
// order, and reading runs at most `window` pieces ahead of it, so memory
// stays bounded however large the file.
//
// One thread does all of it over a CallPipeline (AmoebaClient): it starts
// READs while there is room, takes the replies as they end, and hands the
// sink every piece whose turn has come. On a tool's own FLIP endpoint that
// thread also moves the node (ProcessEndpoint.Pipeline), so no reply wakes
// another thread; through amunixd a few threads of the pipeline's own make
// the calls (ThreadedPipeline).

import AmoebaClient
import AmoebaCore
import Bullet

public struct ParallelFileRead {
    /// Makes the pipeline one read runs over (closed when it ends).
    let pipeline: () -> any CallPipeline
    /// READs in flight at once (1: one after another).
    public let inFlight: Int
    /// Pieces read but not yet handed to the sink, at most.
    public let window: Int
    public let piece: Int

    /// A read over pipelines `pipeline` makes, `inFlight` READs at once.
    public init(pipeline: @escaping () -> any CallPipeline, inFlight: Int = 4, window: Int = 16,
                piece: Int = BulletLimits.requestData) {
        self.pipeline = pipeline
        self.inFlight = max(1, inFlight)
        self.window = max(self.inFlight, window)
        self.piece = max(1, min(piece, BulletLimits.maxRead))
    }

    /// A read over `transport`, one call per thread, `threads` at once.
    public init<T: Transactor>(transport: T, threads: Int = 4, window: Int = 16, piece: Int = BulletLimits.requestData) {
        self.init(pipeline: { ThreadedPipeline(transport, threads: max(1, threads)) }, inFlight: threads,
                  window: window, piece: piece)
    }

    /// Reads the `total` bytes (its SIZE) of committed file `file` into
    /// `sink`, in order; returns the byte count. A failed READ, a piece of
    /// the wrong length or a sink that throws ends the read with that
    /// error once the READs in flight have ended.
    @discardableResult
    public func read(_ file: Capability, total: Int, progress: (Int, Int) -> Void = { _, _ in },
                     into sink: ([UInt8]) throws(ErrorCode) -> Void) throws(ErrorCode) -> Int {
        guard total > 0 else { return 0 }
        let pipeline = self.pipeline()
        defer { pipeline.close() }
        let count = (total + piece - 1) / piece
        var nextToStart = 0, nextToWrite = 0, done = 0
        var ready: [Int: [UInt8]] = [:]
        var failure: ErrorCode?
        while failure == nil && nextToWrite < count {
            while failure == nil && nextToStart < count && pipeline.inFlight < inFlight
                    && nextToStart < nextToWrite + window {
                do throws(ErrorCode) {
                    try pipeline.start(request(file, piece: nextToStart, of: total), [], tag: nextToStart)
                    nextToStart += 1
                } catch {
                    failure = error
                }
            }
            guard failure == nil, let (i, result) = pipeline.next() else { break }
            switch result {
            case .success(let r):
                // The file is immutable and its size known: any other
                // length means it is not the file SIZE described.
                if r.header.status != .ok {
                    failure = r.header.status
                } else if r.data.count != min(piece, total - i * piece) {
                    failure = .systemError
                } else {
                    ready[i] = r.data
                }
            case .failure(let e):
                failure = e
            }
            while failure == nil, let bytes = ready.removeValue(forKey: nextToWrite) {
                do throws(ErrorCode) {
                    try sink(bytes)
                } catch {
                    failure = error
                    break
                }
                nextToWrite += 1
                done += bytes.count
                progress(done, total)
            }
        }
        if let failure {
            while pipeline.next() != nil {}
            throw failure
        }
        return done
    }

    private func request(_ file: Capability, piece i: Int, of total: Int) -> Header {
        let offset = i * piece
        var h = Header(capability: file, command: BulletCommand.read)
        h.offset = Int32(truncatingIfNeeded: offset)
        h.size = UInt16(truncatingIfNeeded: min(piece, total - offset))
        return h
    }
}
