// What each Amoeba error means, in words a user can act on.
//
// The tools print `tool: path: words (NAME)`: the words tell a person what
// happened, the Amoeba name stays for scripts, logs and the manuals. Kept
// apart from ErrorCode (which the kernel shares) because only the Linux
// tools need the prose.

import AmoebaCore

public enum ErrorWords {
    private static let table: [Int16: String] = [
        -1: "no answer from the server (it or its host may be down)",
        -2: "no server answers for this capability's port",
        -3: "bad address",
        -4: "the call was aborted",
        -5: "the server is busy: try again",
        -6: "the RPC layer refused the command",
        -7: "the server failed while calling another server",
        -8: "bad port",
        -9: "the call could not be sent safely",
        -1000: "invalid capability (forged, stale, or the object is gone)",
        -1001: "the object does not understand this command",
        -1002: "bad argument",
        -1003: "not now: try again later",
        -1004: "the server is out of space",
        -1005: "permission denied (the capability lacks the right)",
        -1006: "the server is out of memory",
        -1007: "already exists",
        -1008: "not found",
        -1009: "the server failed internally",
        -1010: "interrupted",
        -1011: "too large",
        -1012: "write-protected",
        -1013: "no medium",
        -2101: "no replica of the directory answered",
        -2102: "directory not empty",
        -2103: "unreachable: the object is gone",
        -2104: "changed by someone else meanwhile",
    ]

    /// Words for `code`, then its Amoeba name in parentheses.
    public static func explain(_ code: ErrorCode) -> String {
        guard let words = table[code.rawValue] else { return code.name }
        return "\(words) (\(code.name))"
    }
}
