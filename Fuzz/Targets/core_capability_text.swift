// fuzz-modules: AmoebaCore
//
// Capability text, hex and the 16-byte capability form, fed arbitrary bytes.
//
// People and scripts type capabilities; `Capability(text:)` and `Hex.decode`
// must refuse anything malformed with an error and never trap. What they do
// accept must mean one thing: printing a parsed capability and parsing the
// print gives the same capability back, and so does its 16-byte form.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    if let cap = try? Capability(text: text) {
        guard let again = try? Capability(text: cap.text) else {
            fatalError("the text of a parsed capability does not parse")
        }
        guard again == cap else { fatalError("capability text does not round-trip") }
        guard Capability(bytes: cap.bytes) == cap else {
            fatalError("capability bytes do not round-trip")
        }
    }

    if let decoded = Hex.decode(text) {
        guard Hex.decode(Hex.encode(decoded)) == decoded,
              Hex.decode(Hex.encode(decoded, separator: ":")) == decoded else {
            fatalError("hex does not round-trip")
        }
    }

    if let port = Port(hex: text) {
        guard Port(hex: port.hex) == port, Port(bytes: port.bytes) == port else {
            fatalError("port hex does not round-trip")
        }
    }

    // Sixteen raw bytes are always a capability.
    if bytes.count >= Capability.size {
        let raw = Array(bytes[0..<Capability.size])
        guard let cap = Capability(bytes: raw) else { fatalError("16 bytes refused as a capability") }
        guard cap.bytes == raw else { fatalError("capability bytes do not re-encode") }
        guard (try? Capability(text: cap.text)) == cap else {
            fatalError("text of a decoded capability does not round-trip")
        }
    }
    return 0
}
