// fuzz-modules: AmoebaCore Servers/Storage Servers/Bullet
// The file server's request decoding must never trap. The input is a
// 32-byte Amoeba header and a request buffer, run against a server holding
// a committed and an uncommitted file (staged in parts); bits of the signature field choose
// which real capability (if any) replaces the input's, so the fuzzer gets
// past the capability check. The reply must be consistent and the
// committed files must still be readable after a reopen.

struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64 = 7
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var header = try? Header.decode(bytes) else { return 0 }
    let store = MemoryStore()
    guard let server = try? BulletServer(store: store, generator: FuzzRandom()) else { fatalError("setup failed") }
    var h = Header(capability: server.superCapability, command: 2001)
    h.extra = 1
    let (file, _) = server.handle(header: h, data: (0..<3000).map { UInt8(truncatingIfNeeded: $0) })
    h.extra = 0
    // The uncommitted file is staged in the store as a kernel node's is
    // (BulletStaging.swift): a part of 1024 bytes and a tail in memory.
    server.stageBytes = 1024
    var (draft, _) = server.handle(header: h, data: [1, 2, 3])
    draft.command = 2005   // MODIFY
    draft.offset = 3
    draft.size = 1500
    (draft, _) = server.handle(header: draft, data: (0..<1500).map { UInt8(truncatingIfNeeded: $0) })
    if draft.status != .ok || store.keys().filter({ $0 >= 1 << 24 }).count != 1 { fatalError("the draft is not staged") }
    let caps = [server.superCapability, file.capability, draft.capability]
    let choice = Int(header.signature[0] & 3)
    if choice < 3 {
        header.port = caps[choice].port
        header.private = caps[choice].private
        if header.signature[0] & 4 != 0, let r = try? Restriction.restrict(caps[choice], to: Rights(rawValue: header.signature[1])) {
            header.private = r.private
        }
    }
    let (reply, out) = server.handle(header: header, data: Array(bytes[Header.size...]))
    if Int(reply.size) != out.count { fatalError("reply size does not match its buffer") }
    guard let again = try? BulletServer(store: store, generator: FuzzRandom()),
          again.fileSizes == server.fileSizes else { fatalError("files do not survive a reopen") }
    return 0
}
