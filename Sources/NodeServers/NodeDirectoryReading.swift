// The node directory's reading commands, as SOAP answers them (sp_dolist,
// sp_dolookup, sp_dogetmasks): LIST pages its rows by `extra`; LOOKUP
// resolves the first component of a path and hands back the rest, with
// the row's capability restricted to what the caller's columns allow;
// GETMASKS gives a row's masks.
import AmoebaCore
import DirectoryProtocol

extension NodeDirectory {
    /// LIST: `extra` is the first row wanted, `size` the caller's buffer
    /// (larger than ours is STD_ARGBAD, before the capability is looked at).
    func list(_ header: Header) -> NodeMessage {
        guard Int(header.size) <= replyLimit else { return NodeReply.status(.argumentBad) }
        if let e = acquire(header, required: 0) { return NodeReply.status(e) }
        guard let page = DirectoryReply.listPage(columns: NodeDirectory.columns,
                                                 rows: entries.map { ($0.name, $0.masks) },
                                                 first: Int(header.extra), limit: Int(header.size)) else {
            return NodeReply.status(.overflow)
        }
        var reply = NodeReply.bytes(page.data)
        reply.header.extra = page.next
        return reply
    }

    /// LOOKUP: the buffer is a path. An empty one (or only slashes) reaches
    /// the directory itself. The capability comes back restricted to the
    /// union of the row's masks in the columns the caller's capability
    /// selects; the part of the path after the first component is returned
    /// for the caller to carry on with.
    func lookup(_ header: Header, _ data: [UInt8]) -> NodeMessage {
        guard let path = try? DirectoryRequest.lookupPath(data) else { return NodeReply.status(.argumentBad) }
        if let e = acquire(header, required: 0) { return NodeReply.status(e) }
        let slash = UInt8(ascii: "/")
        var i = path.startIndex
        while i < path.endIndex, path[i] == slash { i += 1 }
        var reached = CapabilitySet(header.capability)
        var have: UInt32 = 0xFF
        var rest = path[path.endIndex...]
        if i < path.endIndex {
            var j = i
            while j < path.endIndex, path[j] != slash { j += 1 }
            let name = path[i..<j]
            guard let entry = entries.first(where: { $0.name.utf8.elementsEqual(name) }) else {
                return NodeReply.status(.notFound)
            }
            let columns = UInt32(header.private.rights.rawValue & NodeDirectory.columnBits)
            have = 0
            for (c, mask) in entry.masks.enumerated() where columns & (1 << UInt32(c)) != 0 { have |= mask }
            reached = CapabilitySet(entry.capability)
            rest = j < path.endIndex ? path[(j + 1)...] : path[path.endIndex...]
        }
        var w = BufferWriter(limit: replyLimit)
        do {
            try w.write(bytes: rest)
            try w.write(UInt8(0))
            let status = try reached.writeRestricted(mask: UInt8(truncatingIfNeeded: have), into: &w) { cap, mask in
                let wanted = cap.private.rights.rawValue & mask
                if wanted == cap.private.rights.rawValue { return cap }
                return try? Restriction.restrict(cap, to: Rights(rawValue: wanted))
            }
            return status == .ok ? NodeReply.bytes(w.bytes) : NodeReply.status(status)
        } catch {
            return NodeReply.status(.overflow)
        }
    }

    /// GETMASKS: the buffer is a row name; the answer an int32 per column.
    func getMasks(_ header: Header, _ data: [UInt8]) -> NodeMessage {
        if let e = acquire(header, required: 0) { return NodeReply.status(e) }
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name) else { return NodeReply.status(.argumentBad) }
        guard let entry = entries.first(where: { $0.name == name }) else { return NodeReply.status(.notFound) }
        return NodeReply.bytes(DirectoryReply.masks(encoding: entry.masks))
    }
}
