// The signal system calls (SystemCall.catchSignal, .raiseSignal,
// .returnFromSignal); what signals mean is in Signals.swift.
import AmoebaCore
import KernelCore

enum SignalCalls {
    /// ebx = signal, ecx = catcher (0: stop catching), edx = its extra word,
    /// esi = the return trampoline. Both code addresses must be the caller's.
    static func catchSignal(_ c: SystemCallContext) -> SystemCallOutcome {
        let signal = Int32(bitPattern: c.ebx)
        guard SignalCatchers.isCatchable(signal) else { return .refused(.argumentBad) }
        guard c.ecx == 0 || (c.process.check(address: c.ecx, length: 1, write: false)
                             && c.process.check(address: c.esi, length: 1, write: false))
        else { return .refused(.argumentBad) }
        Signals.catchSignal(signal, handler: c.ecx, extra: c.edx, trampoline: c.esi)
        return .returns(0)
    }

    static func raiseSignal(_ c: SystemCallContext) -> SystemCallOutcome {
        let signal = Int32(bitPattern: c.ebx)
        guard SignalCatchers.isRaisable(signal) else { return .refused(.argumentBad) }
        // Nobody catches it: the raising thread ends the process the way a
        // fault does, which stops all its other threads at once.
        guard Signals.deliverToCatchers(signal, in: c.process) else { return .ends(.uncaughtSignal(signal)) }
        return .returns(0)
    }

    static func returnFromSignal(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        try Signals.restore(c.process, c.frame)
        return .resumes
    }
}
