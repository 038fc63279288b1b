// The process server's commands, rights and termination causes, as
// Amoeba 5.3 numbers them (PS_FIRST_COM = 2300): what a kernel's `proc`
// server answers, what it sends an owner (PS_CHECKPOINT) and what ax and
// the tools send. Typed, so no caller passes a bare 2303.
import AmoebaCore

/// A process server command (request h_command).
public enum ProcessCommand: UInt16, Sendable, CaseIterable {
    case stun = 2300
    case getOwner = 2301
    case setOwner = 2302
    case exec = 2303
    case getDefaults = 2304
    case getLoad = 2305
    case segmentCreate = 2306
    case segmentWrite = 2307
    /// Kernel to owner: the process ended, was stunned or faulted.
    case checkpoint = 2308
    case setComment = 2309
    case getComment = 2310
    /// To an owner: hand a child over (ax's file server answers it).
    case swapProcess = 2311
    case serverGetLoad = 2312
}

/// Rights bits on process, segment and server capabilities (PSR_*).
public enum ProcessRights {
    public static let read = Rights(rawValue: 0x01)
    public static let write = Rights(rawValue: 0x02)
    public static let create = Rights(rawValue: 0x04)
    public static let delete = Rights(rawValue: 0x08)
    public static let exec = Rights(rawValue: 0x10)
    public static let kill = Rights(rawValue: 0x20)
    public static let all = Rights(rawValue: 0xFF)
}

/// Why a checkpoint was sent (checkpoint h_extra).
public enum TerminationCause: UInt16, Sendable {
    case normal = 0
    case stunned = 1
    case exception = 2
}

/// Amoeba's exception numbers (checkpoint h_offset for an exception).
public enum ExceptionNumber: Int32, Sendable, CaseIterable {
    case illegal = -2, odd = -3, memory = -4, breakpoint = -5, instruction = -6, divide = -7
    case floatingPoint = -8, access = -9, system = -10, argument = -11, emulation = -12, abort = -13

    public var name: String {
        switch self {
        case .illegal: "EXC_ILL (illegal instruction)"
        case .odd: "EXC_ODD (misaligned access)"
        case .memory: "EXC_MEM (memory fault)"
        case .breakpoint: "EXC_BPT (breakpoint)"
        case .instruction: "EXC_INS (undefined instruction)"
        case .divide: "EXC_DIV (divide by zero)"
        case .floatingPoint: "EXC_FPE (floating point)"
        case .access: "EXC_ACC (protection fault)"
        case .system: "EXC_SYS (bad system call)"
        case .argument: "EXC_ARG (bad system call argument)"
        case .emulation: "EXC_EMU (emulation trap)"
        case .abort: "EXC_ABT (abort)"
        }
    }
}

/// The i80386 values PS_GETDEF answers (machdep.h): 4 KiB pages, user
/// clicks 0 up to 0x80000 (so the top of user memory is 0x8000_0000).
public enum ProcessDefaults {
    public static let architecture = "i80386"
    public static let pageShift: UInt16 = 12
    public static let firstUserClick: UInt16 = 0
    public static let lastUserClickPlusOne: Int32 = 0x80000
    /// PSVR_BUFSZ: a PS_EXEC descriptor must fit in it.
    public static let requestBufferSize = 8192
    /// PSVR_COMMENTSIZ - 1.
    public static let commentLength = 31
}
