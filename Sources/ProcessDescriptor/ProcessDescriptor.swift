// process_d: what a process is, on the wire (buf_put_pd / buf_get_pd):
// an 8-byte architecture name, the process's own and its owner's
// capabilities, the segment and thread counts, then the segments (32
// bytes each) and the threads (variable records). PS_EXEC carries one to
// a kernel, a checkpoint carries one back, and an Amoeba binary file
// starts with one. Decoding is strict: anything a kernel must not act on
// is a typed error, never a trap.
import AmoebaCore

public enum DescriptorError: Error, Equatable, Sendable {
    case truncated
    /// pd_magic is not printable characters padded with NULs.
    case badMagic
    case badThreadLength(Int)
    /// Bytes left over after the last thread record.
    case trailingBytes(Int)
}

public struct ProcessDescriptor: Hashable, Sendable {
    public static let headerSize = 44
    public static let magicSize = 8
    /// MAX_PDSIZE.
    public static let maximumSize = 30000

    /// pd_magic: the architecture name, NUL-padded to 8 bytes on the wire.
    public var architecture: String
    public var me: Capability
    public var owner: Capability
    public var segments: [ProcessSegment]
    public var threads: [ThreadDescriptor]

    public init(architecture: String = ProcessDefaults.architecture, me: Capability = .null, owner: Capability = .null,
                segments: [ProcessSegment] = [], threads: [ThreadDescriptor] = []) {
        self.architecture = architecture
        self.me = me
        self.owner = owner
        self.segments = segments
        self.threads = threads
    }

    /// pd_size: the bytes this descriptor takes on the wire.
    public var size: Int {
        var n = ProcessDescriptor.headerSize + ProcessSegment.wireSize * segments.count
        for t in threads { n += t.length }
        return n
    }

    public func encoded() -> [UInt8] {
        var w = BufferWriter(reservingCapacity: size)
        do throws(MarshalError) {
            var magic = Array(architecture.utf8.prefix(ProcessDescriptor.magicSize - 1))
            while magic.count < ProcessDescriptor.magicSize { magic.append(0) }
            try w.write(bytes: magic)
            try w.write(me)
            try w.write(owner)
            try w.write(UInt16(truncatingIfNeeded: segments.count))
            try w.write(UInt16(truncatingIfNeeded: threads.count))
            for s in segments { try s.encode(into: &w) }
            for t in threads { try t.encode(into: &w) }
        } catch {
            // An unlimited writer does not overflow.
        }
        return w.bytes
    }

    /// Reads a descriptor from the front of `bytes`; with `exact`, nothing
    /// may follow it (PS_EXEC: pd_size must equal the request's length).
    public static func decode(_ bytes: [UInt8], exact: Bool = true) throws(DescriptorError) -> ProcessDescriptor {
        var r = BufferReader(bytes)
        let pd = try decode(from: &r)
        if exact && !r.isAtEnd { throw .trailingBytes(r.remaining) }
        return pd
    }

    public static func decode(from r: inout BufferReader) throws(DescriptorError) -> ProcessDescriptor {
        guard r.remaining >= headerSize else { throw .truncated }
        var pd = ProcessDescriptor()
        let magic = try r.pdBytes(magicSize)
        var i = 0
        while i < magicSize - 1 && magic[i] > 0x20 && magic[i] < 0x7F { i += 1 }
        var name = ""
        for k in 0..<i { name.append(Character(Unicode.Scalar(magic[k]))) }
        while i < magicSize {
            guard magic[i] == 0 else { throw .badMagic }
            i += 1
        }
        pd.architecture = name
        pd.me = try r.pdCapability()
        pd.owner = try r.pdCapability()
        let nseg = Int(try r.pdU16())
        let nthread = Int(try r.pdU16())
        // Counts are checked against what is there before anything is allocated.
        guard nseg * ProcessSegment.wireSize + nthread * ThreadDescriptor.headerSize <= r.remaining else {
            throw .truncated
        }
        for _ in 0..<nseg { pd.segments.append(try ProcessSegment.decode(from: &r)) }
        for _ in 0..<nthread { pd.threads.append(try ThreadDescriptor.decode(from: &r)) }
        return pd
    }
}
