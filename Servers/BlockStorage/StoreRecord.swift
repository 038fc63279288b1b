// The block store's on-disk units: a record (a checkpoint of every object,
// or one committed batch of changes) and the superblock.
//
// Record, starting on a block boundary and padded to whole blocks:
//   magic u32 "BSR1", kind u32 (1 checkpoint, 2 batch), sequence u64,
//   generation u64, payload length u32, CRC-32 u32 (of these 32 bytes
//   with the CRC zero, then the payload), payload.
// The generation is a random number drawn each time a half is started
// (format, compaction) and kept in the superblock: a record counts only
// with the live one, so stored data that imitates a record (a file whose
// bytes look like a header with the next sequence number and a good CRC)
// cannot be taken for one, not knowing the generation.
// Payload: change count u32, then per change: type u8 (1 write, 2 remove),
// key u32, length u32, bytes. A checkpoint's changes are all writes.
//
// Superblock, one block, two copies (blocks 0 and 1, written alternately):
//   magic u32 "BSS1", version u32, sequence u64 (of the superblock),
//   half u32 (which half of the volume holds the live generation),
//   checkpoint sequence u64, generation u64, CRC-32 u32 of the 36 bytes
//   before it.
// All integers little-endian. Decoders check every length first.
import AmoebaCore
import Storage

enum RecordKind: UInt32 {
    case checkpoint = 1
    case batch = 2
}

struct StoreRecord {
    static let magic: UInt32 = 0x3152_5342   // "BSR1"
    static let headerSize = 32

    var kind: RecordKind
    var sequence: UInt64
    var generation: UInt64
    var changes: [StoreChange]

    /// The record as whole blocks.
    func encoded() -> [UInt8] {
        var payload = BufferWriter()
        try? payload.write(UInt32(changes.count))
        for c in changes {
            switch c {
            case .write(let key, let bytes):
                try? payload.write(UInt8(1)); try? payload.write(key); try? payload.write(UInt32(bytes.count))
                try? payload.write(bytes: bytes)
            case .remove(let key):
                try? payload.write(UInt8(2)); try? payload.write(key); try? payload.write(UInt32(0))
            }
        }
        var w = BufferWriter(reservingCapacity: StoreRecord.headerSize + payload.count + BlockVolumeLayout.blockSize)
        try? w.write(StoreRecord.magic)
        try? w.write(kind.rawValue)
        try? w.write(UInt32(truncatingIfNeeded: sequence))
        try? w.write(UInt32(truncatingIfNeeded: sequence >> 32))
        try? w.write(UInt32(truncatingIfNeeded: generation))
        try? w.write(UInt32(truncatingIfNeeded: generation >> 32))
        try? w.write(UInt32(payload.count))
        try? w.write(UInt32(0))
        try? w.write(bytes: payload.bytes)
        var bytes = w.bytes
        let crc = CRC32.of(bytes)
        bytes[28] = UInt8(truncatingIfNeeded: crc); bytes[29] = UInt8(truncatingIfNeeded: crc >> 8)
        bytes[30] = UInt8(truncatingIfNeeded: crc >> 16); bytes[31] = UInt8(truncatingIfNeeded: crc >> 24)
        let padded = StoreRecord.blocks(forPayload: payload.count) * BlockVolumeLayout.blockSize
        bytes.append(contentsOf: [UInt8](repeating: 0, count: padded - bytes.count))
        return bytes
    }

    static func blocks(forPayload n: Int) -> Int {
        (headerSize + n + BlockVolumeLayout.blockSize - 1) / BlockVolumeLayout.blockSize
    }

    /// What the first block of a record says: its kind, sequence and the
    /// blocks it spans; nil when it is no record header.
    static func peek(_ first: [UInt8]) -> (kind: RecordKind, sequence: UInt64, generation: UInt64, payload: Int, blocks: Int)? {
        var r = BufferReader(first)
        guard let magic = try? r.readUInt32(), magic == StoreRecord.magic,
              let k = try? r.readUInt32(), let kind = RecordKind(rawValue: k),
              let lo = try? r.readUInt32(), let hi = try? r.readUInt32(),
              let glo = try? r.readUInt32(), let ghi = try? r.readUInt32(),
              let length = try? r.readUInt32(), length <= UInt32(Int32.max) else { return nil }
        return (kind, UInt64(hi) << 32 | UInt64(lo), UInt64(ghi) << 32 | UInt64(glo), Int(length), blocks(forPayload: Int(length)))
    }

    /// The record in `bytes` (its whole blocks), nil when the checksum or
    /// any length does not hold.
    static func decode(_ bytes: [UInt8]) -> StoreRecord? {
        guard bytes.count >= headerSize, let head = peek(bytes), headerSize + head.payload <= bytes.count else { return nil }
        var zeroed = Array(bytes[0..<headerSize])
        let stored = UInt32(bytes[28]) | UInt32(bytes[29]) << 8 | UInt32(bytes[30]) << 16 | UInt32(bytes[31]) << 24
        zeroed[28] = 0; zeroed[29] = 0; zeroed[30] = 0; zeroed[31] = 0
        let crc = CRC32.update(CRC32.of(zeroed), bytes, from: headerSize, to: headerSize + head.payload)
        guard crc == stored else { return nil }
        var r = BufferReader(bytes, from: headerSize, to: headerSize + head.payload)
        guard let count = try? r.readUInt32(), Int(count) <= head.payload else { return nil }
        var changes: [StoreChange] = []
        for _ in 0..<count {
            guard let type = try? r.readUInt8(), let key = try? r.readUInt32(), let n = try? r.readUInt32(),
                  Int(n) <= r.remaining else { return nil }
            switch type {
            case 1:
                guard let data = try? r.readBytes(Int(n)) else { return nil }
                changes.append(.write(key: key, bytes: data))
            case 2: changes.append(.remove(key: key))
            default: return nil
            }
        }
        return StoreRecord(kind: head.kind, sequence: head.sequence, generation: head.generation, changes: changes)
    }
}

struct Superblock: Equatable {
    static let magic: UInt32 = 0x3153_5342   // "BSS1"
    static let version: UInt32 = 1

    var sequence: UInt64
    var half: UInt32
    var checkpointSequence: UInt64
    var generation: UInt64

    func encoded() -> [UInt8] {
        var w = BufferWriter(reservingCapacity: BlockVolumeLayout.blockSize)
        try? w.write(Superblock.magic)
        try? w.write(Superblock.version)
        try? w.write(UInt32(truncatingIfNeeded: sequence)); try? w.write(UInt32(truncatingIfNeeded: sequence >> 32))
        try? w.write(half)
        try? w.write(UInt32(truncatingIfNeeded: checkpointSequence)); try? w.write(UInt32(truncatingIfNeeded: checkpointSequence >> 32))
        try? w.write(UInt32(truncatingIfNeeded: generation)); try? w.write(UInt32(truncatingIfNeeded: generation >> 32))
        try? w.write(CRC32.of(w.bytes))
        var bytes = w.bytes
        bytes.append(contentsOf: [UInt8](repeating: 0, count: BlockVolumeLayout.blockSize - bytes.count))
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> Superblock? {
        guard bytes.count >= 40 else { return nil }
        var r = BufferReader(bytes)
        guard let magic = try? r.readUInt32(), magic == Superblock.magic,
              let version = try? r.readUInt32(), version == Superblock.version,
              let lo = try? r.readUInt32(), let hi = try? r.readUInt32(), let half = try? r.readUInt32(), half < 2,
              let clo = try? r.readUInt32(), let chi = try? r.readUInt32(),
              let glo = try? r.readUInt32(), let ghi = try? r.readUInt32(),
              let crc = try? r.readUInt32(), crc == CRC32.of(Array(bytes[0..<36])) else { return nil }
        return Superblock(sequence: UInt64(hi) << 32 | UInt64(lo), half: half, checkpointSequence: UInt64(chi) << 32 | UInt64(clo),
                          generation: UInt64(ghi) << 32 | UInt64(glo))
    }
}
