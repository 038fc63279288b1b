// fuzz-modules: AmoebaCore FLIP
// FLIPHeader.decode on arbitrary bytes at an offset chosen by the input:
// it never traps, refuses exactly the inputs too short or of the wrong
// version, and a decoded header re-encodes, in the byte order it came in,
// to the very 40 bytes it was read from.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let offset = Int(first % 4) + 1
    do {
        let (header, order) = try FLIPHeader.decode(bytes, at: offset)
        let again = header.encoded(order)
        if again != Array(bytes[offset..<(offset + FLIPHeader.size)]) {
            fatalError("flip_header: re-encoding differs from the input")
        }
        if (try? FLIPHeader.decode(again))?.header != header {
            fatalError("flip_header: decode of the re-encoding differs")
        }
    } catch {
        switch error {
        case .truncated:
            if bytes.count - offset >= FLIPHeader.size { fatalError("flip_header: refused a long enough input") }
        case .badVersion(let v):
            if v == FLIPHeader.version { fatalError("flip_header: refused version 1") }
        }
    }
    return 0
}
