// fuzz-modules: AmoebaCore Servers/Storage Servers/DirectoryProtocol Servers/Directory
// The directory server's request decoding must never trap. The input is a
// 32-byte Amoeba header and a request buffer, run against a server with a
// root directory and a few rows; the capability in the input is used half
// the time as given and half the time replaced by the root's (so the
// fuzzer gets past the capability check). The reply must be consistent and
// the server's state must still encode and decode.

struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64 = 42
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
    guard let server = try? DirectoryServer(store: store, generator: FuzzRandom()),
          let root = try? server.createRootDirectory(columns: ["owner", "group", "other"]) else {
        fatalError("setup failed")
    }
    var w = BufferWriter()
    try! w.write(string: "home")
    try! CapabilitySet(root).encode(into: &w)
    for m: UInt32 in [0xFF, 0x0F, 0x04] { try! w.write(m) }
    var h = Header(capability: root, command: 2103)
    _ = server.handle(header: h, data: w.bytes)
    if header.signature[0] & 1 == 0 {
        header.port = root.port
        header.private = root.private
        if header.signature[0] & 2 != 0 { header.private.rights = Rights(rawValue: header.signature[1]) }
        if header.signature[0] & 2 != 0, let r = try? Restriction.restrict(root, to: header.private.rights) {
            header.private = r.private
        }
    }
    h = header
    let (reply, out) = server.handle(header: h, data: Array(bytes[Header.size...]))
    if Int(reply.size) != out.count { fatalError("reply size does not match its buffer") }
    guard let again = try? DirectoryServer(store: store, generator: FuzzRandom()),
          again.directories == server.directories else { fatalError("state does not survive a reopen") }
    return 0
}
