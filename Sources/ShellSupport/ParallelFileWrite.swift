// Writing a whole Bullet file with several MODIFYs in flight. One write at
// a time leaves the link idle for a round trip per 30 KB piece, and the
// server idle while the next piece crosses; with a few threads sharing the
// transport, the next pieces cross while one is being stored.
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
// Input is read by the calling thread and runs at most `window` pieces
// ahead of the answers, so memory stays bounded however large the file.
// Once it has filled the window it sleeps until half of it is answered,
// then reads the next pieces in one go: woken for every answer, it made
// put pay a thread switch per 30 KB on top of the transaction's own, on
// the CPU the host's daemon needs for the same bytes.

import AmoebaClient
import AmoebaCore
import Bullet
import Foundation

public struct ParallelFileWrite<T: Transactor> {
    public let transport: T
    /// MODIFYs in flight at once (1: one after another).
    public let threads: Int
    /// Pieces read but not yet answered, at most.
    public let window: Int

    public init(transport: T, threads: Int = 4, window: Int = 16) {
        self.transport = transport
        self.threads = max(1, threads)
        self.window = max(self.threads, window)
    }

    /// Makes a committed file on `server` (a capability with the create
    /// right) from the pieces `next` returns (each at most one request's
    /// worth; nil or empty at the end); returns its capability.
    /// `progress` gets the bytes answered so far, counted from the start.
    public func create(on server: Capability, reading next: () throws(ErrorCode) -> [UInt8]?,
                       progress: (Int) -> Void = { _ in }) throws(FileWriteFailure) -> Capability {
        var offset = 0, read = 0
        func piece() throws(FileWriteFailure) -> [UInt8]? {
            do throws(ErrorCode) {
                guard let p = try next(), !p.isEmpty else { return nil }
                guard p.count <= BulletLimits.requestData else { throw .argumentBad }
                read += p.count
                return p
            } catch {
                throw FileWriteFailure(error: error, offset: read)
            }
        }
        let transport = self.transport
        func send(_ target: Capability, _ command: UInt16, _ at: Int, _ data: [UInt8], commit: Bool)
            -> Result<Header, ErrorCode> {
            guard at + data.count <= Int(Int32.max) else { return .failure(.noSpace) }
            var h = Header(capability: target, command: command)
            h.offset = Int32(at)
            h.size = UInt16(data.count)
            h.extra = commit ? BulletCommit.commit | BulletCommit.safety : 0
            do throws(ErrorCode) {
                let r = try transport.transact(h, data)
                return r.header.status == .ok ? .success(r.header) : .failure(r.header.status)
            } catch {
                return .failure(error)
            }
        }
        // CREATE with the first piece; alone, it commits too.
        let first = try piece() ?? []
        var upcoming = first.isEmpty ? nil : try piece()
        let created: Capability
        switch send(server, BulletCommand.create, 0, first, commit: upcoming == nil) {
        case .success(let h): created = h.capability
        case .failure(let e): throw FileWriteFailure(error: e, offset: 0)
        }
        offset = first.count
        progress(offset)
        guard var current = upcoming else { return created }
        upcoming = try piece()
        // The middle pieces, in flight together.
        let shared = SharedUpload(start: offset, window: window) { at, data in
            send(created, BulletCommand.modify, at, data, commit: false).map { _ in () }
        }
        let workers = threads
        shared.running = workers
        for _ in 0..<workers { Thread { shared.work() }.start() }
        var readFailure: FileWriteFailure?
        while let following = upcoming {
            if !shared.put(current, at: offset, progress: progress) { break }
            offset += current.count
            current = following
            do { upcoming = try piece() } catch { readFailure = error; break }
        }
        if let failure = shared.finish(progress: progress) ?? readFailure {
            _ = send(created, StandardCommand.destroy, 0, [], commit: false)
            throw failure
        }
        // The last piece commits, once everything in front of it is in.
        switch send(created, BulletCommand.modify, offset, current, commit: true) {
        case .success(let h):
            progress(offset + current.count)
            return h.capability
        case .failure(let e):
            _ = send(created, StandardCommand.destroy, 0, [], commit: false)
            throw FileWriteFailure(error: e, offset: offset)
        }
    }
}

/// What the writing threads and the reading one share, under one lock.
private final class SharedUpload: @unchecked Sendable {
    typealias Write = (Int, [UInt8]) -> Result<Void, ErrorCode>
    let write: Write
    let window: Int
    let lock = NSCondition()
    /// Pieces read and not yet taken by a thread, oldest first.
    var queue: [(offset: Int, data: [UInt8])] = []
    /// Pieces handed over and not yet answered.
    var outstanding = 0
    /// Every byte before this is answered; answered ranges past it by start.
    var answeredTo: Int
    var answered: [Int: Int] = [:]
    var noMore = false
    var failure: FileWriteFailure?
    var running = 0
    /// The reading thread sleeps until this few pieces are unanswered.
    var refillAt: Int
    var readerWaiting = false
    /// Threads waiting to resend a refused piece, for `answeredTo`.
    var resendWaiting = 0

    init(start: Int, window: Int, write: @escaping Write) {
        answeredTo = start
        self.window = window
        self.write = write
        refillAt = window / 2
    }

    /// Hands a piece to the threads, waiting while `window` are
    /// unanswered; false once the upload has failed.
    func put(_ data: [UInt8], at offset: Int, progress: (Int) -> Void) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil && outstanding >= window {
            readerWaiting = true
            while failure == nil && outstanding > refillAt {
                lock.wait()
                progress(answeredTo)
            }
            readerWaiting = false
        }
        guard failure == nil else { return false }
        queue.append((offset, data))
        outstanding += 1
        lock.broadcast()
        return true
    }

    /// One writing thread: takes pieces until there are no more or one failed.
    func work() {
        lock.lock()
        while failure == nil {
            if queue.isEmpty {
                if noMore { break }
                lock.wait()
                continue
            }
            let (offset, data) = queue.removeFirst()
            lock.unlock()
            var result = write(offset, data)
            lock.lock()
            if case .failure(.argumentBad) = result, offset > answeredTo {
                // Refused for having overtaken the pieces in front: again,
                // once they are all answered.
                resendWaiting += 1
                while failure == nil && answeredTo < offset { lock.wait() }
                resendWaiting -= 1
                if failure != nil { break }
                lock.unlock()
                result = write(offset, data)
                lock.lock()
            }
            switch result {
            case .success:
                answered[offset] = offset + data.count
                while let end = answered.removeValue(forKey: answeredTo) { answeredTo = end }
                outstanding -= 1
            case .failure(let e):
                if failure == nil { failure = .init(error: e, offset: offset) }
            }
            // Only someone with a reason to look: threads idle for want
            // of pieces are woken by `put`, not by answers.
            if failure != nil || resendWaiting > 0 || (readerWaiting && outstanding <= refillAt) { lock.broadcast() }
        }
        running -= 1
        lock.broadcast()
        lock.unlock()
    }

    /// Waits until every piece handed over is answered or the upload
    /// failed, and every thread has stopped; the failure, if any.
    func finish(progress: (Int) -> Void) -> FileWriteFailure? {
        lock.lock()
        defer { lock.unlock() }
        noMore = true
        lock.broadcast()
        while running > 0 { lock.wait() }
        if failure == nil { progress(answeredTo) }
        return failure
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
