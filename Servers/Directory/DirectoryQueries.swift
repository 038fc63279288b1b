// The commands that read directories: LIST (paged by `extra`), LOOKUP of a
// multi-component path, SETLOOKUP of many names at once, GETMASKS and
// GETSEQNR. None of them changes anything.
//
// LOOKUP is where the capability discipline shows: walking down a path,
// the columns a caller may use in each directory are the ones its
// capability for that directory selects, and the rights it gets for the
// next step are the union of the masks of those columns in the row. The
// capability set handed back is restricted to those rights, so what a
// directory capability allows bounds everything reached through it.

import AmoebaCore
import DirectoryProtocol
import Storage

extension DirectoryServer {
    /// LIST: `extra` is the first row wanted and `size` the caller's buffer.
    /// The reply holds int16 columns, int16 rows, the column names, then
    /// whole rows (name and an int32 mask per column) as far as they fit;
    /// `extra` returns the first row left out, or SP_NOMOREROWS.
    func list(_ reply: inout Header) -> Result<[UInt8], ErrorCode> {
        let limit = Int(reply.size)
        guard limit <= replyLimit else { return .failure(.argumentBad) }
        let n: UInt32
        switch acquire(reply.private, required: 0) {
        case .failure(let e): return .failure(e)
        case .success(let found): n = found
        }
        let dir = directories[n]!
        var rows = [(name: String, masks: [UInt32])]()
        rows.reserveCapacity(dir.count)
        dir.forEachRow { rows.append(($0.name, $0.masks)) }
        guard let page = DirectoryReply.listPage(columns: dir.columns, rows: rows,
                                                 first: Int(reply.extra), limit: limit) else {
            return .failure(.overflow)
        }
        reply.extra = page.next
        return .success(page.data)
    }

    /// LOOKUP: the buffer is a path. The server follows it through its own
    /// directories as far as it can and returns the unparsed rest of the
    /// path and the capability set reached, restricted to the rights the
    /// walk allowed.
    func lookup(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        guard let path = try? DirectoryRequest.lookupPath(data) else { return .failure(.argumentBad) }
        let bytes = Array(path)
        var n: UInt32
        switch acquire(header.private, required: 0) {
        case .failure(let e): return .failure(e)
        case .success(let found): n = found
        }
        var columns = UInt32(header.private.rights.rawValue)
        var have: UInt32 = ~0
        var i = 0
        var reached = CapabilitySet(Capability(port: header.port, private: header.private))
        walk: while true {
            while i < bytes.count, bytes[i] == UInt8(ascii: "/") { i += 1 }
            if i == bytes.count { break }
            var j = i
            while j < bytes.count, bytes[j] != UInt8(ascii: "/") { j += 1 }
            let name = String(decoding: bytes[i..<j], as: UTF8.self)
            let dir = directories[n]!
            columns &= have & UInt32(dir.columnBits)
            if columns == 0 { return .failure(.denied) }
            guard j - i <= DirectoryLimits.maxName else { return .failure(.argumentBad) }
            guard let row = dir.row(named: name) else { return .failure(.notFound) }
            have = dir.rights(of: row, columns: columns)
            reached = row.capabilities
            guard j < bytes.count else {
                i = j
                break
            }
            i = j + 1
            switch ourDirectory(in: reached) {
            case .success(let (next, rights)):
                n = next
                columns = UInt32(rights)
            case .failure:
                break walk
            }
        }
        var w = BufferWriter(limit: replyLimit)
        do {
            try w.write(bytes: bytes[i...])
            try w.write(UInt8(0))
            let status = try writeRestricted(reached, mask: UInt8(truncatingIfNeeded: have), into: &w)
            return status == .ok ? .success(w.bytes) : .failure(status)
        } catch {
            return .failure(.overflow)
        }
    }

    /// SETLOOKUP: a list of (directory capability set, name). For each the
    /// reply has an int16 status and, when it is STD_OK, the row's type
    /// capability, its int32 time and its capability set restricted to the
    /// caller's rights.
    func setLookup(_ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        var w = BufferWriter(limit: replyLimit)
        repeat {
            guard let dirSet = try? CapabilitySet.decode(from: &r),
                  let name = try? r.readString() else { return .failure(.argumentBad) }
            do {
                try findEntry(dirSet, name, into: &w)
            } catch {
                return .failure(.overflow)
            }
        } while !r.isAtEnd
        return .success(w.bytes)
    }

    private func findEntry(_ dirSet: CapabilitySet, _ name: String, into w: inout BufferWriter) throws(MarshalError) {
        let n: UInt32, columns: UInt8
        switch ourDirectory(in: dirSet) {
        case .failure(let e):
            try w.write(e.rawValue)
            return
        case .success(let found): (n, columns) = found
        }
        let dir = directories[n]!
        guard DirectoryName.isValid(name) else { return try w.write(ErrorCode.argumentBad.rawValue) }
        guard let row = dir.row(named: name) else { return try w.write(ErrorCode.notFound.rawValue) }
        let have = dir.rights(of: row, columns: UInt32(columns))
        let start = w
        try w.write(ErrorCode.ok.rawValue)
        try w.write(row.typeCapability)
        try w.write(row.time)
        let status = try writeRestricted(row.capabilities, mask: UInt8(truncatingIfNeeded: have), into: &w)
        if status != .ok {
            w = start
            try w.write(status.rawValue)
        }
    }

    /// GETMASKS: the buffer is a row name; the reply is an int32 mask per
    /// column.
    func getMasks(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        let n: UInt32
        switch acquire(header.private, required: 0) {
        case .failure(let e): return .failure(e)
        case .success(let found): n = found
        }
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name) else { return .failure(.argumentBad) }
        let dir = directories[n]!
        guard let row = dir.row(named: name) else { return .failure(.notFound) }
        return .success(DirectoryReply.masks(encoding: row.masks))
    }

    /// GETSEQNR: the directory's 64-bit sequence number as two uint32
    /// (high word first), which grows with every change to the directory.
    func getSequenceNumber(_ header: Header) -> Result<[UInt8], ErrorCode> {
        switch acquire(header.private, required: 0) {
        case .failure(let e): return .failure(e)
        case .success(let n):
            let s = directories[n]!.sequence
            var w = BufferWriter()
            try! w.write(UInt32(truncatingIfNeeded: s >> 32))  // no limit: cannot fail
            try! w.write(UInt32(truncatingIfNeeded: s))
            return .success(w.bytes)
        }
    }
}
