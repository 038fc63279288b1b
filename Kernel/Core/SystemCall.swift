// The system calls a process has, by the number it puts in eax before
// `int 0x80`. This one enum is the whole contract: the kernel dispatches
// on it (Kernel/SystemCalls) and the user library calls through it
// (Kernel/User/Lib), so neither side writes a number.
//
// Arguments go in ebx, ecx, edx, esi, edi; the result comes back in eax.
// Every call has one error model (Kernel/SystemCalls/SystemCalls.swift):
//   - a recoverable error is a negative Amoeba error code in eax, and the
//     caller carries on (STD_ARGBAD for a bad size or flag, STD_NOSPACE past
//     a per-process limit, STD_NOMEM when the machine runs out, ...);
//   - a fault of the caller (a pointer argument naming memory it does not
//     have, a number not listed here, a forged signal context) aborts the
//     process with a message, as a CPU exception would. The kernel carries on.

public enum SystemCall: UInt32, CaseIterable, Sendable {
    /// ebx = status. Ends the process; does not return.
    case exit = 1
    /// ebx = 32-byte header (in: request, out: reply), ecx/edx = request
    /// data and length, esi/edi = reply buffer and capacity. Returns the
    /// reply length; the status is in the header.
    case trans = 2
    case yield = 3
    /// ebx = microseconds (at most 60 s). STD_INTR when a signal cuts it short.
    case sleep = 4
    /// ebx = bytes (at most 16 MiB). Returns the new data segment's address.
    case allocateSegment = 5
    /// ebx = 32-byte header (in: the get-port in `port`; out: the request
    /// header), ecx/edx = buffer and capacity. Returns the request length;
    /// RPC_ABORTED when a signal cuts it short.
    case getRequest = 6
    /// ebx = reply header, ecx/edx = reply data and length. STD_NOTNOW
    /// when the thread holds no request.
    case putReply = 7
    /// ebx = entry, ecx = stack top, edx = the entry's argument. Returns the
    /// new thread's id.
    case createThread = 8
    /// Ends the calling thread (the process ends with its last thread).
    case exitThread = 9
    /// ebx = IRQ line, ecx = timeout in µs. 0 when it fired, STD_NOTNOW on
    /// timeout, STD_ARGBAD for a line drivers may not take.
    case awaitInterrupt = 10
    /// A server's loop in one call: putReply, then getRequest. ebx = 64
    /// bytes: the reply header, then a header whose `port` is the get-port
    /// (out: the next request's header); ecx/edx = reply data and length;
    /// esi/edi = buffer and capacity for the next request. With no request
    /// held (the first time round) it only receives. Returns the request's
    /// length, as getRequest does.
    case replyAndReceive = 11
    /// ebx = bytes, ecx = 16-byte capability (out). A zeroed shared segment
    /// mapped read-write into the caller; returns its address.
    case createSegment = 20
    /// ebx = 16-byte capability, ecx = flags (1 = read-only even if the
    /// rights allow writing). Returns the address it is mapped at.
    case mapSegment = 21
    /// ebx = the address createSegment/mapSegment returned.
    case unmapSegment = 22
    /// ebx = bytes. A read-write segment with an unmapped guard page below.
    case allocateStack = 23
    /// ebx = signal (> 0), ecx = catcher (0: stop catching), edx = a word
    /// passed to the catcher, esi = the library's return trampoline.
    case catchSignal = 30
    /// ebx = signal (> 1), raised in the caller's process.
    case raiseSignal = 31
    /// ebx = the context the kernel left on the user stack. Resumes the
    /// thread as it was when the signal came; does not return here.
    case returnFromSignal = 32
    /// ebx = kind (1 mutex, 2 semaphore, 3 barrier), ecx = the semaphore's
    /// initial count or the barrier's number of parties (2-32). Returns a
    /// handle, good in the caller's process only.
    case createSync = 40
    /// ebx = handle, ecx = timeout in µs (0: do not wait; 0xFFFFFFFF: no
    /// timeout). Locks the mutex, takes a unit of the semaphore, or arrives
    /// at the barrier and waits for the rest. STD_NOTNOW on timeout,
    /// STD_INTR when a signal cuts the wait short.
    case waitSync = 41
    /// ebx = handle. Unlocks the mutex (the caller must hold it) or gives
    /// the semaphore a unit.
    case postSync = 42
    /// ebx = handle. STD_NOTNOW while a thread waits on it or a mutex is held.
    case destroySync = 43
}
