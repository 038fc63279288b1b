// Whole files on a Bullet server, over any transport: write one from a
// byte array, read one piece by piece into a sink, ask its size, destroy
// it. The transfers are the sans-I/O machines of the Bullet module driven
// here, with a progress callback (done, total) so that a tool can show
// progress on a terminal and a test can count the steps.

import AmoebaCore
import Bullet

public struct FileClient<T: Transactor> {
    public let transport: T

    public init(transport: T) {
        self.transport = transport
    }

    /// Writes `bytes` as a new committed file on the server `server` names
    /// (a capability with the create right); returns the file's capability.
    public func create(_ bytes: [UInt8], on server: Capability,
                       progress: (Int, Int) -> Void = { _, _ in }) throws(ErrorCode) -> Capability {
        var upload = BulletUpload(server: server, total: bytes.count)
        while let (header, range) = upload.nextRequest() {
            let r = try transport.transact(header, Array(bytes[range]))
            upload.accept(r.header)
            if let e = upload.failure { throw e }
            progress(upload.done, bytes.count)
        }
        guard let file = upload.file else { throw .systemError }
        return file
    }

    /// Writes a new committed file whose bytes come from `next`, one piece
    /// at a time (each at most one request's worth; nil or empty at the
    /// end), so that the writer never holds the whole file. One piece is
    /// read ahead to know which request is the last and carries the commit.
    /// `progress` gets the bytes sent so far.
    public func create(on server: Capability, reading next: () throws(ErrorCode) -> [UInt8]?,
                       progress: (Int) -> Void = { _ in }) throws(ErrorCode) -> Capability {
        func piece() throws(ErrorCode) -> [UInt8]? {
            guard let p = try next(), !p.isEmpty else { return nil }
            guard p.count <= BulletLimits.requestData else { throw .argumentBad }
            return p
        }
        var current = try piece() ?? []
        var upcoming = current.isEmpty ? nil : try piece()
        var target = server
        var created = false
        var offset = 0
        while true {
            let last = upcoming == nil
            guard offset + current.count <= Int(Int32.max) else { throw .noSpace }
            var h = Header(capability: target, command: created ? BulletCommand.modify : BulletCommand.create)
            h.offset = Int32(offset)
            h.size = UInt16(current.count)
            h.extra = last ? BulletCommit.commit | BulletCommit.safety : 0
            let r = try transport.call(h, current)
            target = r.header.capability
            created = true
            offset += current.count
            progress(offset)
            guard let following = upcoming else { return target }
            current = following
            upcoming = try piece()
        }
    }

    /// The size of a committed file.
    public func size(_ file: Capability) throws(ErrorCode) -> Int {
        let r = try transport.call(Header(capability: file, command: BulletCommand.size))
        return Int(r.header.offset)
    }

    /// Reads the whole file, handing each piece to `sink` as it arrives, so
    /// that a large file is never held in memory. Returns the byte count.
    @discardableResult
    public func read(_ file: Capability, progress: (Int, Int) -> Void = { _, _ in },
                     into sink: ([UInt8]) throws(ErrorCode) -> Void) throws(ErrorCode) -> Int {
        let total = try size(file)
        var download = BulletDownload(file: file)
        while let header = download.nextRequest() {
            let r = try transport.transact(header, [])
            let piece = download.accept(r.header, r.data)
            if let e = download.failure { throw e }
            if !piece.isEmpty { try sink(piece) }
            progress(download.done, total)
        }
        guard download.done == total else { throw .systemError }
        return download.done
    }

    /// Destroys a file (needs the destroy right).
    public func destroy(_ file: Capability) throws(ErrorCode) {
        _ = try transport.call(Header(capability: file, command: StandardCommand.destroy))
    }
}
