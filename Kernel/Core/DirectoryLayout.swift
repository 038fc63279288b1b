// The SOAP buffer layouts of LIST and LOOKUP, for the kernel directory.
//
// A kernel directory is read by the same tools as any directory server
// (`dir`, path lookups), so its buffers follow SOAP's wire format:
// LIST answers int16 column count, int16 row count, the column names, then
// whole rows (name and one int32 rights mask per column) as far as the
// caller's buffer allows, paging by the header's `extra`; LOOKUP takes a
// NUL-terminated path and answers the part of it left unresolved and the
// capability set reached (int16 initial, int16 count, then each
// capability with an int16 "current" flag). The user library reads LOOKUP
// replies with the same code.

import AmoebaCore

public enum DirectoryLayout {
    /// SP_NOMOREROWS in `extra`: the listing is complete.
    public static let noMoreRows: UInt16 = 0xFFFF

    /// A LIST page starting at row `first`, within `limit` bytes; nil when
    /// not even the heading fits. `next` is the first row left out.
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
                for m in rows[row].masks { try w.write(m) }
            } catch {
                return (saved.bytes, UInt16(truncatingIfNeeded: row))
            }
            row += 1
        }
        return (w.bytes, noMoreRows)
    }

    /// A LOOKUP answer: what is left of the path, and one capability.
    public static func lookupReply(rest: String, capability: Capability) -> [UInt8] {
        var w = BufferWriter()
        try? w.write(string: rest)
        try? w.write(Int16(1))
        try? w.write(Int16(1))
        try? w.write(capability)
        try? w.write(Int16(1))
        return w.bytes
    }

    /// Reads a LOOKUP answer: the rest of the path and the first current
    /// capability of the set; nil when malformed or empty.
    public static func parseLookupReply(_ data: [UInt8]) -> (rest: String, capability: Capability)? {
        var r = BufferReader(data)
        guard let rest = try? r.readString(), let _ = try? r.readInt16(), let count = try? r.readInt16(),
              count >= 0 else { return nil }
        for _ in 0..<Int(count) {
            guard let cap = try? r.readCapability(), let current = try? r.readInt16() else { return nil }
            if current != 0 { return (rest, cap) }
        }
        return nil
    }
}
