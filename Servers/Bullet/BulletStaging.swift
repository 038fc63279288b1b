// Uploads larger than the server's memory. An uncommitted file lives in
// memory (BulletPending.swift), which is right on a Linux host but not in
// a kernel node, whose heap is a few megabytes: there a client putting a
// 20 MB file would need 20 MB of heap until its commit.
//
// So a server given `stageBytes` moves an uncommitted file's bytes to the
// store whenever they reach that many, as a part under a key of its own
// above every object number; memory keeps only the tail. The commit then
// joins the file's random number, its parts and the tail into the file's
// record in one batch that also removes the parts
// (ObjectStore.commit(_:joining:from:)), so a committed file is stored
// exactly as one written whole, and the crash promise is unchanged: a
// commit is acknowledged only once the joined record is durable.
//
// Parts belong to uncommitted files, which a crash forgets: the server
// removes any it finds when it starts. A file dropped while uncommitted
// (expired, destroyed, pushed out) has its parts removed with it. A change
// that is not at the tail (MODIFY of bytes already staged, INSERT or
// DELETE before the tail) brings the parts back into memory first, if the
// whole file fits within the uncommitted files' memory bound, else it is
// refused with STD_NOSPACE: uploads only ever append.

import AmoebaCore
import Storage

extension BulletServer {
    /// Parts are stored under keys from here up: object numbers are 24 bits.
    static var firstPartKey: UInt32 { 1 << 24 }

    /// Removes the parts of uploads a crash interrupted (every store key
    /// from `firstPartKey` up); the committed files are the rest.
    func removeOrphanParts() throws(StorageError) {
        let orphans = store.keys().filter { $0 >= Self.firstPartKey }
        if !orphans.isEmpty { try store.commit(orphans.map { .remove(key: $0) }) }
    }

    /// An unused part key.
    func newPartKey() -> UInt32 {
        var k = nextPartKey
        while store.size(of: k) != nil { k = k == UInt32.max ? Self.firstPartKey : k + 1 }
        nextPartKey = k == UInt32.max ? Self.firstPartKey : k + 1
        return k
    }

    /// Moves pending file `n`'s bytes in memory to the store once there
    /// are `stageBytes` of them.
    func stageIfLarge(_ n: UInt32) -> ErrorCode {
        guard let limit = stageBytes, let f = pending[n], f.data.count >= limit else { return .ok }
        let key = newPartKey()
        do {
            try store.commit(.write(key: key, bytes: f.data))
        } catch {
            return error == .noSpace ? .noSpace : .systemError
        }
        pending[n]!.staged.append(key)
        pending[n]!.stagedBytes += f.data.count
        pending[n]!.data = []
        return .ok
    }

    /// Brings pending file `n`'s parts back into memory, for a change
    /// before its tail.
    func unstage(_ n: UInt32) -> ErrorCode {
        guard let f = pending[n], !f.staged.isEmpty else { return .ok }
        guard f.size <= pendingLimits.bytes else { return .noSpace }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(f.size)
        do {
            for k in f.staged { bytes += try store.read(k) }
            try store.commit(f.staged.map { .remove(key: $0) })
        } catch {
            return .systemError
        }
        pending[n]!.data = bytes + f.data
        pending[n]!.staged = []
        pending[n]!.stagedBytes = 0
        return .ok
    }

    /// Forgets pending file `n` and removes its parts. A failure to remove
    /// them leaves orphans that the next start removes.
    func dropPending(_ n: UInt32) {
        guard let f = pending.removeValue(forKey: n) else { return }
        if f.drafted { store.dropDraft(n) }
        guard !f.staged.isEmpty else { return }
        try? store.commit(f.staged.map { .remove(key: $0) })
    }

    /// The committing batch of pending file `f` as object `n`: its record
    /// written whole, or joined from its parts (which go in the same batch).
    func storeCommitted(_ n: UInt32, _ f: PendingFile) throws(StorageError) {
        if f.drafted {
            try store.commitDraft(n)
        } else if f.staged.isEmpty {
            try store.commit(.write(key: n, bytes: f.random.bytes + f.data))
        } else {
            try store.commit(f.staged.map { .remove(key: $0) }, joining: n,
                             from: [.bytes(f.random.bytes)] + f.staged.map { .stored($0) } + [.bytes(f.data)])
        }
    }
}
