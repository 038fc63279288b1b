// Writing a whole Bullet file with several MODIFYs in flight. One write at
// a time leaves the link idle for a round trip per 30 KB piece, and the
// server idle while the next piece crosses; with several in flight, the
// next pieces cross while one is being stored.
//
// The wire is Amoeba's: CREATE with the first piece, MODIFYs at their
// offsets with the capability CREATE returned, and the commit flags on the
// last piece, which is sent alone once every other piece is answered, so
// the commit always finds the file whole. Pieces in flight may reach the
// server in any order. Ours holds one that overtook the pieces in front of
// it (Servers/Bullet/BulletEarlyWrites.swift); an Amoeba server refuses it
// with STD_ARGBAD, and so does ours when it holds too much: a piece refused
// that way is sent again, once, when every piece in front of it has been
// answered, which both accept. Any other failure ends the upload: the
// pieces in flight are waited for, the uncommitted file destroyed, and the
// error thrown with the offset of the piece that failed.
//
// One thread does all of it over a CallPipeline: it reads the next piece
// when there is room in flight for it, starts its MODIFY, and takes the
// answers as they end. On a tool's own FLIP endpoint that thread is also
// the one moving the node (ProcessEndpoint.Pipeline), so a piece costs no
// thread switch at all; through amunixd, a few threads of the pipeline's
// own make the calls (ThreadedPipeline). Input runs at most `window`
// pieces ahead of the answers (those in flight and those waiting to be
// sent again), so memory stays bounded however large the file.

import AmoebaClient
import AmoebaCore
import Bullet

public struct ParallelFileWrite {
    /// Makes the pipeline one upload runs over (closed when it ends).
    let pipeline: () -> any CallPipeline
    /// MODIFYs in flight at once (1: one after another).
    public let inFlight: Int
    /// Pieces read but not yet answered, at most.
    public let window: Int

    /// An upload over pipelines `pipeline` makes, `inFlight` MODIFYs at once.
    public init(pipeline: @escaping () -> any CallPipeline, inFlight: Int = 4, window: Int = 16) {
        self.pipeline = pipeline
        self.inFlight = max(1, inFlight)
        self.window = max(self.inFlight, window)
    }

    /// An upload over `transport`, one call per thread, `threads` at once.
    public init<T: Transactor>(transport: T, threads: Int = 4, window: Int = 16) {
        self.init(pipeline: { ThreadedPipeline(transport, threads: max(1, threads)) }, inFlight: threads, window: window)
    }

    /// Makes a committed file on `server` (a capability with the create
    /// right) from the pieces `next` returns (each at most one request's
    /// worth; nil or empty at the end); returns its capability.
    /// `progress` gets the bytes answered so far, counted from the start.
    public func create(on server: Capability, reading next: () throws(ErrorCode) -> [UInt8]?,
                       progress: (Int) -> Void = { _ in }) throws(FileWriteFailure) -> Capability {
        let pipeline = self.pipeline()
        defer { pipeline.close() }
        // The upload keeps `progress` only while it runs.
        return try withoutActuallyEscaping(progress) { (progress) throws(FileWriteFailure) -> Capability in
            var upload = Upload(pipeline: pipeline, inFlight: inFlight, window: window, progress: progress)
            return try upload.run(on: server, reading: next)
        }
    }
}

/// One upload's state, kept by its one thread.
private struct Upload {
    let pipeline: any CallPipeline
    let inFlight: Int
    let window: Int
    let progress: (Int) -> Void
    /// Bytes read from the input so far.
    var read = 0
    /// Every byte before this is answered; answered pieces past it, by
    /// offset, with their ends.
    var answeredTo = 0
    var answered: [Int: Int] = [:]
    /// Pieces sent and not yet answered, by offset: their bytes, kept for
    /// a second sending, and whether they have had it.
    var unanswered: [Int: (data: [UInt8], resent: Bool)] = [:]
    /// Pieces refused for having overtaken those in front, to go again
    /// once everything in front of them is answered; by offset.
    var waiting: [Int] = []
    var failure: FileWriteFailure?

    init(pipeline: any CallPipeline, inFlight: Int, window: Int, progress: @escaping (Int) -> Void) {
        self.pipeline = pipeline
        self.inFlight = inFlight
        self.window = window
        self.progress = progress
    }

    mutating func piece(_ next: () throws(ErrorCode) -> [UInt8]?) throws(FileWriteFailure) -> [UInt8]? {
        do throws(ErrorCode) {
            guard let p = try next(), !p.isEmpty else { return nil }
            guard p.count <= BulletLimits.requestData else { throw .argumentBad }
            read += p.count
            return p
        } catch {
            throw FileWriteFailure(error: error, offset: read)
        }
    }

    static func request(_ target: Capability, _ command: UInt16, at offset: Int, _ data: [UInt8],
                        commit: Bool) -> Header {
        var h = Header(capability: target, command: command)
        h.offset = Int32(truncatingIfNeeded: offset)
        h.size = UInt16(data.count)
        h.extra = commit ? BulletCommit.commit | BulletCommit.safety : 0
        return h
    }

    /// One request alone (nothing else in flight): its reply header when
    /// it says STD_OK, else the error.
    func call(_ target: Capability, _ command: UInt16, at offset: Int, _ data: [UInt8],
              commit: Bool = false) -> Result<Header, ErrorCode> {
        guard offset + data.count <= Int(Int32.max) else { return .failure(.noSpace) }
        do throws(ErrorCode) {
            try pipeline.start(Self.request(target, command, at: offset, data, commit: commit), data, tag: offset)
        } catch {
            return .failure(error)
        }
        guard let (_, result) = pipeline.next() else { return .failure(.rpcFailure) }
        switch result {
        case .success(let r): return r.header.status == .ok ? .success(r.header) : .failure(r.header.status)
        case .failure(let e): return .failure(e)
        }
    }

    mutating func run(on server: Capability, reading next: () throws(ErrorCode) -> [UInt8]?) throws(FileWriteFailure) -> Capability {
        // CREATE with the first piece; alone, it commits too.
        let first = try piece(next) ?? []
        var upcoming = first.isEmpty ? nil : try piece(next)
        let created: Capability
        switch call(server, BulletCommand.create, at: 0, first, commit: upcoming == nil) {
        case .success(let h): created = h.capability
        case .failure(let e): throw FileWriteFailure(error: e, offset: 0)
        }
        var offset = first.count
        answeredTo = offset
        progress(offset)
        guard var current = upcoming else { return created }
        do { upcoming = try piece(next) } catch { return try abandon(created, error) }
        // The middle pieces, in flight together; `current` is the next to
        // send, and the last piece is kept back for the commit.
        while failure == nil {
            while failure == nil, let following = upcoming,
                  pipeline.inFlight < inFlight, unanswered.count < window {
                send(created, at: offset, current)
                offset += current.count
                current = following
                do { upcoming = try piece(next) } catch { failure = error }
            }
            guard pipeline.inFlight > 0 else { break }
            take(created)
        }
        if let failure { return try abandon(created, failure) }
        // The last piece commits, once everything in front of it is in.
        switch call(created, BulletCommand.modify, at: offset, current, commit: true) {
        case .success(let h):
            progress(offset + current.count)
            return h.capability
        case .failure(let e):
            return try abandon(created, FileWriteFailure(error: e, offset: offset))
        }
    }

    /// Starts the MODIFY of `data` at `offset`.
    mutating func send(_ file: Capability, at offset: Int, _ data: [UInt8], again: Bool = false) {
        guard offset + data.count <= Int(Int32.max) else {
            failure = FileWriteFailure(error: .noSpace, offset: offset)
            return
        }
        do throws(ErrorCode) {
            try pipeline.start(Self.request(file, BulletCommand.modify, at: offset, data, commit: false), data, tag: offset)
            unanswered[offset] = (data, again)
        } catch {
            failure = FileWriteFailure(error: error, offset: offset)
        }
    }

    /// Takes the next answer: the piece is in, or refused for having come
    /// early (sent again once the pieces in front are in), or failed.
    mutating func take(_ file: Capability) {
        guard let (offset, result) = pipeline.next(), let piece = unanswered.removeValue(forKey: offset) else { return }
        let status: ErrorCode
        switch result {
        case .success(let r): status = r.header.status
        case .failure(let e): status = e
        }
        if status == .argumentBad && offset > answeredTo && !piece.resent {
            unanswered[offset] = piece
            waiting.append(offset)
            return
        }
        guard status == .ok else {
            if failure == nil { failure = FileWriteFailure(error: status, offset: offset) }
            return
        }
        answered[offset] = offset + piece.data.count
        let before = answeredTo
        while let end = answered.removeValue(forKey: answeredTo) { answeredTo = end }
        guard answeredTo > before else { return }
        progress(answeredTo)
        // Refused pieces whose turn has come: everything in front is in.
        while failure == nil, let i = waiting.firstIndex(of: answeredTo) {
            let at = waiting.remove(at: i)
            let again = unanswered.removeValue(forKey: at)!
            send(file, at: at, again.data, again: true)
        }
    }

    /// Waits for what is in flight, destroys the uncommitted file, throws.
    mutating func abandon(_ file: Capability, _ failure: FileWriteFailure) throws(FileWriteFailure) -> Capability {
        while pipeline.next() != nil {}
        _ = call(file, StandardCommand.destroy, at: 0, [])
        throw failure
    }
}

/// Why an upload ended: the error and the file offset of the piece whose
/// request failed (or of the input being read).
public struct FileWriteFailure: Error, Equatable {
    public let error: ErrorCode
    public let offset: Int

    public init(error: ErrorCode, offset: Int) {
        self.error = error
        self.offset = offset
    }
}
