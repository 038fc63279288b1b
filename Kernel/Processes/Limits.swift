// What one process may hold of the kernel's resources at a time.
//
// A process's mistake (or malice) must end in a refusal to that process,
// never in the kernel running out: every resource a system call can make
// the kernel allocate is counted per process and refused past its limit,
// with STD_NOSPACE (a count is full) or STD_NOMEM (the machine's memory or
// heap is). The values are sized for the smallest node we boot (64 MiB,
// heap 1/8 of it): a handful of processes all at their limits still leave
// the kernel servers room.
enum Limits {
    /// Each thread costs ~17 KiB of kernel heap (16 KiB kernel stack, the
    /// FXSAVE area, its records): 32 of them are ~550 KiB, so a few
    /// processes at the limit fit in an 8 MiB heap. Servers in the tree use
    /// at most 8.
    static let threadsPerProcess = 32

    /// Segments (text, data, stacks, allocated and shared ones): each thread
    /// stack is one, so twice the threads plus a little.
    static let segmentsPerProcess = 80

    /// Mapped user memory beyond the program's image and first stack:
    /// 64 MiB (16384 pages). Page frames themselves are refused cleanly
    /// when the machine runs out; what this bounds is the kernel heap a
    /// process's pages cost in bookkeeping (a frame number in its address
    /// space and in its segment, 8 bytes a page: 128 KiB at the limit,
    /// where the 1 GiB of user space would allow 2 MiB).
    static let pagesPerProcess = 16384

    /// Client transactions of one process waiting at once. Each holds its
    /// request and then its reply in the kernel heap, up to `messageBytes`
    /// each: 8 x 2 x 30000 is under 0.5 MiB.
    static let transactionsInFlight = 8

    /// The most data one request or reply carries: Amoeba's MAX_TRANS, the
    /// protocol's limit for one RPC message (a longer request is refused;
    /// a buffer offered for a reply is used up to this much).
    static let messageBytes: UInt32 = 30_000

    /// Mutexes, semaphores and barriers (UserSync): each is a small record
    /// plus its waiters, which are the process's own threads. 64 is twice
    /// the threads, enough for a lock per shared structure.
    static let syncObjectsPerProcess = 64
}

// Not yet explained: `scenario=limits` and `scenario=syscallfuzz` count one
// heap block (~144 bytes) more after each round of their work than after
// the one before, independent of how many processes, threads and calls
// the round had; their checks allow up to three (CI once saw two after a fuzz pass).
