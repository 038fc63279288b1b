// The storage interface both servers persist through.
//
// A server keeps its working state in memory and writes every change it
// acknowledges through an `ObjectStore` before it replies. The store sees
// only numbered byte strings (object number -> bytes); what the bytes mean
// is the server's business. That keeps one small contract for two very
// different places: a RAM table inside a kernel node, and a crash-safe
// directory of files on a Linux host.
//
// The one promise a store makes is in `commit`: when it returns, every
// change in the batch is durable, and after a crash at any moment either the
// whole batch is visible or none of it is. A server replies only after
// `commit` returns, so an acknowledged change can never be lost.

/// Why a store could not do what was asked.
public enum StorageError: Error, Equatable, Sendable {
    /// The medium is full.
    case noSpace
    /// An operating-system call failed with this errno.
    case system(Int32)
    /// Stored bytes did not decode; the store or its contents are damaged.
    case corrupt
    /// A read asked for a key that is not stored.
    case missing
    /// Another process has the store open.
    case busy
}

/// One change in a committed batch.
public enum StoreChange: Sendable, Equatable {
    /// Store `bytes` under `key`, replacing what was there.
    case write(key: UInt32, bytes: [UInt8])
    /// Forget `key`; removing a key that is absent is not an error.
    case remove(key: UInt32)

    public var key: UInt32 {
        switch self {
        case .write(let key, _), .remove(let key): return key
        }
    }
}

/// Numbered byte strings with atomic, durable batches.
///
/// Class-bound so that a server can hold one by reference and so that code
/// built for the kernel may use `any ObjectStore` where generics do not fit.
public protocol ObjectStore: AnyObject {
    /// Every stored key, in increasing order.
    func keys() -> [UInt32]
    /// The length of the value under `key`, nil when absent.
    func size(of key: UInt32) -> Int?
    /// The whole value under `key`.
    func read(_ key: UInt32) throws(StorageError) -> [UInt8]
    /// Up to `count` bytes of the value under `key` from `offset`; fewer at
    /// the end of the value, none past it.
    func read(_ key: UInt32, offset: Int, count: Int) throws(StorageError) -> [UInt8]
    /// Applies `changes` atomically and durably (see the file comment).
    func commit(_ changes: [StoreChange]) throws(StorageError)
    /// Like `commit(changes)`, with one more write in the same batch: `key`
    /// set to `pieces` one after the other, each a given byte string or
    /// the value some key held before the batch. How a value too large to
    /// hold in memory at once is made from parts stored one by one (a
    /// file uploaded in pieces); a store that can copies the stored
    /// pieces across without reading them whole.
    func commit(_ changes: [StoreChange], joining key: UInt32, from pieces: [StorePiece]) throws(StorageError)

    // Drafts: a value written as it arrives (a file uploaded in pieces),
    // invisible to `keys`, `size` and `read`, and made the value of its
    // key, durably and atomically, only by `commitDraft`. A crash forgets
    // every draft. A store without them says so in `startDraft` (the
    // defaults below), and its server keeps such values in memory instead.

    /// Starts the draft of `key`'s next value with `bytes`; false if the
    /// store keeps no drafts.
    func startDraft(_ key: UInt32, _ bytes: [UInt8]) throws(StorageError) -> Bool
    /// Writes `bytes` at `offset` of the draft of `key`, which is at most
    /// its current length: bytes are overwritten or appended, never a gap.
    func writeDraft(_ key: UInt32, at offset: Int, _ bytes: [UInt8]) throws(StorageError)
    /// The whole draft of `key`.
    func readDraft(_ key: UInt32) throws(StorageError) -> [UInt8]
    /// Makes the draft of `key` its value: durable when this returns, and
    /// after a crash either the old value or the draft whole.
    func commitDraft(_ key: UInt32) throws(StorageError)
    /// Forgets the draft of `key`, if any.
    func dropDraft(_ key: UInt32)
}

/// A piece of a joined value (`ObjectStore.commit(_:joining:from:)`).
public enum StorePiece: Sendable, Equatable {
    case bytes([UInt8])
    /// The value stored under this key before the batch.
    case stored(UInt32)
}

extension ObjectStore {
    public func startDraft(_ key: UInt32, _ bytes: [UInt8]) throws(StorageError) -> Bool { false }
    public func writeDraft(_ key: UInt32, at offset: Int, _ bytes: [UInt8]) throws(StorageError) { throw .missing }
    public func readDraft(_ key: UInt32) throws(StorageError) -> [UInt8] { throw .missing }
    public func commitDraft(_ key: UInt32) throws(StorageError) { throw .missing }
    public func dropDraft(_ key: UInt32) {}

    /// Commits a single change.
    public func commit(_ change: StoreChange) throws(StorageError) {
        try commit([change])
    }

    /// The joined value built in memory: for stores whose values are
    /// small or in memory anyway.
    public func commit(_ changes: [StoreChange], joining key: UInt32, from pieces: [StorePiece]) throws(StorageError) {
        var value: [UInt8] = []
        for p in pieces {
            switch p {
            case .bytes(let b): value += b
            case .stored(let k): value += try read(k)
            }
        }
        try commit(changes + [.write(key: key, bytes: value)])
    }
}
