// The user library's side of signals: name a catcher for a signal number
// in this thread, and raise a signal in this process. The kernel calls
// the catcher as `catcher(signal, extra)` on this thread's stack, with the
// trampoline in crt0.S as its return address, which resumes the thread
// where the signal found it.
import AmoebaCore
import KernelCore

enum Signals {
    typealias Catcher = @convention(c) (Int32, UInt32) -> Void

    /// This thread catches `signal` with `catcher` (nil: stops catching it).
    @discardableResult
    static func catchSignal(_ signal: Int32, _ catcher: Catcher?, extra: UInt32 = 0) -> ErrorCode {
        let pc = catcher.map { UInt32(UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self))) } ?? 0
        let r = systemCall(.catchSignal, UInt32(bitPattern: signal), pc, extra, addr_signal_return(), 0)
        return ErrorCode(rawValue: Int16(truncatingIfNeeded: r))
    }

    /// Raises `signal` in this process: every thread catching it runs its
    /// catcher; when none does, the process ends.
    @discardableResult
    static func raise(_ signal: Int32) -> ErrorCode {
        ErrorCode(rawValue: Int16(truncatingIfNeeded: systemCall(.raiseSignal, UInt32(bitPattern: signal), 0, 0, 0, 0)))
    }
}
