// fuzz-modules: AmoebaCore Servers/Storage Servers/DirectoryProtocol Servers/Directory Servers/DirectoryReplica
// What a replica takes from its group and from another replica must never
// make it trap: a write as the group delivers it (ReplicatedWrite.decode,
// then applied) and a state fetched for a join (install). A write that
// decodes encodes back to the same bytes; a state that installs is taken
// whole, and the replica's own state installs again unchanged.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    let server = try! DirectoryServer(store: MemoryStore(), random: {
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        return Port(bytes: (0..<6).map { UInt8(truncatingIfNeeded: seed >> UInt64(8 * $0 + 8)) })!
    })
    let root = try! server.createRootDirectory(columns: ["owner", "group", "other"])
    let replica = DirectoryReplica(server: server)
    if var w = try? ReplicatedWrite.decode(bytes) {
        if w.encoded() != bytes { fatalError("write does not round-trip") }
        _ = replica.apply(w)
        // The same bytes aimed at the root directory reach the handlers.
        w.header.private = root.private
        w.tag.number &+= 1
        _ = replica.apply(w)
        if replica.apply(w) != nil { fatalError("a repeated write was applied twice") }
    }
    if replica.install(state: bytes) == .ok {
        let state = replica.state()
        if replica.install(state: state) != .ok || replica.state() != state {
            fatalError("a replica's own state does not install unchanged")
        }
    }
    return 0
}
