// A node's own directory: the names of the node's servers and their
// capabilities (a kernel's directory, a Linux host's host directory), in
// memory, served like any other object.
//
// In Amoeba the kernel directory is the SOAP server's own code run inside
// the kernel (direct.c calls sp_trans), so this answers as a SOAP
// directory does, in SOAP's buffers (DirectoryProtocol): LIST and LOOKUP,
// GETMASKS, STD_INFO ("%" and the rights, as sp_doinfo writes it for a
// kernel), STD_TOUCH, STD_NTOUCH, STD_RESTRICT and STD_DESTROY (which
// needs the delete right and finds the directory not empty). Commands SOAP
// does not know, STD_AGE and STD_STATUS among them, are STD_COMBAD. The
// node fills the directory itself, so the commands that change rows are
// refused with STD_DENIED. It has the columns owner, group and other, and
// a row gets the masks {0xFF, 0, 0} unless the node says otherwise
// (dirappend), so a lookup through a group or other column gets a
// capability without rights.
//
// Its identity is an input: a kernel node's directory capability is to
// come from a configured secret (AMOEBA-FACTS §8, object 1).
import AmoebaCore
import DirectoryProtocol

public enum NodeDirectoryError: Error, Equatable, Sendable {
    case exists
    case badName
    case badMasks
}

public final class NodeDirectory {
    public struct Entry: Sendable {
        public let name: String
        public let capability: Capability
        /// One rights mask per column.
        public let masks: [UInt32]
    }

    public static let columns = ["owner", "group", "other"]
    /// What dirappend gives a row: all rights to the owner column, none to
    /// the others.
    public static let defaultMasks: [UInt32] = [0xFF, 0, 0]
    /// The column bits a capability for this directory can carry.
    static let columnBits = DirectoryRights.columns(columns.count)

    public let identity: ServiceIdentity
    public private(set) var entries: [Entry] = []
    /// The largest reply it fills, and the largest LIST buffer it accepts:
    /// SP_BUFSIZE, the kernel directory's buffer in Amoeba.
    public let replyLimit = DirectoryLimits.clientBuffer

    public init(identity: ServiceIdentity) { self.identity = identity }

    /// Enters `capability` as `name` (a SOAP row name: 1 to NAME_MAX
    /// printable characters, no space or slash).
    public func add(_ name: String, _ capability: Capability,
                    masks: [UInt32] = NodeDirectory.defaultMasks) throws(NodeDirectoryError) {
        guard DirectoryName.isValid(name) else { throw .badName }
        guard masks.count == NodeDirectory.columns.count else { throw .badMasks }
        if lookup(name) != nil { throw .exists }
        entries.append(Entry(name: name, capability: capability, masks: masks))
    }

    /// Takes the row `name` out (a kernel's `ps` directory drops a process
    /// that has ended); false when there is none.
    @discardableResult
    public func remove(_ name: String) -> Bool {
        guard let i = entries.firstIndex(where: { $0.name == name }) else { return false }
        entries.remove(at: i)
        return true
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

    public func handle(_ header: Header, _ data: [UInt8]) -> NodeMessage {
        switch header.command {
        case DirectoryCommand.list: return list(header)
        case DirectoryCommand.lookup: return lookup(header, data)
        case DirectoryCommand.getMasks: return getMasks(header, data)
        case StandardCommand.info: return info(header)
        case StandardCommand.touch:
            if header.private.object == .server { return NodeReply.status(.ok) }
            return NodeReply.status(check(header.private) ?? .ok)
        case StandardCommand.nTouch: return nTouch(header, data)
        case StandardCommand.restrict:
            if let e = acquire(header, required: 0) { return NodeReply.status(e) }
            return (identity.restrictReply(header), [])
        case StandardCommand.destroy, DirectoryCommand.discard:
            if let e = acquire(header, required: DirectoryRights.delete) { return NodeReply.status(e) }
            // SOAP destroys only an empty directory; this one lives as long
            // as its node even when empty.
            return NodeReply.status(entries.isEmpty ? .denied : .directoryNotEmpty)
        case DirectoryCommand.create, DirectoryCommand.append, DirectoryCommand.chmod, DirectoryCommand.delete,
             DirectoryCommand.install, DirectoryCommand.putType, DirectoryCommand.replace:
            return NodeReply.status(check(header.private) ?? .denied)
        default:
            return NodeReply.status(.commandBad)
        }
    }

    // MARK: capability checks

    /// Why `p` names nothing here (sp_getobj), nil when it is good: object
    /// 0 is the server's and never a directory, another object is gone.
    func check(_ p: PrivatePart) -> ErrorCode? {
        if p.object == .server { return .capabilityBad }
        guard p.object == identity.object else { return .directoryUnreachable }
        return p.isValid(forRandom: identity.random) ? nil : .capabilityBad
    }

    /// Why the request may not go on (sp_acquire), nil when it may: the
    /// capability must be good and carry `required` and a column bit.
    func acquire(_ header: Header, required: UInt8) -> ErrorCode? {
        if let e = check(header.private) { return e }
        let rights = header.private.rights.rawValue
        if rights & NodeDirectory.columnBits == 0 || rights & required != required { return .denied }
        return nil
    }

    // MARK: standard commands

    private func info(_ header: Header) -> NodeMessage {
        if header.private.object == .server { return NodeReply.text(DirectoryInfo.genericCapability) }
        if let e = check(header.private) { return NodeReply.status(e) }
        return NodeReply.text(DirectoryInfo.text(type: .kernelDirectory, rights: header.private.rights))
    }

    /// `size` private parts; `extra` answers how many were good, the status
    /// the last failure.
    private func nTouch(_ header: Header, _ data: [UInt8]) -> NodeMessage {
        guard let parts = try? DirectoryRequest.touchList(data, count: Int(header.size)) else {
            return NodeReply.status(.argumentBad)
        }
        var good: UInt16 = 0
        var last = ErrorCode.ok
        for p in parts {
            if p.object != .server, let e = check(p) {
                last = e
            } else {
                good += 1
            }
        }
        var h = Header.status(last)
        h.extra = good
        return (h, [])
    }
}
