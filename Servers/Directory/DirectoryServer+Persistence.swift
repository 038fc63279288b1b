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

    /// Commits changes to directories and, only if the store accepted
    /// them, makes them the server's state. A row change is committed as a
    /// row-change record while the directory's log stays within half its
    /// base, and folded with the log into a whole new base otherwise; a
    /// whole directory (or its removal) is always written whole. Each
    /// directory may appear once. Nothing here copies a directory unless it
    /// writes it whole: a logged change is applied in place, after the
    /// commit, so that it costs time in proportion to the rows changed.
    func save(_ edits: [(UInt32, DirectoryEdit)]) -> ErrorCode {
        var changes = [StoreChange]()
        var adopted = [(UInt32, Adoption)]()
        var total = storedBytes
        var logCount = logKeyCount
        // Keys restart from the bottom whenever no record is left, so the
        // key space runs out only after four billion changes with some log
        // never folded; then changes are written whole until it empties.
        var next = logCount == 0 ? DirectoryLogRecord.firstKey : nextLogKey
        for (n, edit) in edits {
            let whole: Directory?
            switch edit {
            case .rows(let record):
                if let form = storedForms[n], directories[n] != nil, next < UInt32.max {
                    let bytes = record.encoded()
                    if form.logBytes + bytes.count <= form.base / 2 {
                        changes.append(.write(key: next, bytes: bytes))
                        let growth = record.growth(from: directories[n]!)
                        adopted.append((n, .logged(record, key: next, bytes: bytes.count, growth: growth)))
                        logCount += 1
                        next += 1
                        total += growth
                        continue
                    }
                }
                guard var dir = directories[n] else { continue }
                record.apply(to: &dir)
                whole = dir
            case .whole(let dir):
                whole = dir
            }
            for k in storedForms[n]?.logKeys ?? [] { changes.append(.remove(key: k)) }
            logCount -= storedForms[n]?.logKeys.count ?? 0
            total -= storedSizes[n] ?? 0
            if let dir = whole {
                let bytes = dir.encoded()
                changes.append(.write(key: n, bytes: bytes))
                total += bytes.count
                adopted.append((n, .whole(dir, size: bytes.count)))
            } else {
                changes.append(.remove(key: n))
                adopted.append((n, .removed))
            }
        }
        if total > sizeLimit, total > storedBytes { return .noSpace }
        do {
            try store.commit(changes)
        } catch {
            return error == .noSpace ? .noSpace : .systemError
        }
        for (n, adoption) in adopted {
            switch adoption {
            case .logged(let record, let key, let bytes, let growth):
                record.apply(to: &directories[n]!)
                storedForms[n]!.logKeys.append(key)
                storedForms[n]!.logBytes += bytes
                storedSizes[n]! += growth
            case .whole(let dir, let size):
                directories[n] = dir
                storedForms[n] = StoredForm(base: size)
                storedSizes[n] = size
            case .removed:
                directories[n] = nil
                storedForms[n] = nil
                storedSizes[n] = nil
            }
        }
        storedBytes = total
        logKeyCount = logCount
        nextLogKey = next
        return .ok
    }
}

/// What a command asks `save` to commit for one directory.
enum DirectoryEdit {
    /// A change to some of its rows (each named once), with its new
    /// sequence number.
    case rows(DirectoryLogRecord)
    /// The directory as a whole, new or replaced; nil removes it.
    case whole(Directory?)
}

/// What `save` makes the server's state once the store has committed.
private enum Adoption {
    case logged(DirectoryLogRecord, key: UInt32, bytes: Int, growth: Int)
    case whole(Directory, size: Int)
    case removed
}
