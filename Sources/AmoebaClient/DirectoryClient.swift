// The directory operations the tools use, over any transport: look up a
// multi-component path from a root capability, list a directory (all its
// pages), append, delete, create and read a row's masks.
//
// LOOKUP is a loop on purpose. A directory server resolves as much of a
// path as lies in its own directories and hands back the rest with the
// capability where it stopped; the client carries on at that capability's
// server. A server that makes no progress means the path runs through
// something that is not a directory, which is STD_NOTFOUND, never a loop.

import AmoebaCore
import DirectoryProtocol

/// One row of a listing: its name and one rights mask per column.
public struct DirectoryEntry: Equatable, Sendable {
    public var name: String
    public var masks: [UInt32]

    public init(name: String, masks: [UInt32]) {
        self.name = name
        self.masks = masks
    }
}

/// A whole directory as LIST shows it.
public struct DirectoryListing: Equatable, Sendable {
    public var columns: [String]
    public var entries: [DirectoryEntry]
}

public struct DirectoryClient<T: Transactor> {
    public let transport: T
    /// The capability paths start from.
    public let root: Capability

    /// The most servers one lookup may pass through.
    public static var maxHops: Int { 32 }

    public init(transport: T, root: Capability) {
        self.transport = transport
        self.root = root
    }

    // MARK: names

    /// The capability set `path` names.
    public func lookupSet(_ path: AmoebaPath) throws(ErrorCode) -> CapabilitySet {
        if path.isRoot { return CapabilitySet(root) }
        var at = root
        var rest = path.text
        for _ in 0..<Self.maxHops {
            let r = try transport.call(Header(capability: at, command: DirectoryCommand.lookup),
                                       DirectoryRequest.name(rest))
            let answer: (rest: String, capabilities: CapabilitySet)
            do {
                answer = try DirectoryReply.lookup(r.data)
            } catch {
                throw .systemError
            }
            let left = answer.rest.utf8.split(separator: UInt8(ascii: "/")).count
            if left == 0 { return answer.capabilities }
            guard answer.rest != rest, let next = answer.capabilities.current.first else { throw .notFound }
            at = next
            rest = answer.rest
        }
        throw .notFound
    }

    /// The first current capability `path` names.
    public func lookup(_ path: AmoebaPath) throws(ErrorCode) -> Capability {
        guard let cap = try lookupSet(path).current.first else { throw .directoryUnreachable }
        return cap
    }

    /// The directory holding `path`'s last row, and the row's name.
    public func parent(of path: AmoebaPath) throws(ErrorCode) -> (directory: Capability, name: String) {
        guard let (parent, name) = path.parentAndName else { throw .argumentBad }
        return (try lookup(parent), name)
    }

    // MARK: rows

    /// Every row of `directory`, asking page after page.
    public func list(_ directory: Capability) throws(ErrorCode) -> DirectoryListing {
        var columns = [String]()
        var entries = [DirectoryEntry]()
        var first: UInt16 = 0
        while true {
            var h = Header(capability: directory, command: DirectoryCommand.list)
            h.extra = first
            h.size = UInt16(DirectoryLimits.clientBuffer)
            let r = try transport.call(h)
            let page: DirectoryReply.ListPage
            do {
                page = try DirectoryReply.list(r.data)
            } catch {
                throw .systemError
            }
            columns = page.columns
            for row in page.rows { entries.append(DirectoryEntry(name: row.name, masks: row.masks)) }
            let next = r.header.extra
            if next == DirectoryLimits.noMoreRows { break }
            // A server that does not move forward would have us ask forever.
            guard next > first else { throw .overflow }
            first = next
        }
        return DirectoryListing(columns: columns, entries: entries)
    }

    /// When each row of `names` was made or last changed (SOAP keeps a time
    /// per row, in seconds), asked with SETLOOKUP a batch at a time. Rows
    /// that went meanwhile are left out.
    public func rowTimes(_ names: [String], in directory: Capability) throws(ErrorCode) -> [String: Int32] {
        var times = [String: Int32]()
        let set = CapabilitySet(directory)
        var start = 0
        while start < names.count {
            let batch = Array(names[start..<min(start + 32, names.count)])
            let r = try transport.call(Header(capability: directory, command: DirectoryCommand.setLookup),
                                       DirectoryRequest.setLookup(batch.map { (set, $0) }))
            let entries: [DirectoryReply.Entry]
            do {
                entries = try DirectoryReply.setLookup(r.data, count: batch.count)
            } catch {
                throw .systemError
            }
            for (name, e) in zip(batch, entries) where e.status == .ok { times[name] = e.time }
            start += batch.count
        }
        return times
    }

    /// Enters `capabilities` as `name` in `directory` with one mask per column.
    public func append(_ name: String, _ capabilities: CapabilitySet, masks: [UInt32],
                       in directory: Capability) throws(ErrorCode) {
        guard DirectoryName.isValid(name) else { throw .argumentBad }
        _ = try transport.call(Header(capability: directory, command: DirectoryCommand.append),
                               DirectoryRequest.append(name: name, capabilities: capabilities, masks: masks))
    }

    /// Gives row `name` of `directory` the capability set `capabilities`,
    /// in one step (the row never goes missing), its masks unchanged;
    /// STD_NOTFOUND when there is no such row.
    public func replace(_ name: String, _ capabilities: CapabilitySet, in directory: Capability) throws(ErrorCode) {
        guard DirectoryName.isValid(name) else { throw .argumentBad }
        _ = try transport.call(Header(capability: directory, command: DirectoryCommand.replace),
                               DirectoryRequest.replace(name: name, capabilities: capabilities))
    }

    /// Removes row `name` from `directory` (the object it names stays).
    public func delete(_ name: String, in directory: Capability) throws(ErrorCode) {
        guard DirectoryName.isValid(name) else { throw .argumentBad }
        _ = try transport.call(Header(capability: directory, command: DirectoryCommand.delete),
                               DirectoryRequest.name(name))
    }

    /// Sets the column masks of row `name` in `directory`.
    public func changeMasks(of name: String, to masks: [UInt32], in directory: Capability) throws(ErrorCode) {
        guard DirectoryName.isValid(name) else { throw .argumentBad }
        _ = try transport.call(Header(capability: directory, command: DirectoryCommand.chmod),
                               DirectoryRequest.chmod(name: name, masks: masks))
    }

    /// A new directory with `columns` on the server of `server` (any
    /// directory capability of it); returns its owner capability.
    public func create(columns: [String], on server: Capability) throws(ErrorCode) -> Capability {
        let r = try transport.call(Header(capability: server, command: DirectoryCommand.create),
                                   DirectoryRequest.create(columns: columns))
        return r.header.capability
    }

    /// The column masks of row `name`.
    public func masks(of name: String, in directory: Capability) throws(ErrorCode) -> [UInt32] {
        let r = try transport.call(Header(capability: directory, command: DirectoryCommand.getMasks),
                                   DirectoryRequest.name(name))
        do {
            return try DirectoryReply.masks(r.data)
        } catch {
            throw .systemError
        }
    }

    // MARK: whole paths

    /// Enters `capability` under `path` (its parent must exist).
    public func enter(_ path: AmoebaPath, _ capability: Capability, masks: [UInt32]) throws(ErrorCode) {
        let (dir, name) = try parent(of: path)
        try append(name, CapabilitySet(capability), masks: masks, in: dir)
    }

    /// Makes a new directory at `path`, with the columns of its parent, and
    /// enters it there. If the append fails the new directory is destroyed
    /// again so that nothing is left unreachable.
    public func makeDirectory(_ path: AmoebaPath, masks: [UInt32]) throws(ErrorCode) -> Capability {
        let (dir, name) = try parent(of: path)
        let columns = try list(dir).columns
        let made = try create(columns: columns, on: dir)
        do throws(ErrorCode) {
            try append(name, CapabilitySet(made), masks: masks, in: dir)
        } catch {
            _ = try? transport.call(Header(capability: made, command: StandardCommand.destroy))
            throw error
        }
        return made
    }
}
