// Helpers for the directory tests: a seeded random source, a server on a
// fresh memory store with a root directory, and request builders that
// marshal exactly as Amoeba's client stubs do.

import AmoebaCore
import Storage
import Directory
import DirectoryProtocol


/// A capability of some other server, as rows hold them.
func foreignCap(_ object: UInt32, rights: Rights = .all) -> Capability {
    let random = Port(hex: "0a0b0c0d0e0f")!
    return Capability(port: Port(hex: "c1c2c3c4c5c6")!,
                      private: PrivatePart(object: ObjectNumber(object)!, rights: rights, random: random))
}

final class Fixture {
    let store: MemoryStore
    let server: DirectoryServer<MemoryStore>
    let root: Capability

    init(seed: UInt64 = 1, store: MemoryStore = MemoryStore()) {
        self.store = store
        server = try! DirectoryServer(store: store, generator: SeededRandom(seed))
        root = try! server.createRootDirectory(columns: ["owner", "group", "other"])
    }

    func call(_ cap: Capability, _ command: UInt16, _ data: [UInt8] = [],
              offset: Int32 = 0, size: UInt16? = nil, extra: UInt16 = 0) -> (Header, [UInt8]) {
        var h = Header(capability: cap, command: command)
        h.offset = offset
        h.size = size ?? UInt16(truncatingIfNeeded: data.count)
        h.extra = extra
        return server.handle(header: h, data: data)
    }

    func status(_ cap: Capability, _ command: UInt16, _ data: [UInt8] = []) -> ErrorCode {
        call(cap, command, data).0.status
    }

    func append(_ dir: Capability, _ name: String, _ set: CapabilitySet, _ masks: [UInt32] = [0xFF, 0x0F, 0x01]) -> ErrorCode {
        status(dir, DirectoryCommand.append, Req.append(name, set, masks))
    }

    func create(_ dir: Capability, _ columns: [String] = ["owner", "group", "other"]) -> Capability? {
        let (h, _) = call(dir, DirectoryCommand.create, Req.strings(columns))
        return h.status == .ok ? h.capability : nil
    }

    /// LOOKUP: (status, rest of path, capability set).
    func lookup(_ dir: Capability, _ path: String) -> (ErrorCode, String, CapabilitySet?) {
        let (h, data) = call(dir, DirectoryCommand.lookup, Req.strings([path]))
        guard h.status == .ok else { return (h.status, "", nil) }
        var r = BufferReader(data)
        let rest = try! r.readString()
        let set = try! CapabilitySet.decode(from: &r)
        #expect(r.isAtEnd)
        return (h.status, rest, set)
    }

    /// Follows a path the way sp_lookup does, then returns the first
    /// capability of the set reached.
    func resolve(_ dir: Capability, _ path: String) -> Capability? {
        let (e, rest, set) = lookup(dir, path)
        guard e == .ok, rest.isEmpty, let set = set else { return nil }
        return set.current.first
    }

    /// A directory capability restricted to `rights` through STD_RESTRICT.
    func restricted(_ cap: Capability, _ rights: UInt8) -> Capability {
        let (h, _) = call(cap, StandardCommand.restrict, offset: Int32(rights))
        #expect(h.status == .ok)
        return h.capability
    }
}

import Testing
import TestSupport

enum Req {
    static func strings(_ s: [String]) -> [UInt8] {
        var w = BufferWriter()
        for x in s { try! w.write(string: x) }
        return w.bytes
    }

    static func append(_ name: String, _ set: CapabilitySet, _ masks: [UInt32]) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)
        try! set.encode(into: &w)
        for m in masks { try! w.write(m) }
        return w.bytes
    }

    static func replace(_ name: String, _ set: CapabilitySet) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)
        try! set.encode(into: &w)
        return w.bytes
    }

    static func chmod(_ name: String, _ masks: [UInt32]) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)
        for m in masks { try! w.write(m) }
        return w.bytes
    }

    static func install(_ entries: [(CapabilitySet, String, CapabilitySet, Capability)]) -> [UInt8] {
        var w = BufferWriter()
        for (dir, name, set, old) in entries {
            try! dir.encode(into: &w)
            try! w.write(string: name)
            try! set.encode(into: &w)
            try! w.write(old)
        }
        return w.bytes
    }

    static func setLookup(_ entries: [(CapabilitySet, String)]) -> [UInt8] {
        var w = BufferWriter()
        for (dir, name) in entries {
            try! dir.encode(into: &w)
            try! w.write(string: name)
        }
        return w.bytes
    }
}
