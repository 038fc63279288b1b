// How dir lays out its rows: every column as wide as its widest cell, so
// long names and large files stay aligned, and file sizes right-aligned in
// a column of their own (in bytes, or human-readable with -h).
//
// It is a pure function of the rows, apart from the tool that fetches them,
// so that the layout is tested without a network.

import AmoebaCore
import StdTools

/// One row as dir shows it; a nil cell is a column that was not asked for.
public struct ListingRow: Equatable, Sendable {
    public var name: String
    public var masks: [UInt32]?
    /// STD_INFO's first line, or why it could not be had.
    public var info: Result<String, ErrorCode>?
    public var capability: String?
    public var set: String?

    public init(name: String, masks: [UInt32]? = nil, info: Result<String, ErrorCode>? = nil,
                capability: String? = nil, set: String? = nil) {
        self.name = name
        self.masks = masks
        self.info = info
        self.capability = capability
        self.set = set
    }
}

public struct ListingTable {
    /// The directory's column names (owner, group, other), for -c's header.
    public var columns: [String]
    /// Sizes as 1.5K, 230M instead of bytes.
    public var human: Bool

    public init(columns: [String] = [], human: Bool = false) {
        self.columns = columns
        self.human = human
    }

    /// The lines to print: a header of column names when masks are shown,
    /// then one line per row. Rows with no extra cells are bare names.
    public func render(_ rows: [ListingRow]) -> [String] {
        let showMasks = rows.contains { $0.masks != nil }
        let extras = showMasks || rows.contains { $0.info != nil || $0.capability != nil || $0.set != nil }
        guard extras else { return rows.map(\.name) }
        let nameWidth = max(rows.map { $0.name.count }.max() ?? 0, 1)
        let maskCount = max(columns.count, rows.map { $0.masks?.count ?? 0 }.max() ?? 0)
        var maskWidths = [Int](repeating: 2, count: maskCount)
        for i in 0..<maskCount {
            if i < columns.count { maskWidths[i] = max(maskWidths[i], columns[i].count) }
            for r in rows { if let m = r.masks, i < m.count { maskWidths[i] = max(maskWidths[i], String(m[i], radix: 16).count) } }
        }
        let infos = rows.map { $0.info.map(infoCell) }
        let sizeWidth = infos.compactMap { $0?.size?.count }.max() ?? 0
        // Capabilities after the descriptions line up only if every
        // description is padded to the widest.
        let followed = rows.contains { $0.capability != nil || $0.set != nil }
        let infoWidth = followed ? infos.map { $0.map { infoText($0, sizeWidth).count } ?? 0 }.max() ?? 0 : 0

        var lines = [String]()
        if showMasks {
            var h = pad("", nameWidth)
            for i in 0..<maskCount { h += "  " + pad(i < columns.count ? columns[i] : "", maskWidths[i]) }
            lines.append(trimmed(h))
        }
        for (r, info) in zip(rows, infos) {
            var s = pad(r.name, nameWidth)
            if showMasks {
                for i in 0..<maskCount {
                    let m = r.masks.flatMap { i < $0.count ? String($0[i], radix: 16) : nil } ?? ""
                    s += "  " + pad(m, maskWidths[i])
                }
            }
            if let info { s += "  " + pad(infoText(info, sizeWidth), infoWidth) }
            if let c = r.capability { s += "  " + c }
            if let x = r.set { s += "  " + x }
            lines.append(trimmed(s))
        }
        return lines
    }

    func infoText(_ info: (text: String, size: String?), _ sizeWidth: Int) -> String {
        guard let size = info.size else { return info.text }
        return "-  " + String(repeating: " ", count: sizeWidth - size.count) + size + (human ? "" : " bytes")
    }

    /// A file's STD_INFO (`-   N bytes`) becomes its size alone, to be
    /// aligned across rows; anything else is shown as the object gave it.
    func infoCell(_ info: Result<String, ErrorCode>) -> (text: String, size: String?) {
        switch info {
        case .failure(let e): return ("? " + ErrorWords.explain(e), nil)
        case .success(let text):
            let parts = text.split(separator: " ")
            if parts.count == 3, parts[0] == "-", parts[2] == "bytes", let n = UInt64(parts[1]) {
                return (text, human ? Self.humanSize(n) : String(n))
            }
            return (text, nil)
        }
    }

    /// 1023, 1.5K, 12K, 230M: one decimal below ten, powers of 1024.
    public static func humanSize(_ n: UInt64) -> String {
        if n < 1024 { return String(n) }
        var v = Double(n)
        var unit = 0
        let units = ["K", "M", "G", "T", "P"]
        repeat { v /= 1024; unit += 1 } while v >= 1024 && unit < units.count
        let tenths = (v * 10).rounded()
        if tenths < 100 {
            return "\(Int(tenths) / 10).\(Int(tenths) % 10)\(units[unit - 1])"
        }
        return "\(Int(v.rounded()))\(units[unit - 1])"
    }

    func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    func trimmed(_ s: String) -> String {
        var s = Substring(s)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// A row as `dir --json` prints it: the same cells as the table, each in a
/// field of its own, and a file's size as a number.
public struct ListingRowJSON: Encodable {
    public var name: String
    /// Rights mask per directory column, by column name.
    public var masks: [String: UInt32]?
    public var info: String?
    /// A file's size in bytes, read from its STD_INFO (`-  N bytes`).
    public var size: UInt64?
    public var error: String?
    public var capability: String?
    public var set: String?

    public init(_ row: ListingRow, columns: [String]) {
        name = row.name
        if let m = row.masks {
            var byColumn = [String: UInt32]()
            for (i, mask) in m.enumerated() { byColumn[i < columns.count ? columns[i] : "column\(i + 1)"] = mask }
            masks = byColumn
        }
        switch row.info {
        case .success(let text)?:
            info = text
            let parts = text.split(separator: " ")
            if parts.count == 3, parts[0] == "-", parts[2] == "bytes" { size = UInt64(parts[1]) }
        case .failure(let e)?:
            error = e.name
        case nil:
            break
        }
        capability = row.capability
        set = row.set
    }
}
