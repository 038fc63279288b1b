// What a system call handler is given and what it gives back.
//
// The context is the caller's registers as they came: every number in
// them is an allegation. Memory is reached only through `buffer`, which
// checks the range against what is really mapped for the caller (see
// UserBuffer) and throws the caller's fault when it is not.

import AmoebaCore

struct SystemCallContext {
    /// The caller's process, not owned here: the calling thread holds it
    /// for as long as the call lasts, and a context that owned it would
    /// cost every system call a retain and a release.
    let processRef: Unmanaged<Process>
    let frame: UnsafeMutablePointer<InterruptFrame>

    var process: Process { processRef.takeUnretainedValue() }

    var ebx: UInt32 { frame.pointee.ebx }
    var ecx: UInt32 { frame.pointee.ecx }
    var edx: UInt32 { frame.pointee.edx }
    var esi: UInt32 { frame.pointee.esi }
    var edi: UInt32 { frame.pointee.edi }

    /// `length` bytes at `address` of the caller's memory, writable by the
    /// kernel when `write` is set.
    @inline(__always)
    func buffer(_ address: UInt32, length: UInt32, write: Bool) throws(CallerFault) -> UnsafeMutableRawBufferPointer {
        let buffer = UserBuffer(address: address, length: length)
        guard processRef._withUnsafeGuaranteedRef({ buffer.isAccessible(in: $0, write: write) }) else {
            throw .outsideSegments(address: address, length: length)
        }
        return buffer.pointer
    }
}

/// What a system call does for its caller.
enum SystemCallOutcome {
    /// eax = the value (a length, an address, an id, or 0).
    case returns(Int32)
    /// eax = the negative Amoeba code: a recoverable error, the caller goes on.
    case refused(ErrorCode)
    /// The handler has set every register itself (signal return).
    case resumes
    /// The calling thread leaves, and with `.exit` or an uncaught signal
    /// its whole process. (Plain values, so an outcome costs no release.)
    case ends(Leaving)

    enum Leaving {
        case exit(status: Int32)
        case threadExit
        case uncaughtSignal(Int32)

        var ending: Process.Ending {
            switch self {
            case let .exit(status): return .exited(status)
            case .threadExit: return .threadExited
            case let .uncaughtSignal(signal): return .aborted("uncaught signal \(signal)")
            }
        }
    }
}
