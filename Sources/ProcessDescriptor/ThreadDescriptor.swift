// thread_d: one thread of a process descriptor. A 12-byte header (state,
// total record length, which optional parts follow), then in this order
// the idle part (pc, sp: a new thread), the kernel state (a checkpointed
// thread), and the raw machine fault frame, which travels in the sender's
// own layout (for i80386 the 80-byte `I386ThreadState`). The record is
// exactly `td_len` bytes on the wire.
import AmoebaCore

public struct ThreadState: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let running = ThreadState(rawValue: 0x1)
    public static let dead = ThreadState(rawValue: 0x2)
    public static let exception = ThreadState(rawValue: 0x4)
    public static let interrupted = ThreadState(rawValue: 0x8)
    public static let first = ThreadState(rawValue: 0x10)
    public static let noSystemCalls = ThreadState(rawValue: 0x20)
    public static let start = ThreadState(rawValue: 0x40)
    public static let signalReturn = ThreadState(rawValue: 0x80)
    public static let stunned = ThreadState(rawValue: 0x200)
    public static let dying = ThreadState(rawValue: 0x800)
    public static let stopped = ThreadState(rawValue: 0x1000)
    public static let continuing = ThreadState(rawValue: 0x4000)
}

/// Which optional parts follow a thread record's header (td_extra).
public struct ThreadExtra: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let idle = ThreadExtra(rawValue: 0x1)
    public static let kernelState = ThreadExtra(rawValue: 0x2)
    public static let userState = ThreadExtra(rawValue: 0x10000)
}

/// thread_kstate: a checkpointed thread's kernel view.
public struct ThreadKernelState: Hashable, Sendable {
    public var timeout: Int32 = 0
    public var signalVector: Int32 = 0
    public var signalVectorLength: Int32 = 0
    public var signal: Int32 = 0
    public var local: Int32 = 0
    public init(timeout: Int32 = 0, signalVector: Int32 = 0, signalVectorLength: Int32 = 0, signal: Int32 = 0, local: Int32 = 0) {
        self.timeout = timeout
        self.signalVector = signalVector
        self.signalVectorLength = signalVectorLength
        self.signal = signal
        self.local = local
    }
}

public struct ThreadDescriptor: Hashable, Sendable {
    public static let headerSize = 12
    public static let idleSize = 8
    public static let kernelStateSize = 20
    /// MAX_THREAD_SIZE: header, kernel state and a fault frame of at most 512 bytes.
    public static let maximumSize = 12 + 20 + 512
    /// A new process's thread: header plus idle part.
    public static let newThreadSize = 20

    public var state: ThreadState
    public var extra: ThreadExtra
    public var pc: UInt32 = 0
    public var sp: UInt32 = 0
    public var kernelState = ThreadKernelState()
    /// Whatever follows the parts above inside td_len (the fault frame).
    public var userState: [UInt8] = []

    public init(state: ThreadState = [], extra: ThreadExtra, pc: UInt32 = 0, sp: UInt32 = 0,
                kernelState: ThreadKernelState = ThreadKernelState(), userState: [UInt8] = []) {
        self.state = state
        self.extra = extra
        self.pc = pc
        self.sp = sp
        self.kernelState = kernelState
        self.userState = userState
    }

    /// A new process's first thread: start at `pc` with stack pointer `sp`.
    public static func idle(pc: UInt32, sp: UInt32) -> ThreadDescriptor {
        ThreadDescriptor(extra: .idle, pc: pc, sp: sp)
    }

    /// td_len: this record's bytes on the wire.
    public var length: Int {
        ThreadDescriptor.headerSize + (extra.contains(.idle) ? ThreadDescriptor.idleSize : 0)
            + (extra.contains(.kernelState) ? ThreadDescriptor.kernelStateSize : 0) + userState.count
    }

    /// The fault frame read as i80386 registers, when it is one.
    public var i386State: I386ThreadState? {
        guard extra.contains(.userState) else { return nil }
        return I386ThreadState(bytes: userState)
    }

    public func encode(into w: inout BufferWriter) throws(MarshalError) {
        try w.write(state.rawValue)
        try w.write(UInt32(length))
        try w.write(extra.rawValue)
        if extra.contains(.idle) {
            try w.write(pc)
            try w.write(sp)
        }
        if extra.contains(.kernelState) {
            try w.write(kernelState.timeout)
            try w.write(kernelState.signalVector)
            try w.write(kernelState.signalVectorLength)
            try w.write(kernelState.signal)
            try w.write(kernelState.local)
        }
        try w.write(bytes: userState)
    }

    /// One record; its length must lie within [12, MAX_THREAD_SIZE] and
    /// cover the parts its header announces.
    public static func decode(from r: inout BufferReader) throws(DescriptorError) -> ThreadDescriptor {
        let state = try r.pdU32()
        let length = Int(try r.pdU32())
        let extra = ThreadExtra(rawValue: try r.pdU32())
        guard length >= headerSize, length <= maximumSize else { throw .badThreadLength(length) }
        var t = ThreadDescriptor(state: ThreadState(rawValue: state), extra: extra)
        var parts = headerSize
        if extra.contains(.idle) {
            t.pc = try r.pdU32()
            t.sp = try r.pdU32()
            parts += idleSize
        }
        if extra.contains(.kernelState) {
            t.kernelState = ThreadKernelState(timeout: try r.pdI32(), signalVector: try r.pdI32(),
                                              signalVectorLength: try r.pdI32(), signal: try r.pdI32(),
                                              local: try r.pdI32())
            parts += kernelStateSize
        }
        guard length >= parts else { throw .badThreadLength(length) }
        t.userState = try r.pdBytes(length - parts)
        return t
    }
}

/// The i80386 fault frame (fault.h): 20 words, in the order the trap
/// handler pushes them. Carried in native (little-endian) order. This
/// system's kernels may follow the 20 words with the first 288 bytes of
/// the thread's FXSAVE image (x87 and SSE registers, MXCSR), which a 1990s
/// i80386 did not have and a migrated thread needs; the record stays
/// within MAX_THREAD_SIZE (12 + 20 + 80 + 288 = 400 bytes).
public struct I386ThreadState: Hashable, Sendable {
    public static let size = 80
    public static let floatingPointSize = 288
    public static let names = ["cr3", "gs", "fs", "es", "ds", "edi", "esi", "ebp", "fault", "ebx", "edx", "ecx", "eax",
                               "trap", "error", "eip", "cs", "eflags", "esp", "ss"]
    public var words: [UInt32]
    /// FXSAVE bytes 0..<288, or empty when the sender sent none.
    public var floatingPoint: [UInt8]

    public init(words: [UInt32] = [UInt32](repeating: 0, count: 20), floatingPoint: [UInt8] = []) {
        self.words = words
        self.floatingPoint = floatingPoint
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == I386ThreadState.size || bytes.count == I386ThreadState.size + I386ThreadState.floatingPointSize
        else { return nil }
        var w: [UInt32] = []
        for i in 0..<20 {
            w.append(UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16
                     | UInt32(bytes[4 * i + 3]) << 24)
        }
        words = w
        floatingPoint = Array(bytes[I386ThreadState.size...])
    }

    public var bytes: [UInt8] {
        var b: [UInt8] = []
        for v in words { for k in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
        return b + floatingPoint
    }

    public var faultAddress: UInt32 { get { words[8] } set { words[8] = newValue } }
    public var trap: UInt32 { get { words[13] } set { words[13] = newValue } }
    public var errorCode: UInt32 { get { words[14] } set { words[14] = newValue } }
    public var eip: UInt32 { get { words[15] } set { words[15] = newValue } }
    public var esp: UInt32 { get { words[18] } set { words[18] = newValue } }
}
