// Paths in the name space, as the tools take them on the command line.
//
// A path is a list of row names separated by slashes, read from the root
// directory whether or not it starts with one (Linux programs have no
// Amoeba working directory). Splitting is done once here so that every
// tool refuses the same bad paths with the same error: an empty component
// is skipped as Amoeba does, a component that is not a valid row name and
// a path longer than a LOOKUP accepts are STD_ARGBAD before anything is
// sent.

import AmoebaCore
import DirectoryProtocol

public struct AmoebaPath: Equatable, Sendable {
    public let components: [String]

    /// Parses `text`; throws STD_ARGBAD for a bad name or an overlong path.
    public init(_ text: String) throws(ErrorCode) {
        guard text.utf8.count <= DirectoryLimits.maxPath else { throw .argumentBad }
        var parts = [String]()
        for piece in text.split(separator: "/", omittingEmptySubsequences: true) {
            let name = String(piece)
            guard DirectoryName.isValid(name) else { throw .argumentBad }
            parts.append(name)
        }
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
