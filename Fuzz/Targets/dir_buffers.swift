// fuzz-modules: AmoebaCore Servers/DirectoryProtocol
//
// SOAP's buffer decoders, fed arbitrary bytes: LIST, LOOKUP, SETLOOKUP,
// GETMASKS and GETSEQNR replies as a client reads them, and the LOOKUP path
// and NTOUCH list as a server reads them. A client reads these from any
// server on the network, a node's directory from any client: they must
// throw on bad input, never trap, and what they accept must say what the
// bytes said.
//
// The first byte picks a count for SETLOOKUP and NTOUCH; the rest is the
// buffer.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let all = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = all.first else { return 0 }
    let bytes = Array(all.dropFirst())
    let count = Int(first & 0x0F) - 2  // a few negative counts too

    if let page = try? DirectoryReply.list(bytes) {
        guard page.columns.count <= DirectoryLimits.maxColumns else { fatalError("more columns than SP_MAXCOLUMNS") }
        for row in page.rows where row.masks.count != page.columns.count { fatalError("a row without a mask per column") }
        // What was read re-encodes to the same bytes (the row count aside,
        // and but for names that were not UTF-8, which reading repairs).
        guard let again = DirectoryReply.listPage(columns: page.columns, rows: page.rows, first: 0, limit: Int.max),
              again.next == DirectoryLimits.noMoreRows else { fatalError("a read page does not re-encode") }
        let valid = page.columns.allSatisfy { !$0.utf8.contains(0xEF) } && page.rows.allSatisfy { !$0.name.utf8.contains(0xEF) }
        if valid, Array(again.data[4...]) != Array(bytes[4...]) { fatalError("a read page re-encodes differently") }
    }

    if let answer = try? DirectoryReply.lookup(bytes) {
        guard answer.capabilities.suites.count <= DirectoryLimits.maxSuites else { fatalError("more than MAXCAPSET") }
        // The set follows the rest and its NUL exactly.
        var r = BufferReader(bytes)
        _ = try? r.readString()
        guard bytes.count - r.offset >= answer.capabilities.encodedSize else { fatalError("capability set overran") }
    }

    if let entries = try? DirectoryReply.setLookup(bytes, count: count) {
        guard count >= 0, entries.count == count else { fatalError("SETLOOKUP read a wrong number of entries") }
    }

    if let masks = try? DirectoryReply.masks(bytes) {
        guard masks.count * 4 == bytes.count, DirectoryReply.masks(encoding: masks) == bytes else {
            fatalError("masks do not re-encode")
        }
    }

    if (try? DirectoryReply.sequenceNumber(bytes)) != nil, bytes.count < 8 { fatalError("a short sequence number") }

    if let path = try? DirectoryRequest.lookupPath(bytes) {
        guard path.count <= DirectoryLimits.maxPath, bytes[path.count] == 0, !path.contains(0) else {
            fatalError("a path that is not the bytes before the first NUL")
        }
    }

    if let parts = try? DirectoryRequest.touchList(bytes, count: count) {
        var w = BufferWriter()
        for p in parts { try! w.write(p) }
        guard w.bytes == bytes else { fatalError("private parts do not re-encode") }
    }

    // A capability set is read raw, but for its "current" flags, which
    // come back as 0 or 1.
    var r = BufferReader(bytes)
    if let set = try? CapabilitySet.decode(from: &r) {
        guard r.offset == set.encodedSize else { fatalError("capability set read a wrong length") }
        for (i, suite) in set.suites.enumerated() {
            let at = 4 + i * (Capability.size + 2)
            guard Array(bytes[at..<(at + Capability.size)]) == suite.capability.bytes else {
                fatalError("capability not read raw")
            }
        }
    }
    return 0
}
