// fuzz-modules: AmoebaCore FLIP
// The HEREIS trailer: the first input byte picks the byte order, the rest
// is the packet data. Accepted trailers are consistent (at least one
// location, no more trusted than total) and re-encode to the data.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let order: ByteOrder = first & 1 == 0 ? .little : .big
    let rest = Array(bytes.dropFirst())
    if let t = try? HereIsTrailer.decode(rest, order: order) {
        if t.count == 0 || t.trustedCount > t.count { fatalError("flip_hereis: accepted inconsistent counts") }
        if t.encoded(order) != rest { fatalError("flip_hereis: re-encoding differs") }
    }
    // A slice (not starting at index 0) decodes the same as its copy.
    if bytes.count == HereIsTrailer.size + 1 {
        let a = try? HereIsTrailer.decode(bytes[1...], order: order)
        let b = try? HereIsTrailer.decode(rest, order: order)
        if a != b { fatalError("flip_hereis: slice and array decode differently") }
    }
    return 0
}
