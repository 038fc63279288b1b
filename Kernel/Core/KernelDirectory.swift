// The kernel directory: the names of this kernel's servers and their
// capabilities, in memory, served like any other object.
//
// It answers the standard commands (its std_info starts with `%`, Amoeba's
// mark for a kernel directory) and SOAP's two reading commands in SOAP's
// own buffer layout (DirectoryLayout): LIST, paged, with the columns
// owner, group and other; and LOOKUP of a path whose first component names
// an entry. Each row grants all rights in every column, so a lookup yields
// the server's capability as long as the caller's directory capability
// selects some column, and nothing (STD_DENIED) when it selects none.
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
    static let columns = ["owner", "group", "other"]
    /// The rights bits that select those columns.
    static let columnBits: UInt8 = 0x07

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
            let rows = entries.map { (name: $0.name, masks: [UInt32](repeating: 0xFF, count: KernelDirectory.columns.count)) }
            guard let page = DirectoryLayout.listPage(columns: KernelDirectory.columns, rows: rows,
                                                      first: Int(request.header.extra),
                                                      limit: Int(request.header.size)) else { return .status(.overflow) }
            var reply = Message.status(.ok)
            reply.body = page.data
            reply.header.size = UInt16(truncatingIfNeeded: page.data.count)
            reply.header.extra = page.next
            return reply
        case DirectoryCommand.lookup:
            guard let path = StandardRequests.name(in: request.body) else { return .status(.argumentBad) }
            var first = Substring(path)
            while first.first == "/" { first = first.dropFirst() }
            let name = first.prefix { $0 != "/" }
            var rest = first.dropFirst(name.count)
            while rest.first == "/" { rest = rest.dropFirst() }
            guard let cap = lookup(String(name)) else { return .status(.notFound) }
            guard rights.rawValue & KernelDirectory.columnBits != 0 else { return .status(.denied) }
            var reply = Message.status(.ok)
            reply.body = DirectoryLayout.lookupReply(rest: String(rest), capability: cap)
            reply.header.size = UInt16(truncatingIfNeeded: reply.body.count)
            return reply
        default:
            return .status(.commandBad)
        }
    }
}
