// The commands that change directories: CREATE, DISCARD/STD_DESTROY,
// APPEND, REPLACE, CHMOD, DELETE, PUTTYPE and INSTALL.
//
// Each one parses its whole request before it checks rights, as SOAP does,
// so a malformed request is STD_ARGBAD whatever capability it carries.
// Each works out the rows it changes and has them committed (a row-change
// record, DirectoryLog) before the server applies them: a failure leaves the
// old state untouched.

import AmoebaCore
import DirectoryProtocol
import Storage

extension DirectoryServer {
    /// CREATE: the buffer holds 1 to 4 column names; the reply header
    /// carries the new directory's owner capability. Any valid directory
    /// capability with a column right may create.
    func create(_ reply: inout Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        if case .failure(let e) = acquire(reply.private, required: 0) { return .failure(e) }
        var r = BufferReader(data)
        var columns = [String]()
        while !r.isAtEnd, columns.count < DirectoryLimits.maxColumns {
            guard let name = try? r.readString() else { break }
            guard DirectoryName.isValid(name) else { return .failure(.argumentBad) }
            columns.append(name)
        }
        guard !columns.isEmpty, r.isAtEnd else { return .failure(.argumentBad) }
        do {
            let cap = try makeDirectory(columns: columns)
            reply.port = cap.port
            reply.private = cap.private
            return .success([])
        } catch {
            return .failure(error)
        }
    }

    /// DISCARD and STD_DESTROY: needs the delete right; only an empty
    /// directory can go.
    func destroy(_ header: Header) -> Result<[UInt8], ErrorCode> {
        switch acquire(header.private, required: DirectoryRights.delete) {
        case .failure(let e): return .failure(e)
        case .success(let n):
            guard directories[n]!.isEmpty else { return .failure(.directoryNotEmpty) }
            return done(save([(n, .whole(nil))]))
        }
    }

    /// APPEND: name, capability set, then 1 to 4 column masks.
    func append(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let set = try? CapabilitySet.decode(from: &r),
              let masks = readMasks(&r) else { return .failure(.argumentBad) }
        return modify(header) { dir throws(ErrorCode) in
            guard dir.row(named: name) == nil else { throw .exists }
            let cols = Array((masks + [0, 0, 0, 0]).prefix(dir.columns.count))
            return .set(DirectoryRow(name: name, capabilities: set, masks: cols, time: clock()))
        }
    }

    /// REPLACE: name and the capability set that replaces the row's.
    func replace(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let set = try? CapabilitySet.decode(from: &r) else { return .failure(.argumentBad) }
        return modify(header) { dir throws(ErrorCode) in
            guard var row = dir.row(named: name) else { throw .notFound }
            row.capabilities = set
            row.time = clock()
            return .set(row)
        }
    }

    /// CHMOD: name and 1 to 4 new column masks.
    func chmod(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let masks = readMasks(&r) else { return .failure(.argumentBad) }
        return modify(header) { dir throws(ErrorCode) in
            guard var row = dir.row(named: name) else { throw .notFound }
            row.masks = Array((masks + [0, 0, 0, 0]).prefix(dir.columns.count))
            row.time = clock()
            return .set(row)
        }
    }

    /// DELETE: the buffer is the row's name.
    func delete(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name) else { return .failure(.argumentBad) }
        return modify(header) { dir throws(ErrorCode) in
            guard dir.row(named: name) != nil else { throw .notFound }
            return .delete(name)
        }
    }

    /// PUTTYPE: name and a capability describing the object's type.
    func putType(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let type = try? r.readCapability() else { return .failure(.argumentBad) }
        return modify(header) { dir throws(ErrorCode) in
            guard var row = dir.row(named: name) else { throw .notFound }
            row.typeCapability = type
            row.time = clock()
            return .set(row)
        }
    }

    /// INSTALL: a list of (directory capability set, name, new capability
    /// set, old capability) applied all together or not at all. Each row
    /// must exist; when the old capability is not null it must be in the
    /// row's set (or be a restriction of one in it), and when it is null
    /// the row's set must be empty; otherwise SP_CLASH.
    func install(_ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        // Per directory, in the order first named, the rows as this request
        // leaves them (each name once): a later entry for the same row
        // sees what an earlier one installed.
        var order = [UInt32]()
        var installed = [UInt32: [DirectoryRow]]()
        repeat {
            guard let dirSet = try? CapabilitySet.decode(from: &r),
                  let name = try? r.readString(),
                  let set = try? CapabilitySet.decode(from: &r),
                  let old = try? r.readCapability(),
                  DirectoryName.isValid(name) else { return .failure(.argumentBad) }
            let n: UInt32, rights: UInt8
            switch ourDirectory(in: dirSet) {
            case .failure(let e): return .failure(e)
            case .success(let found): (n, rights) = found
            }
            if rights & DirectoryRights.modify == 0 || rights & directories[n]!.columnBits == 0 {
                return .failure(.denied)
            }
            let earlier = installed[n]?.lastIndex { $0.name == name }
            guard var row = earlier.map({ installed[n]![$0] }) ?? directories[n]!.row(named: name) else {
                return .failure(.notFound)
            }
            guard matches(old, row.capabilities) else { return .failure(.directoryClash) }
            row.capabilities = set
            row.time = clock()
            if installed[n] == nil { order.append(n) }
            if let earlier {
                installed[n]![earlier] = row
            } else {
                installed[n, default: []].append(row)
            }
        } while !r.isAtEnd
        return done(save(order.map { n in
            (n, .rows(DirectoryLogRecord(directory: n, sequence: directories[n]!.sequence &+ 1,
                                         changes: installed[n]!.map { .set($0) })))
        }))
    }

    // MARK: Helpers

    /// Whether `old` is what an INSTALL may replace in `set` (sp_tryreplace).
    private func matches(_ old: Capability, _ set: CapabilitySet) -> Bool {
        if old.port.isNull { return set.suites.isEmpty }
        if set.suites.contains(where: { $0.capability == old }) { return true }
        let want = old.private.rights.rawValue
        for s in set.suites where s.isCurrent && s.capability.port == old.port {
            let have = s.capability.private.rights.rawValue
            if have & want == want, restricted(s.capability, to: want) == old { return true }
        }
        return false
    }

    /// Reads 1 to 4 int32 column masks that must end the buffer; nil when
    /// there are none, more than four, or stray bytes.
    private func readMasks(_ r: inout BufferReader) -> [UInt32]? {
        var masks = [UInt32]()
        while masks.count < DirectoryLimits.maxColumns, r.remaining >= 4 {
            masks.append((try? r.readUInt32()) ?? 0)
        }
        guard !masks.isEmpty, r.isAtEnd else { return nil }
        return masks
    }

    /// Checks the modify right, asks `change` what to do to one row of the
    /// directory as it stands (it changes nothing itself), and commits that
    /// with the directory's sequence number bumped.
    private func modify(_ header: Header, _ change: (Directory) throws(ErrorCode) -> DirectoryLogRecord.Change) -> Result<[UInt8], ErrorCode> {
        switch acquire(header.private, required: DirectoryRights.modify) {
        case .failure(let e): return .failure(e)
        case .success(let n):
            let record: DirectoryLogRecord
            do {
                record = DirectoryLogRecord(directory: n, sequence: directories[n]!.sequence &+ 1,
                                            changes: [try change(directories[n]!)])
            } catch {
                return .failure(error)
            }
            return done(save([(n, .rows(record))]))
        }
    }

    private func done(_ status: ErrorCode) -> Result<[UInt8], ErrorCode> {
        status == .ok ? .success([]) : .failure(status)
    }
}
