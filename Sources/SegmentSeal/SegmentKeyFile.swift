// The text of a segment's key file, read the same way by amunixd and by a
// kernel node (which gets the file's bytes through QEMU's fw_cfg): 64 hex
// digits, the 32 bytes of the key, with spaces and line ends ignored.
// Anything else is no key, so that a damaged or foreign file is refused
// rather than turned into some other key.

public enum SegmentKeyFile {
    public static let keyBytes = 32

    /// Why a key file's text is no key.
    public enum Defect: Error, Equatable, Sendable {
        /// A byte that is neither a hex digit, a space nor a line end.
        case notHex
        /// Hex digits, but not 64 of them.
        case wrongLength(digits: Int)
    }

    /// The key a file's bytes spell.
    public static func key(from text: [UInt8]) throws(Defect) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(keyBytes)
        var digits = 0
        var high: UInt8 = 0
        for b in text {
            if b == 10 || b == 13 || b == 32 { continue }
            guard let v = value(of: b) else { throw .notHex }
            if digits % 2 == 0 {
                high = v
            } else if key.count < keyBytes {
                key.append(high << 4 | v)
            }
            digits += 1
        }
        guard digits == 2 * keyBytes else { throw .wrongLength(digits: digits) }
        return key
    }

    private static func value(of b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
