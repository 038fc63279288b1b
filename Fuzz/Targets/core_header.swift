// fuzz-modules: AmoebaCore
//
// The 32-byte Amoeba header, decoded from arbitrary bytes in both orders.
//
// Every header in every request and reply from the network goes through
// `Header.decode`; it must refuse short input with an error, never trap, and
// lose nothing: re-encoding what it decoded, in the same order, gives back
// exactly the 32 bytes it read, and the reader stops right after them.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    for order in [ByteOrder.little, ByteOrder.big] {
        do {
            let header = try Header.decode(bytes, order: order)
            guard bytes.count >= Header.size else { fatalError("decoded a short header") }
            guard header.encoded(order: order) == Array(bytes[0..<Header.size]) else {
                fatalError("header does not re-encode to its input")
            }
            // The status view and the command field are one value.
            var copy = header
            copy.status = header.status
            guard copy == header else { fatalError("status does not round-trip") }
            guard header.capability.bytes == Array(bytes[0..<6]) + Array(bytes[12..<22]) else {
                fatalError("header capability is not port + private part")
            }
        } catch {
            guard bytes.count < Header.size else { fatalError("refused a full-length header") }
        }
    }

    // A header in the middle of a buffer: the first byte picks where.
    if let first = bytes.first {
        var reader = BufferReader(bytes, from: Int(first))
        let before = reader.offset
        if let header = try? Header.decode(from: &reader, order: first & 1 == 0 ? .little : .big) {
            guard reader.offset == before + Header.size,
                  header.encoded(order: first & 1 == 0 ? .little : .big)
                    == Array(bytes[before..<(before + Header.size)]) else {
                fatalError("header read from an offset does not round-trip")
            }
        } else {
            guard reader.offset == before else { fatalError("a failed header read moved the reader") }
        }
    }
    return 0
}
