// The intentions file of a multi-change batch (see DiskStore): a magic word,
// the number of changes, each change as key, kind and bytes, and a CRC-32
// of everything before it. Decoding checks every length before it slices,
// so a damaged journal is reported, never trapped on.

import Storage

enum Journal {
    static let magic: [UInt8] = Array("AMJ1".utf8)

    static func encode(_ changes: [StoreChange]) -> [UInt8] {
        var out = magic
        append32(UInt32(changes.count), to: &out)
        for change in changes {
            switch change {
            case .write(let key, let bytes):
                append32(key, to: &out)
                out.append(1)
                append32(UInt32(bytes.count), to: &out)
                out.append(contentsOf: bytes)
            case .remove(let key):
                append32(key, to: &out)
                out.append(0)
            }
        }
        append32(CRC32.checksum(out), to: &out)
        return out
    }

    static func decode(_ bytes: [UInt8]) -> [StoreChange]? {
        guard bytes.count >= 12, Array(bytes[0..<4]) == magic else { return nil }
        let body = bytes.count - 4
        guard read32(bytes, at: body) == CRC32.checksum(Array(bytes[0..<body])) else { return nil }
        guard let count = read32(bytes, at: 4) else { return nil }
        var i = 8
        var out = [StoreChange]()
        for _ in 0..<count {
            guard let key = read32(bytes, at: i), i + 4 < body else { return nil }
            let kind = bytes[i + 4]
            i += 5
            if kind == 0 {
                out.append(.remove(key: key))
            } else {
                guard let n = read32(bytes, at: i) else { return nil }
                i += 4
                guard Int(n) <= body - i else { return nil }
                out.append(.write(key: key, bytes: Array(bytes[i..<(i + Int(n))])))
                i += Int(n)
            }
        }
        return i == body ? out : nil
    }

    private static func append32(_ v: UInt32, to out: inout [UInt8]) {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> UInt32(8 * k))) }
    }

    private static func read32(_ b: [UInt8], at i: Int) -> UInt32? {
        guard i >= 0, i + 4 <= b.count else { return nil }
        return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
