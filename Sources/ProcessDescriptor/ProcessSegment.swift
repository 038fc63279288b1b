// segment_d: one segment of a process, 32 bytes on the wire (capability
// 16, then offset, address, length and type as little-endian int32). The
// capability names where its contents come from (a file or segment read
// with BS_READ from `offset`; null means zero-filled).
import AmoebaCore

public struct SegmentType: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let growUp = SegmentType(rawValue: 0x1)
    public static let growDown = SegmentType(rawValue: 0x2)
    public static let text = SegmentType(rawValue: 0x10)
    public static let data = SegmentType(rawValue: 0x20)
    public static let readOnly = SegmentType(rawValue: 0x100)
    public static let readWrite = SegmentType(rawValue: 0x300)
    public static let inPlace = SegmentType(rawValue: 0x0100_0000)
    /// The kernel destroys the source capability after copying it.
    public static let andDestroy = SegmentType(rawValue: 0x0200_0000)
    /// The stack that receives the arguments (binary files only).
    public static let system = SegmentType(rawValue: 0x8000_0000)
    public static let symbolTable = SegmentType(rawValue: 0x4000_0000)
    public static let newSymbolTable = SegmentType(rawValue: 0x2000_0000)

    public static let growthMask: UInt32 = 0xF
    public static let typeMask: UInt32 = 0xF0
    public static let protectionMask: UInt32 = 0xF00
    /// Bits only a binary file carries; the kernel clears them on exec.
    public static let binaryOnlyMask: UInt32 = 0xF000_0000

    /// acv's types: text+rodata, data, bss, the stack.
    public static let binaryText = SegmentType(rawValue: 0x110)
    public static let binaryData = SegmentType(rawValue: 0x320)
    public static let binaryBSS = SegmentType(rawValue: 0x321)
    public static let binaryStack = SegmentType(rawValue: 0x8000_0322)
    /// The stack ax hands the kernel: growdown data, destroyed after copying.
    public static let execStack = SegmentType(rawValue: 0x0200_0322)

    /// What the kernel maps: the type with the binary-only bits cleared
    /// (zero means "not mapped", how the symbol table is skipped).
    public var mapped: SegmentType { SegmentType(rawValue: rawValue & ~SegmentType.binaryOnlyMask) }
    public var isWritable: Bool { rawValue & SegmentType.protectionMask == 0x300 }
}

public struct ProcessSegment: Hashable, Sendable {
    public static let wireSize = 32

    public var capability: Capability
    public var offset: Int32
    public var address: UInt32
    public var length: UInt32
    public var type: SegmentType

    public init(capability: Capability = .null, offset: Int32 = 0, address: UInt32, length: UInt32, type: SegmentType) {
        self.capability = capability
        self.offset = offset
        self.address = address
        self.length = length
        self.type = type
    }

    public func encode(into w: inout BufferWriter) throws(MarshalError) {
        try w.write(capability)
        try w.write(offset)
        try w.write(address)
        try w.write(length)
        try w.write(type.rawValue)
    }

    public static func decode(from r: inout BufferReader) throws(DescriptorError) -> ProcessSegment {
        let cap = try r.pdCapability()
        let offset = try r.pdI32()
        let address = try r.pdU32()
        let length = try r.pdU32()
        let type = try r.pdU32()
        return ProcessSegment(capability: cap, offset: offset, address: address, length: length,
                                 type: SegmentType(rawValue: type))
    }
}
