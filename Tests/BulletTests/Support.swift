// Helpers for the Bullet tests: a seeded random source, a server on a
// memory store, and a client that writes and reads files the way Amoeba's
// b_create/b_modify/b_read stubs do.

import AmoebaCore
import Storage
import Bullet
import TestSupport


func pattern(_ n: Int, seed: Int = 0) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8 &+ seed) }
}

final class BulletClient<S: ObjectStore> {
    let server: BulletServer<S>
    init(_ server: BulletServer<S>) { self.server = server }

    func call(_ cap: Capability, _ command: UInt16, _ data: [UInt8] = [],
              offset: Int32 = 0, size: UInt16? = nil, extra: UInt16 = 0) -> (Header, [UInt8]) {
        var h = Header(capability: cap, command: command)
        h.offset = offset
        h.size = size ?? UInt16(truncatingIfNeeded: data.count)
        h.extra = extra
        return server.handle(header: h, data: data)
    }

    /// b_create: CREATE with the first piece, MODIFY for the rest, the
    /// commit flags on the last request only.
    func create(_ data: [UInt8], commit: Bool = true, piece: Int = BulletLimits.requestData,
                with cap: Capability? = nil) -> (ErrorCode, Capability) {
        var h = Header(capability: cap ?? server.superCapability, command: BulletCommand.create)
        var sent = 0
        repeat {
            let chunk = Array(data[sent..<min(sent + piece, data.count)])
            h.size = UInt16(chunk.count)
            let last = sent + chunk.count == data.count
            h.extra = last && commit ? BulletCommit.commit | BulletCommit.safety : 0
            let (reply, _) = server.handle(header: h, data: chunk)
            if reply.status != .ok { return (reply.status, reply.capability) }
            sent += chunk.count
            h = reply
            h.command = BulletCommand.modify
            h.offset = Int32(sent)
        } while sent < data.count
        return (.ok, h.capability)
    }

    /// b_read: READs of up to `piece` bytes until a short one.
    func readAll(_ cap: Capability, piece: Int = BulletLimits.requestData) -> (ErrorCode, [UInt8]) {
        var out = [UInt8]()
        while true {
            let (h, d) = call(cap, BulletCommand.read, offset: Int32(out.count), size: UInt16(piece))
            if h.status != .ok { return (h.status, out) }
            out += d
            if d.count < piece { return (.ok, out) }
        }
    }

    func size(_ cap: Capability) -> (ErrorCode, Int) {
        let (h, _) = call(cap, BulletCommand.size)
        return (h.status, Int(h.offset))
    }

    func restricted(_ cap: Capability, _ mask: UInt8) -> Capability {
        call(cap, StandardCommand.restrict, offset: Int32(mask)).0.capability
    }
}

func memoryBullet(seed: UInt64 = 3) -> (MemoryStore, BulletClient<MemoryStore>) {
    let store = MemoryStore()
    return (store, BulletClient(try! BulletServer(store: store, generator: SeededRandom(seed))))
}
