// Stunning a process (PS_STUN with a positive code): every thread stops
// at a point where it can go on later, here or on another node, and its
// registers are kept for the checkpoint. A thread running or ready in user
// mode stops at its next pass through the kernel (the timer's interrupt at
// the latest), with the registers it had; a thread in a transaction is
// left to finish it, so no request is half done or done twice, and stops
// on its way back with the reply in its registers; a thread blocked
// anywhere else (getreq, sleep, a sync wait) is woken and its system call
// rolled back to be made again when it goes on. When the last one has
// stopped the process ends (ProcessServer sends the checkpoint), its
// memory kept for as long as the proc server holds it.
import AmoebaCore
import KernelCore
import ProcessDescriptor

/// A user thread's registers as it goes back to ring 3, plain words.
struct UserRegisters: Equatable {
    var edi, esi, ebp, ebx, edx, ecx, eax, eip, eflags, esp: UInt32
    /// Where the thread's floating-point image to load lies (its
    /// KThread.resumeFX), 0 for none.
    var floatingPoint: UInt32 = 0

    /// The arithmetic and direction flags a saved eflags may set; the rest
    /// is the kernel's (interrupts on, IOPL 0, no trap flag).
    static let userFlags: UInt32 = 0xCD5

    /// From a checkpoint's i80386 fault frame (untrusted: segment
    /// registers are ignored, flags sanitised).
    init(_ s: I386ThreadState) {
        let w = s.words
        edi = w[5]; esi = w[6]; ebp = w[7]; ebx = w[9]; edx = w[10]; ecx = w[11]; eax = w[12]
        eip = w[15]
        eflags = (w[17] & UserRegisters.userFlags) | 0x202
        esp = w[18]
    }

    /// The same frame layout (fault.h) from the trap frame of a stopping thread.
    static func frame(_ f: InterruptFrame) -> I386ThreadState {
        I386ThreadState(words: [0, f.gs, f.fs, f.es, f.ds, f.edi, f.esi, f.ebp, 0, f.ebx, f.edx, f.ecx, f.eax,
                                f.vector, f.errorCode, f.eip, f.cs, f.eflags, f.userESP, f.userSS])
    }
}

enum Stun {
    /// `int $0x80`'s length: a rolled-back call's eip goes back by this.
    static let systemCallLength: UInt32 = 2

    /// Starts stopping `p`: true when it was running (else it is ending already).
    static func stop(_ p: Process) -> Bool {
        Interrupts.withDisabled {
            guard p.ending == .running else { return false }
            p.ending = .aborted("stunned")
            for t in p.threads {
                t.stopping = true
                let inTransaction = t.clientTransaction.map { $0.waiting && !$0.answered } ?? false
                if t.state == .blocked && !inTransaction {
                    t.rollBack = true
                    Scheduler.kill(t)
                }
            }
            return true
        }
    }

    /// On the way back to user mode of a stopping thread: a call it was
    /// woken from is rolled back, and the registers are kept.
    static func capture(_ frame: UnsafeMutablePointer<InterruptFrame>, call: UInt32?) {
        guard let me = Scheduler.current, let p = me.process else { return }
        if me.rollBack, let call {
            frame.pointee.eax = call
            frame.pointee.eip &-= systemCallLength
        }
        var state = UserRegisters.frame(frame.pointee)
        // The x87/SSE registers as the trap saved them (below the frame).
        let fx = UnsafeRawBufferPointer(start: UnsafeRawPointer(Signals.fxImage(frame)), count: I386ThreadState.floatingPointSize)
        state.floatingPoint = Array(fx)
        p.stoppedThreads.append(state)
    }

    /// A continued thread's floating-point image, ready for fxrstor: a
    /// fresh one with the checkpoint's 288 bytes over it, MXCSR cut to
    /// legal bits (a reserved bit would fault in the kernel). nil when the
    /// heap is full.
    static func floatingPointImage(_ s: I386ThreadState) -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&p, 16, FPU.stateSize) == 0, let image = p else { return nil }
        for i in 0..<FPU.stateSize { image.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        image.storeBytes(of: UInt16(0x037F), toByteOffset: 0, as: UInt16.self)
        image.storeBytes(of: UInt32(0x1F80), toByteOffset: 24, as: UInt32.self)
        guard s.floatingPoint.count == I386ThreadState.floatingPointSize else { return image }
        s.floatingPoint.withUnsafeBytes { image.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let mxcsr = image.load(fromByteOffset: 24, as: UInt32.self)
        image.storeBytes(of: SavedRegisters.sanitizedMXCSR(mxcsr, mask: 0), toByteOffset: 24, as: UInt32.self)
        image.storeBytes(of: UInt32(0), toByteOffset: 28, as: UInt32.self)
        return image
    }
}
