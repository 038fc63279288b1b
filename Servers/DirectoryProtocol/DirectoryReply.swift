// SOAP reply buffers, both halves: the encoders a directory server fills
// its replies with and the decoders a client reads them back with. LIST
// and LOOKUP are the two every directory answers (the SOAP server and a
// node's own directory alike); SETLOOKUP, GETMASKS and GETSEQNR complete
// the set. Decoders read hostile bytes: they check every length before
// using it and throw, never trap.

import AmoebaCore

public enum DirectoryReply {
    /// Encodes one LIST page: int16 columns, int16 rows, the column names,
    /// then whole rows (name and an int32 mask per column) from row `first`
    /// as far as `limit` bytes allow. `next` is the first row left out, or
    /// `DirectoryLimits.noMoreRows`; nil when not even the heading fits.
    public static func listPage(columns: [String], rows: [(name: String, masks: [UInt32])], first: Int,
                                limit: Int) -> (data: [UInt8], next: UInt16)? {
        var w = BufferWriter(limit: limit)
        do {
            try w.write(Int16(truncatingIfNeeded: columns.count))
            try w.write(Int16(truncatingIfNeeded: rows.count))
            for c in columns { try w.write(string: c) }
        } catch {
            return nil
        }
        var row = max(0, first)
        while row < rows.count {
            let saved = w
            do {
                try w.write(string: rows[row].name)
                // Exactly one mask per column, whatever the row holds, so
                // that a reader can find the next row.
                let masks = rows[row].masks
                for c in columns.indices { try w.write(c < masks.count ? masks[c] : 0) }
            } catch {
                return (saved.bytes, UInt16(truncatingIfNeeded: row))
            }
            row += 1
        }
        return (w.bytes, DirectoryLimits.noMoreRows)
    }

    /// One LIST reply: the directory's columns and row count, and the rows
    /// this page carried. Ask again with `extra` = the reply's `extra`
    /// until it is `DirectoryLimits.noMoreRows`.
    public struct ListPage: Equatable, Sendable {
        public var columns: [String]
        public var totalRows: Int
        public var rows: [(name: String, masks: [UInt32])]

        public static func == (a: ListPage, b: ListPage) -> Bool {
            a.columns == b.columns && a.totalRows == b.totalRows && a.rows.count == b.rows.count
                && zip(a.rows, b.rows).allSatisfy { $0.name == $1.name && $0.masks == $1.masks }
        }
    }

    public static func list(_ data: [UInt8]) throws(MarshalError) -> ListPage {
        var r = BufferReader(data)
        let ncols = Int(try r.readInt16())
        let nrows = Int(try r.readInt16())
        guard ncols >= 0, ncols <= DirectoryLimits.maxColumns, nrows >= 0 else { throw .invalidValue }
        var columns = [String]()
        for _ in 0..<ncols { columns.append(try r.readString()) }
        var rows = [(name: String, masks: [UInt32])]()
        while !r.isAtEnd {
            let name = try r.readString()
            var masks = [UInt32]()
            for _ in 0..<ncols { masks.append(try r.readUInt32()) }
            rows.append((name, masks))
        }
        return ListPage(columns: columns, totalRows: nrows, rows: rows)
    }

    /// A LOOKUP answer: the part of the path left unresolved (NUL-terminated)
    /// and the capability set reached, as it stands (a server that restricts
    /// the set writes it with `CapabilitySet.writeRestricted`).
    public static func lookup(rest: String, capabilities: CapabilitySet) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: rest)  // no limit: these writes cannot fail
        try! capabilities.encode(into: &w)
        return w.bytes
    }

    /// LOOKUP: the part of the path the server did not resolve, and the
    /// capability set it reached.
    public static func lookup(_ data: [UInt8]) throws(MarshalError) -> (rest: String, capabilities: CapabilitySet) {
        var r = BufferReader(data)
        let rest = try r.readString()
        return (rest, try CapabilitySet.decode(from: &r))
    }

    /// One SETLOOKUP result.
    public struct Entry: Equatable, Sendable {
        public var status: ErrorCode
        public var typeCapability: Capability
        public var time: Int32
        public var capabilities: CapabilitySet
    }

    public static func setLookup(_ data: [UInt8], count: Int) throws(MarshalError) -> [Entry] {
        guard count >= 0 else { throw .invalidValue }
        var r = BufferReader(data)
        var out = [Entry]()
        for _ in 0..<count {
            let status = ErrorCode(rawValue: try r.readInt16())
            if status != .ok {
                out.append(Entry(status: status, typeCapability: .null, time: 0, capabilities: .empty))
                continue
            }
            let type = try r.readCapability()
            let time = try r.readInt32()
            out.append(Entry(status: status, typeCapability: type, time: time,
                             capabilities: try CapabilitySet.decode(from: &r)))
        }
        return out
    }

    /// A GETMASKS answer: one int32 mask per column.
    public static func masks(encoding masks: [UInt32]) -> [UInt8] {
        var w = BufferWriter()
        for m in masks { try! w.write(m) }  // no limit: cannot fail
        return w.bytes
    }

    /// GETMASKS: one mask per column.
    public static func masks(_ data: [UInt8]) throws(MarshalError) -> [UInt32] {
        var r = BufferReader(data)
        var out = [UInt32]()
        while r.remaining >= 4 { out.append(try r.readUInt32()) }
        guard r.isAtEnd else { throw .invalidValue }
        return out
    }

    /// GETSEQNR: the 64-bit sequence number (high word first).
    public static func sequenceNumber(_ data: [UInt8]) throws(MarshalError) -> UInt64 {
        var r = BufferReader(data)
        let high = UInt64(try r.readUInt32())
        return high << 32 | UInt64(try r.readUInt32())
    }
}
