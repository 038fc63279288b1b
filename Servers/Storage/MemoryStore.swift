// The in-memory store: what a kernel node without a disk uses, and what
// most tests run the servers on.
//
// It can also be told to fail its next commits, so tests can prove that a
// server which cannot persist a change refuses it instead of acknowledging
// it and keeping it only in memory. Drafts it keeps only when told to
// (`keepsDrafts`): in a kernel node a draft would be memory all the same,
// and tests of servers that use drafts run on it as on a disk.

public final class MemoryStore: ObjectStore {
    private var values: [UInt32: [UInt8]] = [:]
    /// When positive, the next commits fail with `injectedFailure` and
    /// change nothing; each failure counts it down by one.
    public var failingCommits = 0
    public var injectedFailure = StorageError.noSpace
    /// How many batches have been committed, for tests that count writes.
    public private(set) var commitCount = 0
    /// Whether `startDraft` starts one.
    public var keepsDrafts = false
    public private(set) var drafts: [UInt32: [UInt8]] = [:]

    public init() {}

    public func keys() -> [UInt32] { values.keys.sorted() }

    public func size(of key: UInt32) -> Int? { values[key]?.count }

    public func read(_ key: UInt32) throws(StorageError) -> [UInt8] {
        guard let v = values[key] else { throw .missing }
        return v
    }

    public func read(_ key: UInt32, offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        guard let v = values[key] else { throw .missing }
        return clampedSlice(v, offset: offset, count: count)
    }

    public func commit(_ changes: [StoreChange]) throws(StorageError) {
        if failingCommits > 0 {
            failingCommits -= 1
            throw injectedFailure
        }
        for change in changes {
            switch change {
            case .write(let key, let bytes): values[key] = bytes
            case .remove(let key): values[key] = nil
            }
        }
        commitCount += 1
    }

    public func startDraft(_ key: UInt32, _ bytes: [UInt8]) throws(StorageError) -> Bool {
        guard keepsDrafts else { return false }
        drafts[key] = bytes
        return true
    }

    public func writeDraft(_ key: UInt32, at offset: Int, _ bytes: [UInt8]) throws(StorageError) {
        guard var d = drafts.removeValue(forKey: key) else { throw .missing }
        guard offset >= 0, offset <= d.count else { throw .corrupt }
        let overlap = min(offset + bytes.count, d.count) - offset
        if overlap > 0 { d.replaceSubrange(offset..<(offset + overlap), with: bytes[0..<overlap]) }
        if overlap < bytes.count { d.append(contentsOf: bytes[overlap...]) }
        drafts[key] = d
    }

    public func readDraft(_ key: UInt32) throws(StorageError) -> [UInt8] {
        guard let d = drafts[key] else { throw .missing }
        return d
    }

    public func commitDraft(_ key: UInt32) throws(StorageError) {
        guard let d = drafts[key] else { throw .missing }
        try commit(.write(key: key, bytes: d))
        drafts[key] = nil
    }

    public func dropDraft(_ key: UInt32) { drafts[key] = nil }
}

/// `bytes[offset..<offset+count]` clamped to the array, never trapping.
public func clampedSlice(_ bytes: [UInt8], offset: Int, count: Int) -> [UInt8] {
    guard offset >= 0, count > 0, offset < bytes.count else { return [] }
    let end = count > bytes.count - offset ? bytes.count : offset + count
    return Array(bytes[offset..<end])
}
