// fuzz-modules: AmoebaCore FLIP Group
// The group header and the set-up bodies (LOCATE, HEREIS, JOIN) on
// arbitrary bytes: nothing traps, exactly the short or unknown headers are
// refused, a decoded header re-encodes in its own byte order to the very
// 20 bytes it came from, and a decoded body re-encodes to what was read.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    let offset = Int(first % 4) + 1
    do {
        let (header, order) = try GroupHeader.decode(bytes, at: offset)
        if header.encoded(order: order) != Array(bytes[offset..<(offset + GroupHeader.size)]) {
            fatalError("group_header: re-encoding differs from the input")
        }
        let start = offset + GroupHeader.size
        var r = WireReader(bytes, from: start, order: order)
        if let here = HereIsBody.decode(&r) {
            var w: [UInt8] = []
            here.encode(into: &w, order: order)
            if w != Array(bytes[start..<r.offset]) { fatalError("group_header: HEREIS re-encoding differs") }
        }
        r = WireReader(bytes, from: start, order: order)
        if let join = JoinBody.decode(&r, maxGroup: Int(first >> 4)) {
            var w: [UInt8] = []
            join.encode(into: &w, order: order)
            if w.count != r.offset - start { fatalError("group_header: JOIN re-encoding has another length") }
        }
    } catch {
        switch error {
        case .truncated:
            if bytes.count - offset >= GroupHeader.size { fatalError("group_header: refused a long enough input") }
        case .unknownType(let t):
            if GroupMessageType(rawValue: t) != nil { fatalError("group_header: refused a known type") }
        }
    }
    if let l = LocateBody.decode(bytes) {
        if l.encoded(order: bytes[5] & GroupHeader.bigEndianFlag != 0 ? .big : .little) != Array(bytes.prefix(4 + 20 + 32 + 16)) {
            fatalError("group_header: LOCATE re-encoding differs")
        }
    }
    return 0
}
