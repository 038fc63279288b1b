// The pure parts of signal delivery: which catcher a thread has for a
// signal, where on the user stack the kernel puts the interrupted context
// and the catcher's arguments, and what it is willing to take back from
// that context when the catcher returns.
//
// The context lives in user memory, so by the time the thread asks to
// resume from it the process may have changed any byte of it. Taking it
// back is therefore a filter, not a copy: the general registers and the
// instruction and stack pointers are the process's own business (a bad
// value only faults the process), but of the flags only the arithmetic
// ones and the direction flag may come back — never IF, IOPL or the trap
// and virtual-8086 bits — and the MXCSR in the floating-point image is
// masked to the bits the CPU accepts, because FXRSTOR of anything else
// faults in the kernel.

/// One thread's catchers: at most one per signal number.
public struct SignalCatchers: Sendable {
    public struct Catcher: Equatable, Sendable {
        public let signal: Int32
        public let handler: UInt32
        public let extra: UInt32
    }

    public private(set) var catchers: [Catcher] = []

    public init() {}

    /// The client-to-server signal: a server thread catching it hears that
    /// the client of the request it is serving was signalled.
    public static let trans: Int32 = 1

    /// Whether `signal` may be caught: 0 means no signal; exceptions
    /// (negative numbers) are not offered to catchers.
    public static func isCatchable(_ signal: Int32) -> Bool { signal > 0 }

    /// Whether a process may raise `signal`: SIG_TRANS only the kernel generates.
    public static func isRaisable(_ signal: Int32) -> Bool { signal > SignalCatchers.trans }

    /// Catches `signal` with `handler` (replacing an earlier catcher), or
    /// stops catching it when `handler` is 0.
    public mutating func set(_ signal: Int32, handler: UInt32, extra: UInt32) {
        catchers.removeAll { $0.signal == signal }
        if handler != 0 { catchers.append(Catcher(signal: signal, handler: handler, extra: extra)) }
    }

    public func catcher(for signal: Int32) -> Catcher? {
        catchers.first { $0.signal == signal }
    }

    public var isEmpty: Bool { catchers.isEmpty }
}

/// Where delivery puts things below the interrupted user stack pointer:
/// the context (16-aligned), the catcher's two arguments (16-aligned, as
/// the i386 C convention wants at a call), and the return address below.
public struct SignalFrameLayout: Equatable, Sendable {
    /// FXSAVE image (512 bytes), then the saved registers.
    public static let contextSize: UInt32 = 576
    /// Room below the context: return address, two arguments, padding.
    public static let callSize: UInt32 = 20

    public let stackPointer: UInt32
    public let arguments: UInt32
    public let context: UInt32

    /// The layout below `userStack`, nil when it would wrap below address 0.
    public init?(userStack: UInt32) {
        guard userStack >= SignalFrameLayout.contextSize + 64 else { return nil }
        context = (userStack - SignalFrameLayout.contextSize) & ~15
        arguments = context - 16
        stackPointer = arguments - 4
    }

    /// Bytes from the new stack pointer up to the interrupted one.
    public func length(below userStack: UInt32) -> UInt32 { userStack - stackPointer }
}

/// The registers a signal interrupted, as kept after the FXSAVE image.
public struct SavedRegisters: Equatable, Sendable {
    public static let magic: UInt32 = 0x5347_4E4C
    /// Flags a user may set: CF PF AF ZF SF DF OF.
    public static let userFlags: UInt32 = 0xCD5

    public var signal: Int32
    public var eip, eflags, esp, eax, ebx, ecx, edx, esi, edi, ebp: UInt32

    public init(signal: Int32, eip: UInt32, eflags: UInt32, esp: UInt32, eax: UInt32, ebx: UInt32,
                ecx: UInt32, edx: UInt32, esi: UInt32, edi: UInt32, ebp: UInt32) {
        self.signal = signal
        self.eip = eip; self.eflags = eflags; self.esp = esp
        self.eax = eax; self.ebx = ebx; self.ecx = ecx; self.edx = edx
        self.esi = esi; self.edi = edi; self.ebp = ebp
    }

    /// The twelve words stored after the FXSAVE image, magic first.
    public var words: [UInt32] {
        [SavedRegisters.magic, UInt32(bitPattern: signal), eip, eflags, esp, eax, ebx, ecx, edx, esi, edi, ebp]
    }

    /// Reads the words back; nil unless they start with the magic (not a context the kernel made).
    public init?(words w: [UInt32]) {
        guard w.count >= 12, w[0] == SavedRegisters.magic else { return nil }
        self.init(signal: Int32(bitPattern: w[1]), eip: w[2], eflags: w[3], esp: w[4], eax: w[5], ebx: w[6],
                  ecx: w[7], edx: w[8], esi: w[9], edi: w[10], ebp: w[11])
    }

    /// The flags to resume with: the user's arithmetic flags, the kernel's choice of the rest.
    public func resumedFlags(current: UInt32) -> UInt32 {
        (current & ~SavedRegisters.userFlags) | (eflags & SavedRegisters.userFlags)
    }

    /// MXCSR limited to the bits the CPU supports (`mask` from FXSAVE; 0 means the default 0xFFBF).
    public static func sanitizedMXCSR(_ value: UInt32, mask: UInt32) -> UInt32 {
        value & (mask == 0 ? 0xFFBF : mask)
    }
}
