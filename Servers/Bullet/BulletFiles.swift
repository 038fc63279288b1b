// The file commands: CREATE, MODIFY, INSERT, DELETE (which build files),
// READ and SIZE (which read committed ones) and SYNC.
//
// Offsets travel in the header's `offset`, the commit flags in `extra`,
// data in the buffer; DELETE's byte count is an int32 in the buffer. A
// READ returns at most `size` bytes from `offset`, fewer only at the end of
// the file, which is how the client's read loop knows it has reached it.

import AmoebaCore
import Storage

extension BulletServer {
    enum Change { case modify, insert, delete }

    /// CREATE: a new file holding the buffer, committed if `extra` says so;
    /// the reply header carries its owner capability.
    func create(_ reply: inout Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        let p = reply.private
        if p.object.value == 0 {
            let e = validateSuper(p, required: BulletRights.create)
            guard e == .ok else { return .failure(e) }
        } else if case .failure(let e) = validate(p, required: BulletRights.create) {
            return .failure(e)
        }
        guard let n = freeObject() else { return .failure(.noSpace) }
        let random = newRandom()
        if reply.extra & BulletCommit.commit == 0, streamsUploads, stageBytes == nil {
            switch startDraft(n, random, data) {
            case .failure(let e): return .failure(e)
            case .success(let started):
                if started {
                    reply.port = putPort
                    reply.private = ownerPrivate(n, random)
                    return .success([])
                }
            }
        }
        pending[n] = PendingFile(random: random, data: data, idle: 0)
        if reply.extra & BulletCommit.commit != 0 {
            let e = commitFile(n)
            guard e == .ok else {
                pending[n] = nil
                return .failure(e)
            }
        }
        reply.port = putPort
        reply.private = ownerPrivate(n, random)
        return .success([])
    }

    /// MODIFY, INSERT and DELETE. On a committed file they work on a new
    /// uncommitted copy and return its capability.
    func change(_ reply: inout Header, _ data: [UInt8], _ kind: Change) -> Result<[UInt8], ErrorCode> {
        let (n, state): (UInt32, FileState)
        switch validate(reply.private, required: BulletRights.read | BulletRights.modify) {
        case .failure(let e): return .failure(e)
        case .success(let found): (n, state) = found
        }
        let current = state == .pending ? pending[n]!.size : committed[n]!.size
        let offset = Int(reply.offset)
        // A piece that overtook the ones in front of it waits for them
        // (BulletEarlyWrites.swift).
        if kind == .modify, state == .pending, offset > current, reply.extra & BulletCommit.commit == 0 {
            let e = holdEarly(n, offset: offset, data)
            return e == .ok ? .success([]) : .failure(e)
        }
        guard offset >= 0, offset <= current else { return .failure(.argumentBad) }
        if kind != .modify, state == .pending, !pending[n]!.early.isEmpty { return .failure(.argumentBad) }
        var count = data.count
        if kind == .insert, count <= 0 { return .failure(.argumentBad) }
        if kind == .delete {
            var r = BufferReader(data)
            guard let c = try? r.readInt32(), c > 0 else { return .failure(.argumentBad) }
            count = min(Int(c), current - offset)
        }
        var target = n
        if state == .committed {
            // The copy is made in memory: a file larger than uncommitted
            // files may hold there (a kernel node's heap) cannot be changed.
            guard current <= pendingLimits.bytes, let copy = freeObject() else { return .failure(.noSpace) }
            let bytes: [UInt8]
            do {
                bytes = try store.read(n, offset: Self.recordHeader, count: current)
            } catch {
                return .failure(.systemError)
            }
            guard bytes.count == current else { return .failure(.systemError) }
            let random = newRandom()
            pending[copy] = PendingFile(random: random, data: bytes, idle: 0)
            target = copy
            reply.port = putPort
            reply.private = ownerPrivate(copy, random)
        }
        // A change among staged bytes needs them back in memory.
        if offset < pending[target]!.stagedBytes {
            let e = unstage(target)
            guard e == .ok else { return .failure(e) }
        }
        // A drafted file takes MODIFYs in its draft; anything else needs
        // its bytes back in memory.
        if pending[target]!.drafted {
            if kind == .modify { return writeDrafted(target, at: offset, data, commit: reply.extra & BulletCommit.commit != 0) }
            let e = undraft(target)
            guard e == .ok else { return .failure(e) }
        }
        // Take the file out of the table while changing it, so its bytes
        // have one owner and are changed in place rather than copied.
        var file = pending.removeValue(forKey: target)!
        let at = offset - file.stagedBytes   // within the bytes in memory
        switch kind {
        case .modify:
            // The offset never lies past the end, so there is no gap to
            // fill; held pieces the new end reaches follow.
            Self.write(data, at: at, into: &file)
            if !file.early.isEmpty { Self.applyEarly(to: &file) }
        case .insert:
            file.data.insert(contentsOf: data, at: at)
        case .delete:
            file.data.removeSubrange(at..<(at + count))
        }
        file.idle = 0
        let gap = !file.early.isEmpty
        pending[target] = file
        // A commit with pieces still held would commit a file with a gap.
        if reply.extra & BulletCommit.commit != 0 && gap { return .failure(.argumentBad) }
        let e = reply.extra & BulletCommit.commit != 0 ? commitFile(target) : stageIfLarge(target)
        guard e == .ok else { return .failure(e) }
        return .success([])
    }

    /// READ: up to `size` bytes from `offset` of a committed file.
    func read(_ reply: inout Header) -> Result<[UInt8], ErrorCode> {
        guard Int(reply.size) <= BulletLimits.maxRead else { return .failure(.argumentBad) }
        let n: UInt32
        switch validate(reply.private, required: BulletRights.read) {
        case .failure(let e): return .failure(e)
        case .success(let (found, state)):
            guard state == .committed else { return .failure(.capabilityBad) }
            n = found
        }
        let want = Int(reply.size)
        if want == 0 { return .success([]) }
        let total = committed[n]!.size
        let offset = Int(reply.offset)
        guard offset >= 0, offset <= total else { return .failure(.argumentBad) }
        let count = min(want, total - offset)
        if count == 0 { return .success([]) }
        do {
            let bytes = try store.read(n, offset: Self.recordHeader + offset, count: count)
            guard bytes.count == count else { return .failure(.systemError) }
            committed[n]!.lifetime = maximumLifetime
            return .success(bytes)
        } catch {
            return .failure(.systemError)
        }
    }

    /// SIZE: the committed file's size in the reply's `offset`.
    func size(_ reply: inout Header) -> Result<[UInt8], ErrorCode> {
        switch validate(reply.private, required: BulletRights.read) {
        case .failure(let e): return .failure(e)
        case .success(let (n, state)):
            guard state == .committed else { return .failure(.capabilityBad) }
            reply.offset = Int32(truncatingIfNeeded: committed[n]!.size)
            return .success([])
        }
    }

    /// SYNC: every committed file is already on disk when its commit is
    /// acknowledged, so there is nothing to flush; the capability is checked.
    func sync(_ header: Header) -> Result<[UInt8], ErrorCode> {
        let e = validateSuper(header.private, required: 0)
        return e == .ok ? .success([]) : .failure(e)
    }
}
