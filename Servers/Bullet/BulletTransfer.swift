// The client's side of moving a whole file, as Amoeba's b_create and b_read
// stubs do it, written as sans-I/O state machines so that the `put` and
// `get` tools (and tests) drive them over any transport: ask for the next
// request, send it, hand back the reply. Progress is `done` of `total`.

import AmoebaCore

/// Writes `data` as a new committed file: CREATE with the first piece,
/// MODIFY at growing offsets, the commit flags only on the last request.
public struct BulletUpload {
    public let total: Int
    public let piece: Int
    public private(set) var done = 0
    /// The capability the server last returned: the new file once finished.
    public private(set) var file: Capability?
    public private(set) var failure: ErrorCode?
    private var target: Capability

    /// `server` is the file server's capability with the create right.
    public init(server: Capability, total: Int, piece: Int = BulletLimits.requestData) {
        self.total = total
        self.piece = max(1, min(piece, BulletLimits.requestData))
        self.target = server
    }

    public var isFinished: Bool { failure != nil || (file != nil && done == total) }

    /// The next request header and the range of the data it carries; nil
    /// when finished.
    public func nextRequest() -> (header: Header, range: Range<Int>)? {
        if isFinished { return nil }
        let count = min(piece, total - done)
        var h = Header(capability: target, command: file == nil ? BulletCommand.create : BulletCommand.modify)
        h.offset = Int32(truncatingIfNeeded: done)
        h.size = UInt16(truncatingIfNeeded: count)
        h.extra = done + count == total ? BulletCommit.commit | BulletCommit.safety : 0
        return (h, done..<(done + count))
    }

    /// Takes the reply to the request `nextRequest` gave.
    public mutating func accept(_ reply: Header) {
        guard let (_, range) = nextRequest() else { return }
        guard reply.status == .ok else {
            failure = reply.status
            return
        }
        target = reply.capability
        file = reply.capability
        done = range.upperBound
    }
}

/// Reads a whole committed file: READs of `piece` bytes until one comes
/// back short.
public struct BulletDownload {
    public let file: Capability
    public let piece: Int
    public private(set) var done = 0
    public private(set) var isFinished = false
    public private(set) var failure: ErrorCode?

    public init(file: Capability, piece: Int = BulletLimits.requestData) {
        self.file = file
        self.piece = max(1, min(piece, BulletLimits.maxRead))
    }

    public func nextRequest() -> Header? {
        if isFinished { return nil }
        var h = Header(capability: file, command: BulletCommand.read)
        h.offset = Int32(truncatingIfNeeded: done)
        h.size = UInt16(truncatingIfNeeded: piece)
        return h
    }

    /// Takes a reply and its data; returns the bytes to append to the copy.
    public mutating func accept(_ reply: Header, _ data: [UInt8]) -> [UInt8] {
        if isFinished { return [] }
        guard reply.status == .ok, data.count <= piece else {
            failure = reply.status == .ok ? .systemError : reply.status
            isFinished = true
            return []
        }
        done += data.count
        if data.count < piece { isFinished = true }
        return data
    }
}
