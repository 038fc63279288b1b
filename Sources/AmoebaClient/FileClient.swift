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
