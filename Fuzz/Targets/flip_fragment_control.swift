// fuzz-modules: AmoebaCore FLIP
// The fragment control pair and whole Ethernet frames on arbitrary bytes.
// A decoded control pair re-encodes to its two bytes; a decoded frame
// re-encodes to the input trimmed to what the frame says it holds (the
// rest is Ethernet padding), padded with zeros to the Ethernet minimum,
// and its data is exactly the header's length.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let c = try? FragmentControl.decode(bytes) {
        if c.encoded != Array(bytes.prefix(2)) { fatalError("flip_fragment_control: control re-encoding differs") }
    }
    // Also read it as the body of an Ethernet frame with a FLIP EtherType.
    var frameBytes: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x46]
    frameBytes.append(contentsOf: bytes)
    for candidate in [bytes, frameBytes] {
        guard let f = try? EthernetFrame.decode(candidate) else { continue }
        // What the frame holds, then zeros up to the Ethernet minimum.
        let again = f.encoded()
        let held = EthernetFrame.headerSize + FragmentControl.size + (f.flip == nil ? 0 : FLIPHeader.size + f.data.count)
        if held > candidate.count || Array(again.prefix(held)) != Array(candidate.prefix(held))
            || again.count != max(held, EthernetFrame.minimumSize) || again[held...].contains(where: { $0 != 0 }) {
            fatalError("flip_fragment_control: frame re-encoding differs")
        }
        if let h = f.flip, UInt64(f.data.count) != UInt64(h.length) {
            fatalError("flip_fragment_control: data length differs from the header's")
        }
        if f.flip == nil && f.control.type == .data { fatalError("flip_fragment_control: data frame without header") }
    }
    return 0
}
