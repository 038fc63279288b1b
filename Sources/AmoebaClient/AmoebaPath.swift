// Paths in the name space, as the tools take them on the command line.
//
// A path is a list of row names separated by slashes. One that starts with
// a slash is read from the root; any other from a base, the working
// directory (Amoeba's WORK, which falls back to ROOT: see AmoebaNames'
// WorkingDirectory). `.` and `..` are resolved here, by name, as Plan 9
// does: a directory graph has no single parent to ask, so `..` means the
// path without its last component, and `..` at the root stays there.
// Splitting is done once here so that every tool refuses the same bad
// paths with the same error: an empty component is skipped as Amoeba does,
// a component that is not a valid row name and a path longer than a LOOKUP
// accepts are STD_ARGBAD before anything is sent.

import AmoebaCore
import DirectoryProtocol

public struct AmoebaPath: Equatable, Sendable {
    public let components: [String]

    /// Parses `text` from the root; throws STD_ARGBAD for a bad name or an
    /// overlong path.
    public init(_ text: String) throws(ErrorCode) {
        try self.init(text, from: AmoebaPath(components: []))
    }

    /// Parses `text`, read from `base` unless it starts with a slash.
    public init(_ text: String, from base: AmoebaPath) throws(ErrorCode) {
        guard text.utf8.count <= DirectoryLimits.maxPath else { throw .argumentBad }
        var parts = text.utf8.first == UInt8(ascii: "/") ? [] : base.components
        for piece in text.split(separator: "/", omittingEmptySubsequences: true) {
            let name = String(piece)
            if name == "." { continue }
            if name == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            guard DirectoryName.isValid(name) else { throw .argumentBad }
            parts.append(name)
        }
        var length = 0
        for p in parts { length += p.utf8.count + 1 }
        guard length <= DirectoryLimits.maxPath else { throw .argumentBad }
        components = parts
    }

    public init(components: [String]) {
        self.components = components
    }

    public var isRoot: Bool { components.isEmpty }

    /// The directory holding the last component, and that component's name;
    /// nil for the root, which has no parent.
    public var parentAndName: (parent: AmoebaPath, name: String)? {
        guard let last = components.last else { return nil }
        return (AmoebaPath(components: Array(components.dropLast())), last)
    }

    /// The path as LOOKUP takes it: components joined by slashes.
    public var text: String {
        var s = ""
        for (i, c) in components.enumerated() {
            if i > 0 { s += "/" }
            s += c
        }
        return s
    }

    /// The path as a user writes it, from the root: `/home/ann`.
    public var absolute: String { "/" + text }
}
