// Uploads written to disk as they arrive. An uncommitted file lives in
// memory (BulletPending.swift) and is written whole by its commit; for a
// 50 MB put on a Linux host that is 50 MB copied into memory piece by
// piece, then 50 MB written to the file system while the client waits for
// the commit's reply and the link stands idle.
//
// So a server told to (`streamsUploads`) on a store that keeps drafts (a
// DiskStore: a temporary file) starts each upload as a draft holding the
// record the commit would write, the file's random number then its bytes,
// and writes every MODIFY into it as it comes, overwriting or extending;
// pieces that overtook others (BulletEarlyWrites.swift) follow the moment
// the end reaches them. The commit then only syncs the draft and renames
// it into place, which is what a program writing a file and fsyncing it at
// the end does, and the crash promise is the store's: a commit is
// acknowledged only once the record is durable, and a crash forgets every
// draft, as it forgets every uncommitted file. INSERT and DELETE, which
// shift bytes, bring the file back into memory first, within the
// uncommitted files' memory bound, as a change among staged bytes does.

import AmoebaCore
import Storage

extension BulletServer {
    /// Starts pending file `n` as a draft holding `data`; false if the
    /// store keeps no drafts.
    func startDraft(_ n: UInt32, _ random: Port, _ data: [UInt8]) -> Result<Bool, ErrorCode> {
        do {
            guard try store.startDraft(n, random.bytes + data) else { return .success(false) }
        } catch {
            store.dropDraft(n)
            return .failure(error == .noSpace ? .noSpace : .systemError)
        }
        pending[n] = PendingFile(random: random, data: [], idle: 0, drafted: true, draftBytes: data.count)
        return .success(true)
    }

    /// MODIFY of drafted file `n` at `offset`, at most its size; then the
    /// held pieces its new end reaches, and the commit if asked for.
    func writeDrafted(_ n: UInt32, at offset: Int, _ data: [UInt8], commit: Bool) -> Result<[UInt8], ErrorCode> {
        do {
            try store.writeDraft(n, at: Self.recordHeader + offset, data)
            pending[n]!.draftBytes = max(pending[n]!.draftBytes, offset + data.count)
            while let next = pending[n]!.early.keys.min(), next <= pending[n]!.size {
                let piece = pending[n]!.early.removeValue(forKey: next)!
                pending[n]!.earlyBytes -= piece.count
                try store.writeDraft(n, at: Self.recordHeader + next, piece)
                pending[n]!.draftBytes = max(pending[n]!.draftBytes, next + piece.count)
            }
        } catch {
            return .failure(error == .noSpace ? .noSpace : .systemError)
        }
        pending[n]!.idle = 0
        guard commit else { return .success([]) }
        // A commit with pieces still held would commit a file with a gap.
        guard pending[n]!.early.isEmpty else { return .failure(.argumentBad) }
        let e = commitFile(n)
        return e == .ok ? .success([]) : .failure(e)
    }

    /// Brings drafted file `n`'s bytes into memory and drops its draft.
    func undraft(_ n: UInt32) -> ErrorCode {
        guard let f = pending[n], f.drafted else { return .ok }
        guard f.size <= pendingLimits.bytes else { return .noSpace }
        let record: [UInt8]
        do {
            record = try store.readDraft(n)
        } catch {
            return .systemError
        }
        guard record.count == Self.recordHeader + f.draftBytes else { return .systemError }
        store.dropDraft(n)
        pending[n]!.data = Array(record[Self.recordHeader...])
        pending[n]!.drafted = false
        pending[n]!.draftBytes = 0
        return .ok
    }
}
