// The kernel directory: the names of this kernel's servers and their
// capabilities, in memory, served like any other object.
//
// It answers the standard commands (its std_info starts with `%`, Amoeba's
// mark for a kernel directory) and two directory commands with the SOAP
// numbers: LIST, whose reply data is one line per entry, `name` then the
// capability in the `cap` text form; and LOOKUP, whose request data is a
// name and whose reply data is the 16-byte capability, restricted to the
// rights the directory capability itself carries. The buffer layout is this
// kernel's own, not yet SOAP's row/column encoding.
import AmoebaCore

public enum DirectoryCommand {
    public static let list: UInt16 = 2102
    public static let lookup: UInt16 = 2106
}

public enum DirectoryError: Error, Equatable, Sendable {
    case exists
    case badName
}

public final class KernelDirectory {
    public struct Entry: Sendable {
        public let name: String
        public let capability: Capability
    }

    public let identity: ServiceIdentity
    public private(set) var entries: [Entry] = []

    public init(identity: ServiceIdentity) { self.identity = identity }

    public func add(_ name: String, _ capability: Capability) throws(DirectoryError) {
        guard !name.isEmpty, name.utf8.count <= 64, !name.utf8.contains(0x2F) else { throw .badName }
        if lookup(name) != nil { throw .exists }
        entries.append(Entry(name: name, capability: capability))
    }

    public func lookup(_ name: String) -> Capability? {
        for e in entries where e.name == name { return e.capability }
        return nil
    }

    /// One line per entry: the listing a newcomer sees on the console.
    public var listing: String {
        var s = ""
        for e in entries { s += e.name + " " + e.capability.text + "\n" }
        return s
    }

    public func handle(_ request: Message) -> Message {
        if let r = StandardRequests.handle(request, identity: identity, info: "% kernel directory",
                                           status: { "\(self.entries.count) entries" }) {
            return r
        }
        guard let rights = identity.rights(of: request.header) else { return .status(.capabilityBad) }
        switch request.header.command {
        case DirectoryCommand.list:
            return .text(listing)
        case DirectoryCommand.lookup:
            guard let name = StandardRequests.name(in: request.body) else { return .status(.argumentBad) }
            guard var cap = lookup(name) else { return .status(.notFound) }
            if rights != .all, let restricted = try? Restriction.restrict(cap, to: Rights(rawValue: cap.private.rights.rawValue & rights.rawValue)) {
                cap = restricted
            }
            var reply = Message.status(.ok)
            reply.body = cap.bytes
            reply.header.size = UInt16(Capability.size)
            return reply
        default:
            return .status(.commandBad)
        }
    }
}
