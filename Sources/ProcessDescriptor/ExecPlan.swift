// What a kernel may do with a PS_EXEC descriptor, decided before it
// touches memory or the network: the segments to map (where, how big,
// writable or not, where their contents come from), the first thread's pc
// and sp, or the reason to answer STD_ARGBAD. Pure, so the host tests
// hold the kernel's proc server to it.
import AmoebaCore

public enum ExecRefusal: Error, Equatable, Sendable {
    case wrongArchitecture
    case noSegments
    /// Neither exactly one new-process thread (TDX_IDLE, td_len 20) nor
    /// one to `maximumContinuedThreads` continued threads
    /// (TDX_KSTATE|TDX_USTATE with an 80-byte i80386 frame).
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
        /// A stack (growdown): a continued process's thread stacks say so.
        public let growsDown: Bool
    }

    /// The most threads a continued (migrated) process may bring.
    public static let maximumContinuedThreads = 32

    public let pieces: [Piece]
    public let pc: UInt32
    public let sp: UInt32
    /// A checkpointed process's threads, each to resume with its saved
    /// registers (empty for a new process, which starts at pc and sp).
    public let continued: [I386ThreadState]
    public var pages: Int {
        var n = 0
        for p in pieces { n += Int(p.length / 4096) }
        return n
    }

    public init(_ pd: ProcessDescriptor, architecture: String = ProcessDefaults.architecture,
                userBase: UInt32, userEnd: UInt64, maximumPages: Int) throws(ExecRefusal) {
        guard pd.architecture == architecture else { throw .wrongArchitecture }
        guard !pd.segments.isEmpty else { throw .noSegments }
        var continued: [I386ThreadState] = []
        if pd.threads.count == 1, pd.threads[0].extra == .idle, pd.threads[0].length == ThreadDescriptor.newThreadSize {
            // A new process.
        } else {
            guard !pd.threads.isEmpty, pd.threads.count <= ExecPlan.maximumContinuedThreads else { throw .badThread }
            for t in pd.threads {
                guard t.extra == [.kernelState, .userState], let state = t.i386State else { throw .badThread }
                continued.append(state)
            }
        }
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
                                destroySource: type.contains(.andDestroy), growsDown: type.contains(.growDown)))
        }
        guard !pieces.isEmpty else { throw .noSegments }
        self.pieces = pieces
        self.continued = continued
        pc = continued.isEmpty ? pd.threads[0].pc : 0
        sp = continued.isEmpty ? pd.threads[0].sp : 0
    }
}
