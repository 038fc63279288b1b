// CRC-32 (the IEEE polynomial, reflected, as zlib computes it): every
// block-store record and superblock carries one, so a write torn by a
// crash, or stale bytes from an earlier generation, is recognised and
// never taken for data.
public enum CRC32 {
    private static let table: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            t[i] = c
        }
        return t
    }()

    /// The checksum of `bytes[range]`, continuing from `crc` (0 to start).
    public static func update(_ crc: UInt32, _ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) -> UInt32 {
        var c = ~crc
        let stop = min(end ?? bytes.count, bytes.count)
        var i = max(0, start)
        while i < stop {
            c = table[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return ~c
    }

    public static func of(_ bytes: [UInt8]) -> UInt32 { update(0, bytes) }
}
