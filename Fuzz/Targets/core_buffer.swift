// fuzz-modules: AmoebaCore
//
// BufferReader and BufferWriter driven by a little interpreter.
//
// Decoders read packets with sequences of BufferReader calls chosen by what
// they have read so far, so the fuzzer plays decoder: the input is split
// into a program and the data it reads. Each program byte picks a read
// (integers in both orders, strings, ports, private parts, capabilities,
// headers, skips and byte runs with lengths from the program, including
// negative and huge ones) over a reader whose bounds the program also picks.
//
// Properties held: no read traps; the reader stays within its bounds; a
// failed read, simple or composite, consumes nothing; and a writer told to
// write back every value read, in the order it was read, reproduces exactly
// the bytes the reader consumed. A second writer with a small limit checks
// that a write either fits completely or fails without writing anything.

/// The program: a cursor over bytes that reads zeros once exhausted.
struct Program {
    let bytes: [UInt8]
    var index = 0
    var isDone: Bool { index >= bytes.count }
    mutating func next() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }
    /// A signed 16-bit number, to reach past both ends of the data.
    mutating func nextInt() -> Int {
        Int(Int16(bitPattern: UInt16(next()) << 8 | UInt16(next())))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let programLength = input.first else { return 0 }
    let split = min(1 + Int(programLength), input.count)
    var program = Program(bytes: Array(input[1..<split]))
    let bytes = Array(input[split...])

    // Bounds: whole buffer, or clamped from/to taken from the program.
    var reader: BufferReader
    if program.next() & 1 == 0 {
        reader = BufferReader(bytes)
    } else {
        let from = program.nextInt(), to = program.nextInt()
        reader = BufferReader(bytes, from: from, to: program.next() & 1 == 0 ? nil : to)
    }
    guard 0 <= reader.offset, reader.offset <= reader.end, reader.end <= bytes.count else {
        fatalError("reader bounds outside the buffer")
    }
    let start = reader.offset
    var mirror = BufferWriter()
    var limited = BufferWriter(limit: Int(program.next()))

    func checkBounds(_ r: BufferReader) {
        guard 0 <= r.offset, r.offset <= r.end, r.remaining == r.end - r.offset,
              r.isAtEnd == (r.remaining == 0) else {
            fatalError("reader left its bounds")
        }
    }

    /// Writes into the limited writer, checking it is all or nothing.
    func tryLimited(_ size: Int, _ write: (inout BufferWriter) throws(MarshalError) -> Void) {
        let before = limited.count
        do {
            try write(&limited)
            guard limited.count == before + size, limited.count <= limited.limit else {
                fatalError("a write wrote the wrong number of bytes")
            }
        } catch {
            guard limited.count == before, before + size > limited.limit else {
                fatalError("a failed write wrote something, or one that fit failed")
            }
        }
    }

    var steps = 0
    while !program.isDone, steps < 256 {
        steps += 1
        let op = program.next()
        let order: ByteOrder = op & 0x80 == 0 ? .little : .big
        let before = reader.offset
        do {
            switch op & 0x0F {
            case 0:
                let v = try reader.readUInt8()
                try mirror.write(v)
                tryLimited(1) { (w: inout BufferWriter) throws(MarshalError) in try w.write(v) }
            case 1:
                let v = try reader.readUInt16(order)
                try mirror.write(v, order)
                tryLimited(2) { (w: inout BufferWriter) throws(MarshalError) in try w.write(v, order) }
            case 2:
                let v = try reader.readUInt32(order)
                try mirror.write(v, order)
                tryLimited(4) { (w: inout BufferWriter) throws(MarshalError) in try w.write(v, order) }
            case 3:
                let v = try reader.readInt16(order)
                try mirror.write(v, order)
            case 4:
                let v = try reader.readInt32(order)
                try mirror.write(v, order)
                tryLimited(4) { (w: inout BufferWriter) throws(MarshalError) in try w.write(v, order) }
            case 5:
                let s = try reader.readString()
                let raw = Array(bytes[before..<(reader.offset - 1)])
                if Array(s.utf8) == raw {
                    try mirror.write(string: s)
                    tryLimited(raw.count + 1) { (w: inout BufferWriter) throws(MarshalError) in
                        try w.write(string: s)
                    }
                } else {
                    // Invalid UTF-8 was repaired; the raw bytes are what was read.
                    try mirror.write(bytes: raw + [0])
                }
            case 6:
                let p = try reader.readPort()
                try mirror.write(p)
                tryLimited(6) { (w: inout BufferWriter) throws(MarshalError) in try w.write(p) }
            case 7:
                let p = try reader.readPrivate()
                try mirror.write(p)
                tryLimited(10) { (w: inout BufferWriter) throws(MarshalError) in try w.write(p) }
            case 8:
                let c = try reader.readCapability()
                try mirror.write(c)
                tryLimited(16) { (w: inout BufferWriter) throws(MarshalError) in try w.write(c) }
            case 9:
                let n = program.nextInt()
                try reader.skip(n)
                try mirror.write(bytes: bytes[before..<(before + n)])
            case 10:
                let n = program.nextInt()
                let run = try reader.readBytes(n)
                guard run.count == n else { fatalError("readBytes returned the wrong count") }
                try mirror.write(bytes: run)
                tryLimited(n) { (w: inout BufferWriter) throws(MarshalError) in try w.write(bytes: run) }
            case 11:
                // A small length, to hit the edges more often than nextInt does.
                let n = Int(Int8(bitPattern: program.next()))
                let run = try reader.readBytes(n)
                try mirror.write(bytes: run)
            case 12:
                let h = try Header.decode(from: &reader, order: order)
                try mirror.write(bytes: h.encoded(order: order))
                tryLimited(32) { (w: inout BufferWriter) throws(MarshalError) in try h.encode(into: &w, order: order) }
            case 13:
                let rest = reader.readRest()
                guard reader.isAtEnd else { fatalError("readRest left bytes") }
                try mirror.write(bytes: rest)
            case 14:
                // A reader over what is left, as a decoder hands a payload on.
                var inner = BufferReader(bytes, from: reader.offset, to: reader.end)
                guard inner.remaining == reader.remaining else { fatalError("sub-reader bounds") }
                _ = try? inner.readUInt32(order)
                checkBounds(inner)
            default:
                let v = try reader.readInt16(order)
                try mirror.write(v, order)
                tryLimited(2) { (w: inout BufferWriter) throws(MarshalError) in try w.write(v, order) }
            }
        } catch {
            guard reader.offset == before else { fatalError("a failed read consumed bytes") }
        }
        checkBounds(reader)
    }
    guard mirror.bytes == Array(bytes[start..<reader.offset]) else {
        fatalError("writing back what was read does not reproduce the input")
    }
    return 0
}
