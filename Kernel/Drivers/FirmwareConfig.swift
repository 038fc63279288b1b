// QEMU's firmware configuration device (fw_cfg) on its x86 I/O ports: a
// 16-bit selector written to 0x510 picks an item, whose bytes are then
// read one at a time from 0x511. Item 0 holds the signature "QEMU"; item
// 0x19 is the directory of named files (`-fw_cfg name=opt/...,file=...`):
// a big-endian count, then per file its size, its selector and a 56-byte
// name. This is how configuration that must not appear on the QEMU command
// line (the host secret, readable there by any local user through ps)
// reaches the kernel.

enum FirmwareConfig {
    private static let selectorPort: UInt16 = 0x510
    private static let dataPort: UInt16 = 0x511
    private static let signatureItem: UInt16 = 0x0000
    private static let directoryItem: UInt16 = 0x0019
    /// Bytes of a directory entry: size 4, select 2, reserved 2, name 56.
    private static let entrySize = 64
    private static let nameSize = 56

    /// What the directory holds under a name.
    enum Lookup {
        /// No fw_cfg device, or no file of that name.
        case absent
        /// A file larger than the caller's limit: present, but not read.
        case tooLarge(size: Int)
        case found([UInt8])
    }

    /// The contents of the file named `name`, nil when there is no fw_cfg
    /// device or no such file. `limit` bounds what is read (a file is
    /// configuration, never bulk data).
    static func file(named name: String, limit: Int = 256) -> [UInt8]? {
        if case .found(let bytes) = lookup(name, limit: limit) { return bytes }
        return nil
    }

    /// The file named `name`, telling a missing file from one too large to
    /// read: a caller for whom a present file changes what it does (a
    /// segment key) must not take an oversized one for none.
    static func lookup(_ name: String, limit: Int = 256) -> Lookup {
        Interrupts.withDisabled {
            select(signatureItem)
            guard read(4) == Array("QEMU".utf8) else { return .absent }
            select(directoryItem)
            let count = bigEndian(read(4))
            let wanted = Array(name.utf8)
            guard wanted.count < nameSize else { return .absent }
            for _ in 0..<min(count, 4096) {
                let entry = read(entrySize)
                let size = bigEndian(Array(entry[0..<4]))
                let item = UInt16(entry[4]) << 8 | UInt16(entry[5])
                let named = entry[8..<(8 + nameSize)]
                guard named.starts(with: wanted), named[8 + wanted.count] == 0 else { continue }
                guard size <= limit else { return .tooLarge(size: size) }
                select(item)
                return .found(read(size))
            }
            return .absent
        }
    }

    private static func select(_ item: UInt16) { outw(selectorPort, item) }

    private static func read(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(inb(dataPort)) }
        return bytes
    }

    private static func bigEndian(_ b: [UInt8]) -> Int {
        Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
    }
}
