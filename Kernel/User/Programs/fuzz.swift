// The system-call fuzzer: random system calls with random arguments, from
// every thread of this process, until the kernel aborts it (a bad pointer,
// an uncaught signal, a bad call number) or its budget of calls is spent.
// Pointers go into its own memory, its text, the kernel, unmapped space,
// guard pages and freshly unmapped segments; lengths are zero, small, at
// and just over MAX_TRANS, huge and "negative"; capabilities and ports
// are the kernel servers', its own segments', other fuzzers' and random
// ones. Threads are started in storms, segments created, mapped and
// unmapped in churn, mutexes, semaphores and barriers made, waited on,
// posted and destroyed by handles real and wild. What counts is the kernel: it must refuse or abort
// this process and carry on.
//
// The argument is `calls in thousands << 16 | seed`; the seed is printed,
// and the calls of the first thread follow from it alone (other threads
// and the other processes interleave as the scheduler has them).
// The loop allocates nothing (the user heap is not shared-thread safe).
import AmoebaCore
import KernelCore

/// A small fast generator (xorshift32); one per thread.
struct Random {
    var state: UInt32
    init(_ seed: UInt32) { state = seed == 0 ? 0x9E37_79B9 : seed }
    mutating func next() -> UInt32 {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5
        return state
    }
    mutating func below(_ n: UInt32) -> UInt32 { next() % n }
    mutating func oneIn(_ n: UInt32) -> Bool { below(n) == 0 }
}

enum Pool {
    static let scratchSize: UInt32 = 64 * 1024
    static var scratch: UInt32 = 0
    /// Addresses of live segments (made by seg create/map/allocate), shared by the threads.
    static var segments = UnsafeMutablePointer<UInt32>.allocate(capacity: 32)
    static var capabilities = UnsafeMutablePointer<UInt8>.allocate(capacity: 16 * 16)   // 16 capabilities
    static var stackGuards = UnsafeMutablePointer<UInt32>.allocate(capacity: 16)
    /// One bad pointer in `badness` is bad.
    static var badness: UInt32 = 256
    static var budget: UInt32 = 0
    static var calls: UInt32 = 0
    static var refusals: UInt32 = 0
    static var threads: UInt32 = 0
    /// Signals the first thread catches: raising one of them does not end the process.
    static var caught: UInt32 = 0
    static let fuzzPorts: [UInt8] = [0x46, 0x55, 0x5A, 0x5A, 0x00]   // get-ports "FUZZ" + 0..3
}

func address(_ f: UnsafeRawPointer) -> UInt32 { UInt32(UInt(bitPattern: f)) }

/// A pointer to hand the kernel for `length` bytes: usually good, sometimes not.
func pointer(_ r: inout Random, length: UInt32) -> UInt32 {
    if r.oneIn(Pool.badness) {
        switch r.below(9) {
        case 0: return 0
        case 1: return 0x0010_0000 + r.below(0x1000)                       // the kernel
        case 2: return 0x3FFF_F000                                          // just below user space
        case 3: return 0x6000_0000 + r.below(0x10_0000)                     // unmapped
        case 4: return Pool.stackGuards[Int(r.below(16))] &+ r.below(4096)  // a guard page (or 0)
        case 5: return Pool.segments[Int(r.below(32))]                      // maybe unmapped since
        case 6: return address(unsafeBitCast(programMain as (UInt32) -> Int32, to: UnsafeRawPointer.self)) // text
        case 7: return Pool.scratch + Pool.scratchSize - r.below(64)        // runs off the end
        default: return r.next()
        }
    }
    let room = Pool.scratchSize - min(length, Pool.scratchSize)
    return Pool.scratch + (room == 0 ? 0 : r.below(room + 1))
}

func length(_ r: inout Random) -> UInt32 {
    switch r.below(16) {
    case 0: return 0
    case 1: return 30_000
    case 2: return 30_001
    case 3: return r.oneIn(Pool.badness / 8 + 1) ? 0xFFFF_FFFF : 32
    case 4: return r.oneIn(Pool.badness / 8 + 1) ? 0x8000_0000 &+ r.below(100) : 16
    case 5: return r.below(Pool.scratchSize)
    default: return r.below(600)
    }
}

/// A header in scratch for a trans: some capability, some command.
func fillHeader(_ r: inout Random, at h: UInt32) {
    let p = UnsafeMutableRawPointer(bitPattern: UInt(h))!
    switch r.below(16) {
    case 0..<12: // a capability the kernel or this process knows
        let c = Pool.capabilities + Int(r.below(16)) * 16
        p.copyMemory(from: c, byteCount: 16)
    case 12:     // a fuzz server's port (a trans queued there may wait for ever)
        var port = Pool.fuzzPorts
        port.append(UInt8(r.below(4)))
        let put = Port(bytes: port)!.putPort
        put.bytes.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: 6) }
    default:
        for i in 0..<4 { p.storeBytes(of: r.next(), toByteOffset: i * 4, as: UInt32.self) }
    }
    let commands: [UInt16] = [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010,
                              2100, 2102, 2103, 2105, 2106, 2111, 2400, 2500, 2501, 2600, 2303, 4051, 4052]
    let command = r.oneIn(4) ? UInt16(truncatingIfNeeded: r.next()) : commands[Int(r.below(UInt32(commands.count)))]
    p.storeBytes(of: UInt16(truncatingIfNeeded: r.next()) & 0xFF7F, toByteOffset: 16, as: UInt16.self)  // never 4053 by chance: tty is not in the pool anyway
    p.storeBytes(of: command, toByteOffset: 22, as: UInt16.self)
    p.storeBytes(of: r.next(), toByteOffset: 24, as: UInt32.self)
    p.storeBytes(of: r.next(), toByteOffset: 28, as: UInt32.self)
}

@_cdecl("fuzz_catcher")
func fuzzCatcher(_ signal: Int32, _ extra: UInt32) {}

@_cdecl("fuzz_thread")
func fuzzThread(_ argument: UInt32) {
    var r = Random(argument)
    fuzzLoop(&r, main: false, calls: 50 + r.below(500))
    _ = systemCall(.exitThread, 0, 0, 0, 0, 0)
}

func remember(_ table: UnsafeMutablePointer<UInt32>, _ count: Int, _ value: UInt32, _ r: inout Random) {
    table[Int(r.below(UInt32(count)))] = value
}

/// One random system call.
func fuzzOne(_ r: inout Random, main: Bool) {
    let s = Pool.scratch
    var result: Int32 = 0
    switch r.below(1000) {
    case 0..<320:     // trans
        let h = pointer(&r, length: 32)
        if h >= s && h + 32 <= s + Pool.scratchSize { fillHeader(&r, at: h) }
        let n = length(&r), m = length(&r)
        result = systemCall(.trans, h, pointer(&r, length: n), n, pointer(&r, length: m), m)
    case 320..<380:   // thread create: a good entry and stack, or a storm
        let storm = r.oneIn(8) ? 40 : 1
        for _ in 0..<storm {
            let stack = systemCall(.allocateStack, 4096 * (1 + r.below(4)), 0, 0, 0, 0)
            guard stack > 0 else { result = stack; break }
            remember(Pool.stackGuards, 16, UInt32(stack) &- 4096, &r)
            let entry = r.oneIn(Pool.badness) ? r.next()
                : address(unsafeBitCast(fuzzThread as @convention(c) (UInt32) -> Void, to: UnsafeRawPointer.self))
            let top = r.oneIn(Pool.badness) ? r.next() : UInt32(stack) + 4096
            result = systemCall(.createThread, entry, top, r.next(), 0, 0)
            if result < 0 { break }
        }
    case 380..<460:   // seg create
        let size = r.oneIn(16) ? r.next() : 4096 * (1 + r.below(r.oneIn(8) ? 4096 : 8))
        let cap = pointer(&r, length: 16)
        result = systemCall(.createSegment, size, cap, 0, 0, 0)
        if result > 0 {
            remember(Pool.segments, 32, UInt32(result), &r)
            if cap >= s && cap + 16 <= s + Pool.scratchSize {
                (Pool.capabilities + Int(r.below(16)) * 16).update(from: UnsafePointer<UInt8>(bitPattern: UInt(cap))!, count: 16)
            }
        }
    case 460..<520:   // seg map: a known capability, altered now and then
        let c = Pool.capabilities + Int(r.below(16)) * 16
        let at = pointer(&r, length: 16)
        if at >= s && at + 16 <= s + Pool.scratchSize {
            UnsafeMutableRawPointer(bitPattern: UInt(at))!.copyMemory(from: c, byteCount: 16)
            if r.oneIn(4) { UnsafeMutablePointer<UInt8>(bitPattern: UInt(at + r.below(16)))!.pointee ^= UInt8(1 + r.below(255)) }
        }
        result = systemCall(.mapSegment, at, r.below(4), 0, 0, 0)
        if result > 0 { remember(Pool.segments, 32, UInt32(result), &r) }
    case 520..<590:   // seg unmap
        result = systemCall(.unmapSegment, r.oneIn(4) ? r.next() : Pool.segments[Int(r.below(32))], 0, 0, 0, 0)
    case 590..<620:   // stack and plain segments
        let size = r.oneIn(8) ? r.next() : 4096 * (1 + r.below(16))
        result = systemCall(r.oneIn(2) ? .allocateStack : .allocateSegment, size, 0, 0, 0, 0)
        if result > 0 { remember(Pool.segments, 32, UInt32(result), &r) }
    case 620..<670: result = systemCall(.yield, 0, 0, 0, 0, 0)
    case 670..<700: result = systemCall(.sleep, r.below(2000), 0, 0, 0, 0)
    case 700..<730:   // getreq (not the first thread: nobody may answer) or putrep
        if main { fallthrough }
        var port = Pool.fuzzPorts
        port.append(UInt8(r.below(4)))
        let h = pointer(&r, length: 32)
        if h >= s && h + 32 <= s + Pool.scratchSize {
            port.withUnsafeBytes { UnsafeMutableRawPointer(bitPattern: UInt(h))!.copyMemory(from: $0.baseAddress!, byteCount: 6) }
        }
        let n = length(&r)
        result = systemCall(.getRequest, h, pointer(&r, length: n), n, 0, 0)
        if result >= 0 && !r.oneIn(8) {   // usually answered at once: its client waits
            let m = length(&r)
            if r.oneIn(4) {                // or answered and the next awaited in one call
                let k = length(&r)
                result = systemCall(.replyAndReceive, pointer(&r, length: 64), pointer(&r, length: m), m, pointer(&r, length: k), k)
            } else {
                result = systemCall(.putReply, pointer(&r, length: 32), pointer(&r, length: m), m, 0, 0)
            }
        }
    case 730..<770:
        let n = length(&r)
        result = systemCall(.putReply, pointer(&r, length: 32), pointer(&r, length: n), n, 0, 0)
    case 770..<790: result = systemCall(.awaitInterrupt, r.below(20), r.below(3000), 0, 0, 0)
    case 790..<830:   // sig catch: the catcher, nothing, or a wild handler
        let handler = r.oneIn(Pool.badness) ? r.next() : r.oneIn(4) ? 0
            : address(unsafeBitCast(fuzzCatcher as @convention(c) (Int32, UInt32) -> Void, to: UnsafeRawPointer.self))
        let signal = r.below(24)
        result = systemCall(.catchSignal, signal, handler, r.next(), r.oneIn(Pool.badness) ? r.next() : addr_signal_return(), 0)
        if result == 0 && handler != 0 && main { Pool.caught |= 1 << signal }
    case 830..<845:   // sig raise: uncaught ones end the process
        // Mostly one it catches: an uncaught one ends the process.
        let signal = r.oneIn(Pool.badness / 16 + 1) ? r.below(24) : 2 + r.below(22)
        guard r.oneIn(Pool.badness / 16 + 1) || Pool.caught & (1 << signal) != 0 else { break }
        result = systemCall(.raiseSignal, signal, 0, 0, 0, 0)
    case 845..<847 where r.oneIn(Pool.badness / 8 + 1):   // sig return with no context
        result = systemCall(.returnFromSignal, pointer(&r, length: 600), 0, 0, 0, 0)
    case 847..<850 where !main || r.oneIn(Pool.badness): // thread exit
        result = systemCall(.exitThread, 0, 0, 0, 0, 0)
    case 850..<851 where r.oneIn(Pool.badness):
        result = systemCall(.exit, r.next(), 0, 0, 0, 0)
    case 851..<853 where r.oneIn(Pool.badness):       // a call the kernel does not have
        let number: UInt32   // the gaps between and around the calls there are
        switch r.below(6) {
        case 0: number = 0
        case 1: number = 12 + r.below(8)
        case 2: number = 24 + r.below(6)
        case 3: number = 33 + r.below(7)
        case 4: number = 0xFFFF_FFFF - r.below(4)
        default: number = 44 + r.below(200)
        }
        result = sys_call(number, r.next(), r.next(), r.next(), r.next(), r.next())
    case 853..<900:   // mutexes, semaphores, barriers: real handles mostly, short waits
        let handle = r.oneIn(8) ? r.next() : r.below(70)
        switch r.below(4) {
        case 0: result = systemCall(.createSync, r.oneIn(8) ? r.next() : 1 + r.below(3), r.oneIn(8) ? r.next() : r.below(6))
        case 1: result = systemCall(.waitSync, handle, main || !r.oneIn(16) ? r.below(3000) : 0xFFFF_FFFF)
        case 2: result = systemCall(.postSync, handle)
        default: result = systemCall(.destroySync, handle)
        }
    default:          // the same kinds again: a null system call
        result = systemCall(.yield, 0, 0, 0, 0, 0)
    }
    Pool.calls &+= 1
    if result == -1004 || result == -1006 { Pool.refusals &+= 1 }
}

func fuzzLoop(_ r: inout Random, main: Bool, calls: UInt32) {
    var n: UInt32 = 0
    while n < calls && Pool.calls < Pool.budget {
        fuzzOne(&r, main: main)
        n += 1
    }
}

func programMain(_ argument: UInt32) -> Int32 {
    let seed = argument & 0xFFFF
    var r = Random(seed &* 2_654_435_761 | 1)
    Pool.budget = (argument >> 16) * 1000
    Pool.badness = 256 << r.below(5)          // per episode: from 1 in 256 to 1 in 4096
    Pool.scratch = address(UnsafeMutableRawPointer.allocate(byteCount: Int(Pool.scratchSize), alignment: 4096))
    for i in 0..<32 { Pool.segments[i] = 0 }
    for i in 0..<16 { Pool.stackGuards[i] = 0 }
    var known: [Capability] = [Amoeba.directory]
    for name in ["sys", "tod", "random"] { if let c = Amoeba.lookup(name) { known.append(c) } }
    for i in 0..<16 {
        let c = known[i % known.count].bytes
        for j in 0..<16 { Pool.capabilities[i * 16 + j] = c[j] }
    }
    print("fuzz: seed \(seed), \(Pool.budget) calls, one bad pointer in \(Pool.badness)")
    Console.flush()
    fuzzLoop(&r, main: true, calls: UInt32.max)
    return 0
}
