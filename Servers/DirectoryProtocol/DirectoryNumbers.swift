// The numbers of the SOAP directory protocol (Amoeba 5.3): commands, the
// directory server's own error codes, the rights bits, and the limits on
// names, paths and columns. Everything here is a wire fact; the SOAP
// server, a node's own directory, the client tools and the kernel's user
// library must agree on it with any Amoeba 5.3 node, which is why it is a
// module of its own that each of them imports without the server.

import AmoebaCore

/// SOAP command codes, 2100 and up.
public enum DirectoryCommand {
    public static let create: UInt16 = 2100
    public static let discard: UInt16 = 2101
    public static let list: UInt16 = 2102
    public static let append: UInt16 = 2103
    public static let chmod: UInt16 = 2104
    public static let delete: UInt16 = 2105
    public static let lookup: UInt16 = 2106
    public static let setLookup: UInt16 = 2107
    public static let install: UInt16 = 2108
    public static let putType: UInt16 = 2109
    public static let replace: UInt16 = 2110
    public static let getMasks: UInt16 = 2111
    public static let getSequenceNumber: UInt16 = 2112
}

extension ErrorCode {
    /// SP_UNAVAIL: no replica of the directory answered.
    public static let directoryUnavailable = ErrorCode(rawValue: -2101)
    /// SP_NOTEMPTY: a directory with rows cannot be destroyed.
    public static let directoryNotEmpty = ErrorCode(rawValue: -2102)
    /// SP_UNREACH: the object is gone, or no capability in a set could be
    /// restricted.
    public static let directoryUnreachable = ErrorCode(rawValue: -2103)
    /// SP_CLASH: an INSTALL found a different capability than expected.
    public static let directoryClash = ErrorCode(rawValue: -2104)
}

/// Rights bits in a directory capability. The low bits select columns
/// (owner, group, other, ...); the top two allow modification and deletion.
public enum DirectoryRights {
    /// SP_DELRGT: destroy the directory.
    public static let delete: UInt8 = 0x80
    /// SP_MODRGT: change its rows.
    public static let modify: UInt8 = 0x40
    /// SP_COLMASK: every column bit a directory can have.
    public static let columnMask: UInt8 = 0x0F

    /// The column bits a directory of `columns` columns really has.
    public static func columns(_ count: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (1 << count) - 1)
    }
}

/// Limits of the protocol.
public enum DirectoryLimits {
    /// SP_MAXCOLUMNS.
    public static let maxColumns = 4
    /// NAME_MAX: longest row or column name in bytes.
    public static let maxName = 255
    /// PATH_MAX: longest path a LOOKUP accepts, in bytes.
    public static let maxPath = 255
    /// MAXCAPSET: most capabilities in a capability set.
    public static let maxSuites = 8
    /// SP_NOMOREROWS: the `extra` of a LIST reply that returned every row.
    public static let noMoreRows: UInt16 = 0xFFFF
    /// SP_BUFSIZE: the buffer Amoeba's clients list and look up into.
    public static let clientBuffer = 8 * 1024
}

/// The rules for row and column names: 1 to NAME_MAX printable ASCII
/// characters other than space and slash.
public enum DirectoryName {
    public static func isValid(_ name: String) -> Bool {
        var n = 0
        for c in name.utf8 {
            guard c >= 0x21, c <= 0x7E, c != UInt8(ascii: "/") else { return false }
            n += 1
        }
        // "." and ".." name the directory and its parent in a path: as row
        // names they would make a path mean two things.
        return n >= 1 && n <= DirectoryLimits.maxName && name != "." && name != ".."
    }
}
