// The commands that change directories: CREATE, DISCARD/STD_DESTROY,
// APPEND, REPLACE, CHMOD, DELETE, PUTTYPE and INSTALL.
//
// Each one parses its whole request before it checks rights, as SOAP does,
// so a malformed request is STD_ARGBAD whatever capability it carries.
// Each builds the new version of the directory aside and only adopts it once
// the store has committed it: a failure leaves the old state untouched.

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
            guard directories[n]!.rows.isEmpty else { return .failure(.directoryNotEmpty) }
            return done(save([(n, nil)]))
        }
    }

    /// APPEND: name, capability set, then 1 to 4 column masks.
    func append(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let set = try? CapabilitySet.decode(from: &r),
              let masks = readMasks(&r) else { return .failure(.argumentBad) }
        return modify(header, row: name) { dir throws(ErrorCode) in
            guard dir.row(named: name) == nil else { throw .exists }
            let cols = Array((masks + [0, 0, 0, 0]).prefix(dir.columns.count))
            dir.rows.append(DirectoryRow(name: name, capabilities: set, masks: cols, time: clock()))
        }
    }

    /// REPLACE: name and the capability set that replaces the row's.
    func replace(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let set = try? CapabilitySet.decode(from: &r) else { return .failure(.argumentBad) }
        return modify(header, row: name) { dir throws(ErrorCode) in
            guard let i = dir.row(named: name) else { throw .notFound }
            dir.rows[i].capabilities = set
            dir.rows[i].time = clock()
        }
    }

    /// CHMOD: name and 1 to 4 new column masks.
    func chmod(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let masks = readMasks(&r) else { return .failure(.argumentBad) }
        return modify(header, row: name) { dir throws(ErrorCode) in
            guard let i = dir.row(named: name) else { throw .notFound }
            dir.rows[i].masks = Array((masks + [0, 0, 0, 0]).prefix(dir.columns.count))
            dir.rows[i].time = clock()
        }
    }

    /// DELETE: the buffer is the row's name.
    func delete(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name) else { return .failure(.argumentBad) }
        return modify(header, row: name) { dir throws(ErrorCode) in
            guard let i = dir.row(named: name) else { throw .notFound }
            dir.rows.remove(at: i)
        }
    }

    /// PUTTYPE: name and a capability describing the object's type.
    func putType(_ header: Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        guard let name = try? r.readString(), DirectoryName.isValid(name),
              let type = try? r.readCapability() else { return .failure(.argumentBad) }
        return modify(header, row: name) { dir throws(ErrorCode) in
            guard let i = dir.row(named: name) else { throw .notFound }
            dir.rows[i].typeCapability = type
            dir.rows[i].time = clock()
        }
    }

    /// INSTALL: a list of (directory capability set, name, new capability
    /// set, old capability) applied all together or not at all. Each row
    /// must exist; when the old capability is not null it must be in the
    /// row's set (or be a restriction of one in it), and when it is null
    /// the row's set must be empty; otherwise SP_CLASH.
    func install(_ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        var r = BufferReader(data)
        var working = [UInt32: Directory]()
        var order = [UInt32]()
        var names = [UInt32: [String]]()
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
            var dir = working[n] ?? directories[n]!
            if rights & DirectoryRights.modify == 0 || rights & dir.columnBits == 0 {
                return .failure(.denied)
            }
            guard let i = dir.row(named: name) else { return .failure(.notFound) }
            guard matches(old, dir.rows[i].capabilities) else { return .failure(.directoryClash) }
            dir.rows[i].capabilities = set
            dir.rows[i].time = clock()
            if working[n] == nil { order.append(n) }
            working[n] = dir
            names[n, default: []].append(name)
        } while !r.isAtEnd
        for n in order { working[n]!.sequence &+= 1 }
        return done(save(order.map { ($0, working[$0]) }, rows: names))
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

    /// Checks the modify right, applies `change` (which sets or deletes the
    /// row called `row` and nothing else) to a copy of the directory,
    /// bumps its sequence number and commits it.
    private func modify(_ header: Header, row name: String, _ change: (inout Directory) throws(ErrorCode) -> Void) -> Result<[UInt8], ErrorCode> {
        switch acquire(header.private, required: DirectoryRights.modify) {
        case .failure(let e): return .failure(e)
        case .success(let n):
            var dir = directories[n]!
            do {
                try change(&dir)
            } catch {
                return .failure(error)
            }
            dir.sequence &+= 1
            return done(save([(n, dir)], rows: [n: [name]]))
        }
    }

    private func done(_ status: ErrorCode) -> Result<[UInt8], ErrorCode> {
        status == .ok ? .success([]) : .failure(status)
    }
}
