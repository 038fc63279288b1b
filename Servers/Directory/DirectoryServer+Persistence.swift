// How the directory server loads its directories from the store and
// commits their changes: each directory as its base record plus a short
// log of row-change records (DirectoryLog explains why and the bound on
// the log), so that a change to one row of a large directory commits bytes
// in proportion to the row, not to the directory.
//
// Every change is one `ObjectStore.commit`, atomic and durable, made
// before the server adopts the new state: a row-change record is written
// under a fresh key in the same batch as anything else the request
// changes, and folding a directory's log into its base (write the base,
// remove the records) is one batch too. A crash therefore leaves either
// the state before the request or the state after it, as before.

import AmoebaCore
import Storage

/// Where one directory lies in the store.
struct StoredForm {
    /// The length of its base record (under its object number).
    var base: Int
    /// Its row-change records' keys, oldest first, and their total length.
    var logKeys: [UInt32] = []
    var logBytes = 0
}

extension DirectoryServer {
    /// Reads every directory: bases first, then the row-change records in
    /// key order (the order they were committed in) replayed over them. A
    /// store written before row-change records existed holds bases only
    /// and loads as it did.
    func load() throws(StorageError) {
        var logKeys = [UInt32]()
        for key in store.keys() where key != ServerIdentity.key {
            if key >= DirectoryLogRecord.firstKey {
                logKeys.append(key)
                continue
            }
            let bytes = try store.read(key)
            do throws(MarshalError) {
                directories[key] = try Directory.decode(bytes)
            } catch {
                throw .corrupt
            }
            storedForms[key] = StoredForm(base: bytes.count)
        }
        for key in logKeys {  // increasing, as keys() gives them
            let bytes = try store.read(key)
            guard let n = try? DirectoryLogRecord.directory(of: bytes),
                  // A directory and its records go in one batch: a record
                  // without its directory means damage.
                  let columns = directories[n]?.columns.count,
                  let record = try? DirectoryLogRecord.decode(bytes, columns: columns) else { throw .corrupt }
            record.apply(to: &directories[n]!)
            storedForms[n]!.logKeys.append(key)
            storedForms[n]!.logBytes += bytes.count
        }
        logKeyCount = logKeys.count
        if let last = logKeys.last { nextLogKey = last == UInt32.max ? last : last + 1 }
        for (n, dir) in directories {
            let size = dir.encoded().count
            storedSizes[n] = size
            storedBytes += size
        }
    }

    /// Commits new versions of directories (nil removes one) and, only if
    /// the store accepted them, makes them the server's state. `rows`
    /// names, per directory, the rows the change set or deleted: such a
    /// directory is committed as a row-change record while its log stays
    /// within half its base, and whole (log folded in) otherwise; one not
    /// in `rows` is always written whole.
    func save(_ changed: [(UInt32, Directory?)], rows: [UInt32: [String]] = [:]) -> ErrorCode {
        var changes = [StoreChange]()
        var total = storedBytes
        var sizes = storedSizes
        var forms = storedForms
        var logCount = logKeyCount
        // Keys restart from the bottom whenever no record is left, so the
        // key space runs out only after four billion changes with some log
        // never folded; then changes are written whole until it empties.
        var next = logCount == 0 ? DirectoryLogRecord.firstKey : nextLogKey
        for (n, dir) in changed {
            guard let dir = dir else {
                for k in forms[n]?.logKeys ?? [] { changes.append(.remove(key: k)) }
                logCount -= forms[n]?.logKeys.count ?? 0
                changes.append(.remove(key: n))
                total -= sizes[n] ?? 0
                sizes[n] = nil
                forms[n] = nil
                continue
            }
            if let names = rows[n], let old = directories[n], let form = forms[n], next < UInt32.max {
                let record = DirectoryLogRecord.between(dir, rows: names, directory: n)
                let bytes = record.encoded()
                if form.logBytes + bytes.count <= form.base / 2 {
                    changes.append(.write(key: next, bytes: bytes))
                    forms[n]!.logKeys.append(next)
                    forms[n]!.logBytes += bytes.count
                    logCount += 1
                    next += 1
                    let growth = record.growth(from: old)
                    total += growth
                    sizes[n]! += growth
                    continue
                }
            }
            let bytes = dir.encoded()
            changes.append(.write(key: n, bytes: bytes))
            for k in forms[n]?.logKeys ?? [] { changes.append(.remove(key: k)) }
            logCount -= forms[n]?.logKeys.count ?? 0
            forms[n] = StoredForm(base: bytes.count)
            total += bytes.count - (sizes[n] ?? 0)
            sizes[n] = bytes.count
        }
        if total > sizeLimit, total > storedBytes { return .noSpace }
        do {
            try store.commit(changes)
        } catch {
            return error == .noSpace ? .noSpace : .systemError
        }
        for (n, dir) in changed { directories[n] = dir }
        storedBytes = total
        storedSizes = sizes
        storedForms = forms
        logKeyCount = logCount
        nextLogKey = next
        return .ok
    }
}
