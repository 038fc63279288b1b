// fuzz-modules: AmoebaCore FLIP RPC
// The amp header decoder must never trap, and what it accepts must
// re-encode to the same 24 bytes (flags keep the sender's byte order).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let amp = try? AmpHeader.decode(bytes) else { return 0 }
    let again = amp.encoded(order: amp.byteOrder)
    if again != Array(bytes.prefix(AmpHeader.size)) { fatalError("amp header does not round-trip") }
    var r = BufferReader(bytes, from: AmpHeader.size)
    _ = RPCMessage.decode(from: &r, order: amp.byteOrder)
    return 0
}
