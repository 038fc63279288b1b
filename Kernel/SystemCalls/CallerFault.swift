// A fault of the caller: what a system call handler throws when the
// mistake is the calling program's and no answer could help it. The
// process is aborted with `reason`, as a CPU exception aborts it, and
// the kernel carries on. Recoverable errors are not faults: they are
// returned (SystemCallOutcome.refused).
import AmoebaCore

enum CallerFault: Error {
    /// A pointer argument naming memory the caller does not have mapped
    /// (or not writable where the kernel must write).
    case outsideSegments(address: UInt32, length: UInt32)
    /// eax names no system call.
    case unknownCall(UInt32)
    /// A signal return whose context the kernel did not leave there.
    case noSignalContext(address: UInt32)

    /// The abort message, the one place it is worded.
    var reason: String {
        switch self {
        case let .outsideSegments(address, length):
            return "bad system call argument: \(length) bytes at \(hex(address)) outside its segments"
        case let .unknownCall(number):
            return "bad system call number \(number)"
        case let .noSignalContext(address):
            return "sig return with no signal context at \(hex(address))"
        }
    }
}
