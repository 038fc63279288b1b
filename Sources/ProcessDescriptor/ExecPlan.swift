// What a kernel may do with a PS_EXEC descriptor, decided before it
// touches memory or the network: the segments to map (where, how big,
// writable or not, where their contents come from), the first thread's pc
// and sp, or the reason to answer STD_ARGBAD. Pure, so the host tests
// hold the kernel's proc server to it.
import AmoebaCore

public enum ExecRefusal: Error, Equatable, Sendable {
    case wrongArchitecture
    case noSegments
    /// Not exactly one new-process thread (TDX_IDLE, td_len 20).
    case badThread
    case misaligned(segment: Int)
    case outsideUserSpace(segment: Int)
    case overlapping(segment: Int)
    case tooBig
}

public struct ExecPlan: Sendable, Equatable {
    public struct Piece: Sendable, Equatable {
        /// Index in the descriptor (the segment id).
        public let segment: Int
        public let address: UInt32
        /// Page-rounded length mapped.
        public let length: UInt32
        /// Where the contents come from (null: zero-filled) and how much.
        public let source: Capability
        public let offset: Int32
        public let sourceLength: UInt32
        public let writable: Bool
        /// The kernel destroys the source after copying (ax's stack file).
        public let destroySource: Bool
    }

    public let pieces: [Piece]
    public let pc: UInt32
    public let sp: UInt32
    public var pages: Int {
        var n = 0
        for p in pieces { n += Int(p.length / 4096) }
        return n
    }

    public init(_ pd: ProcessDescriptor, architecture: String = ProcessDefaults.architecture,
                userBase: UInt32, userEnd: UInt64, maximumPages: Int) throws(ExecRefusal) {
        guard pd.architecture == architecture else { throw .wrongArchitecture }
        guard !pd.segments.isEmpty else { throw .noSegments }
        guard pd.threads.count == 1, pd.threads[0].extra == .idle,
              pd.threads[0].length == ThreadDescriptor.newThreadSize else { throw .badThread }
        var pieces: [Piece] = []
        var pages = 0
        for (i, s) in pd.segments.enumerated() {
            let type = s.type.mapped
            // Type 0 (a symbol table) and empty segments are not mapped.
            guard type.rawValue != 0, s.length > 0 else { continue }
            guard s.address & 0xFFF == 0 else { throw .misaligned(segment: i) }
            guard s.offset >= 0 else { throw .outsideUserSpace(segment: i) }
            let rounded = (UInt64(s.length) + 0xFFF) & ~0xFFF
            guard s.address >= userBase, UInt64(s.address) + rounded <= userEnd else { throw .outsideUserSpace(segment: i) }
            pages += Int(rounded / 4096)
            guard pages <= maximumPages else { throw .tooBig }
            let end = UInt64(s.address) + rounded
            for p in pieces where UInt64(p.address) < end && UInt64(s.address) < UInt64(p.address) + UInt64(p.length) {
                throw .overlapping(segment: i)
            }
            pieces.append(Piece(segment: i, address: s.address, length: UInt32(rounded), source: s.capability,
                                offset: s.offset, sourceLength: s.length, writable: type.isWritable,
                                destroySource: type.contains(.andDestroy)))
        }
        guard !pieces.isEmpty else { throw .noSegments }
        self.pieces = pieces
        pc = pd.threads[0].pc
        sp = pd.threads[0].sp
    }
}
