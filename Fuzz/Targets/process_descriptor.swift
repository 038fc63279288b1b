// fuzz-modules: AmoebaCore ProcessDescriptor
//
// Process descriptors from arbitrary bytes: what a kernel's proc server
// decodes from every PS_EXEC, and ax from every checkpoint.
//
// The decoder must refuse bad input with a typed error, never trap, and
// lose nothing: a descriptor it accepts re-encodes to exactly the bytes it
// read, reports that size, and decodes again to the same value. The exec
// plan built from it must keep to user space, page alignment and the page
// budget, or refuse.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let pd = try? ProcessDescriptor.decode(bytes, exact: false) else { return 0 }
    let again = pd.encoded()
    guard again.count == pd.size, again.count <= bytes.count, Array(bytes.prefix(again.count)) == again else {
        fatalError("descriptor does not re-encode to the bytes it was read from")
    }
    guard (try? ProcessDescriptor.decode(again)) == pd else { fatalError("re-encoded descriptor decodes differently") }
    if let plan = try? ExecPlan(pd, userBase: 0x4000_0000, userEnd: 0x8000_0000, maximumPages: 16384) {
        var pages = 0
        for p in plan.pieces {
            guard p.address & 0xFFF == 0, p.length & 0xFFF == 0, p.address >= 0x4000_0000,
                  UInt64(p.address) + UInt64(p.length) <= 0x8000_0000 else { fatalError("plan leaves user space") }
            pages += Int(p.length / 4096)
        }
        guard pages <= 16384, pages == plan.pages else { fatalError("plan over its page budget") }
    }
    return 0
}
