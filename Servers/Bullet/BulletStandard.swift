// The standard commands as the file server answers them: STD_INFO (`-`
// and the size for a file, "bullet server" for the super capability),
// STD_DESTROY, STD_RESTRICT (mask in `offset`), STD_TOUCH, STD_AGE (files
// not touched for `maximumLifetime` agings are destroyed, and
// abandoned uncommitted files after two), STD_COPY of a file of this
// server (copying from another server needs I/O a pure handler cannot do,
// so it is refused with STD_COMBAD) and STD_STATUS.

import AmoebaCore
import Storage

extension BulletServer {
    func info(_ header: Header) -> Result<[UInt8], ErrorCode> {
        switch validate(header.private, required: BulletRights.read) {
        case .success(let (n, state)):
            guard state == .committed else { return .failure(.capabilityBad) }
            var digits = String(committed[n]!.size)
            while digits.utf8.count < 8 { digits = " " + digits }
            return .success(Array("- \(digits) bytes".utf8))
        case .failure(.denied):
            return .failure(.denied)
        case .failure:
            let e = validateSuper(header.private, required: BulletRights.read)
            return e == .ok ? .success(Array("bullet server".utf8)) : .failure(e)
        }
    }

    func destroy(_ header: Header) -> Result<[UInt8], ErrorCode> {
        switch validate(header.private, required: BulletRights.destroy) {
        case .failure(let e): return .failure(e)
        case .success(let (n, state)):
            if state == .pending {
                dropPending(n)
                return .success([])
            }
            do {
                try store.commit(.remove(key: n))
            } catch {
                return .failure(.systemError)
            }
            committed[n] = nil
            return .success([])
        }
    }

    func restrict(_ reply: inout Header) -> Result<[UInt8], ErrorCode> {
        let p = reply.private
        let mask = UInt8(truncatingIfNeeded: reply.offset)
        let random: Port
        if p.object.value == 0 {
            guard validateSuper(p, required: 0) == .ok else { return .failure(.capabilityBad) }
            random = superRandom
        } else {
            switch validate(p, required: 0) {
            case .failure(let e): return .failure(e)
            case .success(let (n, state)):
                random = state == .committed ? committed[n]!.random : pending[n]!.random
            }
        }
        reply.private = PrivatePart(object: p.object, rights: Rights(rawValue: p.rights.rawValue & mask), random: random)
        return .success([])
    }

    func touch(_ header: Header) -> Result<[UInt8], ErrorCode> {
        switch validate(header.private, required: 0) {
        case .failure(let e): return .failure(e)
        case .success(let (n, state)):
            if state == .committed { committed[n]!.lifetime = maximumLifetime }
            else { pending[n]!.idle = 0 }
            return .success([])
        }
    }

    func age(_ header: Header) -> Result<[UInt8], ErrorCode> {
        let e = validateSuper(header.private, required: 0xFF)
        guard e == .ok else { return .failure(e) }
        var expired = [UInt32]()
        for n in committed.keys.sorted() {
            committed[n]!.lifetime -= 1
            if committed[n]!.lifetime == 0 { expired.append(n) }
        }
        if !expired.isEmpty {
            do {
                try store.commit(expired.map { .remove(key: $0) })
            } catch {
                for n in expired { committed[n]!.lifetime = 1 }
                return .failure(.systemError)
            }
            for n in expired { committed[n] = nil }
        }
        for n in pending.keys.sorted() {
            pending[n]!.idle += 1
            if pending[n]!.idle > 2 { dropPending(n) }
        }
        return .success([])
    }

    func status() -> Result<[UInt8], ErrorCode> {
        var bytes = 0
        for (_, f) in committed { bytes += f.size }
        let s = "bullet: \(committed.count) files, \(bytes) bytes, \(pending.count) uncommitted"
        return .success(Array(s.utf8))
    }

    /// STD_COPY: the buffer holds the capability of a committed file of
    /// this server (read right needed); the reply carries the owner
    /// capability of a new, committed copy. The request's own capability
    /// must allow creation.
    func copy(_ reply: inout Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        let p = reply.private
        if p.object.value == 0 {
            let e = validateSuper(p, required: BulletRights.create)
            guard e == .ok else { return .failure(e) }
        } else if case .failure(let e) = validate(p, required: BulletRights.create) {
            return .failure(e)
        }
        var r = BufferReader(data)
        guard let source = try? r.readCapability() else { return .failure(.argumentBad) }
        guard source.port == putPort else { return .failure(.commandBad) }
        let n: UInt32
        switch validate(source.private, required: BulletRights.read) {
        case .failure(let e): return .failure(e)
        case .success(let (found, state)):
            guard state == .committed else { return .failure(.capabilityBad) }
            n = found
        }
        let size = committed[n]!.size
        // Copied through memory, so bounded as uncommitted files are there.
        guard size <= pendingLimits.bytes else { return .failure(.noSpace) }
        let bytes: [UInt8]
        do {
            bytes = try store.read(n, offset: Self.recordHeader, count: size)
        } catch {
            return .failure(.systemError)
        }
        guard bytes.count == size, let copy = freeObject() else { return .failure(.systemError) }
        let random = newRandom()
        pending[copy] = PendingFile(random: random, data: bytes, idle: 0)
        let e = commitFile(copy)
        guard e == .ok else {
            pending[copy] = nil
            return .failure(e)
        }
        reply.port = putPort
        reply.private = ownerPrivate(copy, random)
        return .success([])
    }
}
