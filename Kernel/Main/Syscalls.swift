// The system call entry (int 0x80): the few calls a process has.
//
//   eax  call                     arguments
//   1    exit                     ebx = status
//   2    trans                    ebx = 32-byte header (in: request, out: reply),
//                                 ecx/edx = request data and length,
//                                 esi/edi = reply buffer and capacity;
//                                 returns the reply length or a negative error
//   3    yield
//   4    sleep                    ebx = microseconds
//   5    segment allocate         ebx = bytes; returns the new segment's address
//
// Every pointer goes through UserBuffer. A call number the kernel does not
// know, or an argument naming memory outside the caller's segments, aborts
// the process with a message (as a fault would); the kernel carries on.
import AmoebaCore
import KernelCore

enum Syscalls {
    static var calls: UInt64 = 0

    static func install() {
        Interrupts.syscallHandler = { frame in Syscalls.handle(frame) }
        Interrupts.userFaultHandler = { frame in Syscalls.fault(frame) }
    }

    static func handle(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        // A call that ends the thread never returns here, so nothing may be
        // retained in this frame: the work is done in `dispatch`, which
        // returns the ending instead of carrying it out.
        if let ending = dispatch(frame) { Process.endCurrentThread(ending) }
    }

    @inline(never)
    private static func dispatch(_ frame: UnsafeMutablePointer<InterruptFrame>) -> Process.Ending? {
        guard let process = Scheduler.current?.process else {
            frame.pointee.eax = UInt32(bitPattern: -1)
            return nil
        }
        calls &+= 1
        let f = frame.pointee
        switch f.eax {
        case 1:
            return .exited(Int32(bitPattern: f.ebx))
        case 2:
            switch trans(process, f) {
            case let .success(n): frame.pointee.eax = UInt32(bitPattern: n)
            case let .failure(.outsideSegments(address, length)):
                return .aborted("bad system call argument: \(length) bytes at \(hex(address)) outside its segments")
            }
        case 3:
            Scheduler.yield()
            frame.pointee.eax = 0
        case 4:
            Interrupts.withEnabledSleep(.microseconds(Int64(min(f.ebx, 60_000_000))))
            frame.pointee.eax = 0
        case 5:
            frame.pointee.eax = UInt32(bitPattern: allocateSegment(process, size: f.ebx))
        default:
            return .aborted("bad system call number \(f.eax)")
        }
        return nil
    }

    private static func trans(_ process: Process, _ f: InterruptFrame) -> Result<Int32, UserBuffer.Refusal> {
        let header: UnsafeMutableRawBufferPointer
        let request: UnsafeMutableRawBufferPointer
        let reply: UnsafeMutableRawBufferPointer
        do throws(UserBuffer.Refusal) {
            header = try UserBuffer(address: f.ebx, length: 32).validated(for: process, write: true)
            request = try UserBuffer(address: f.ecx, length: f.edx).validated(for: process, write: false)
            reply = try UserBuffer(address: f.esi, length: f.edi).validated(for: process, write: true)
        } catch {
            return .failure(error)
        }
        guard let h = try? Header.decode(Array(header), order: .little) else { return .success(Int32(ErrorCode.argumentBad.rawValue)) }
        let answer = LocalIPC.trans(Message(header: h, body: Array(request)))
        let bytes = answer.header.encoded(order: .little)
        for i in 0..<32 { header[i] = bytes[i] }
        let n = min(answer.body.count, reply.count)
        for i in 0..<n { reply[i] = answer.body[i] }
        return .success(Int32(n))
    }

    private static func allocateSegment(_ process: Process, size: UInt32) -> Int32 {
        guard size > 0, size <= 16 << 20 else { return Int32(ErrorCode.argumentBad.rawValue) }
        let rounded = (size + 0xFFF) & ~0xFFF
        guard let base = process.segments.freeRange(size: rounded, below: UInt64(Process.stackTop - Process.stackSize - 0x1000)),
              (try? process.segments.add(SegmentDescriptor(kind: .data, base: base, size: rounded, writable: true))) != nil
        else { return Int32(ErrorCode.noSpace.rawValue) }
        var v = base
        while v < base + rounded {
            guard process.space.mapNew(v, writable: true) else { return Int32(ErrorCode.noMemory.rawValue) }
            v += 4096
        }
        return Int32(bitPattern: base)
    }

    /// A CPU exception in user mode: abort the process, with what happened and where.
    static func fault(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        Process.endCurrentThread(.aborted(describe(frame.pointee)))
    }

    @inline(never)
    private static func describe(_ f: InterruptFrame) -> String {
        var what = "\(Exceptions.name(Int(f.vector)))"
        if f.vector == 14 {
            let address = cpu_cr2()
            let guardBase = Process.stackTop - Process.stackSize - 0x1000
            if address >= guardBase && address < guardBase + 0x1000 {
                what = "stack overflow (page fault at \(hex(address)))"
            } else {
                let kind = f.errorCode & 1 != 0 ? "protection" : "not present"
                let access = f.errorCode & 2 != 0 ? "write" : "read"
                what = "page fault (\(access), \(kind)) at \(hex(address))"
            }
        }
        return "\(what), eip \(hex(f.eip))"
    }
}
