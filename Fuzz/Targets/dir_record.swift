// fuzz-modules: AmoebaCore Servers/Storage Servers/DirectoryProtocol Servers/Directory Servers/DiskStorage
// What a restarting server reads back must never make it trap: a directory
// record (Directory.decode), a server identity and a disk-store journal
// (Journal.decode). Whatever decodes must encode back to the same bytes.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let dir = try? Directory.decode(bytes) {
        // Masks and suites survive; only the "current" flag is normalised to
        // 0/1, so compare after one more round.
        let once = dir.encoded()
        guard let again = try? Directory.decode(once), again == dir, again.encoded() == once else {
            fatalError("directory record does not round-trip")
        }
    }
    if let id = try? ServerIdentity.decode(bytes, magic: Array("SOAP".utf8)) {
        if id.encoded(magic: Array("SOAP".utf8)) != bytes { fatalError("identity does not round-trip") }
    }
    if let changes = Journal.decode(bytes) {
        if Journal.encode(changes) != bytes { fatalError("journal does not round-trip") }
    }
    return 0
}
