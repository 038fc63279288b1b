// Scenario `heap`: the kernel heap gives back what it is given. Rounds of
// churn — raw blocks of random size and alignment, Swift arrays, strings
// and dictionaries, threads created and reaped — must leave the heap where
// it started, with a high-water mark that stops rising. Every round runs
// the same workload (the generator reseeded, the quick lists of small
// freed blocks given back), so a later round's higher peak cannot be a
// larger load: the heap settles over the first half of the rounds, and the
// second half must add no more than a page. The page allocator's free must likewise restore its count and
// refuse a double free.
import AmoebaCore
import KernelCore

enum HeapScenario {
    static var failures = 0
    static var seed: UInt64 = 0x1234_5678_9ABC_DEF1

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("heap: FAILED \(what)") }
    }

    static func random(_ n: Int) -> Int {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17
        return Int(truncatingIfNeeded: seed >> 33) % n
    }

    static func run() {
        let before = kernelHeap!.statistics
        var waterAfterFirst = 0, inUseAfterFirst = 0, waterAtHalf = 0
        let rounds = 8
        let start = Clock.now()
        for round in 0..<rounds {
            // Every round is the same workload from the same heap (quick
            // lists given back), so a high water that still grows in later
            // rounds is the heap's doing, not a larger peak of live blocks.
            seed = 0x1234_5678_9ABC_DEF1
            kernelHeap!.flushQuickLists()
            churnRaw(operations: 20_000)
            churnSwift(operations: 2_000)
            churnThreads(count: 100)
            // Round 0 also warms up what lives on (queue capacities, lazy globals).
            if round == 0 { waterAfterFirst = kernelHeap!.statistics.highWater; inUseAfterFirst = kernelHeap!.statistics.bytesInUse }
            if round == rounds / 2 - 1 { waterAtHalf = kernelHeap!.statistics.highWater }
        }
        let after = kernelHeap!.statistics
        check(after.bytesInUse <= inUseAfterFirst, "bytes in use back to \(inUseAfterFirst), is \(after.bytesInUse)")
        // Placement still varies by a few blocks (threads come and go);
        // creeping fragmentation would go on growing, far beyond a page,
        // in the second half of the rounds too.
        check(after.highWater <= waterAtHalf + 4096, "high water grew after round \(rounds / 2): \(waterAtHalf) -> \(after.highWater)")
        check(kernelHeap!.verify(), "heap tags consistent")
        print("heap: \(after.allocations - before.allocations) allocations in \(rounds) rounds, \((Clock.now() - start).microseconds / 1000) ms")
        print("heap: in use \(before.bytesInUse) at start, \(inUseAfterFirst) after round 1, \(after.bytesInUse) at end, high water \(waterAfterFirst) -> \(waterAtHalf) -> \(after.highWater), free blocks \(after.freeBlocks)")

        var p: UnsafeMutableRawPointer? = nil
        _ = posix_memalign(&p, 16, 64)
        free(p)
        let refusedBefore = kernelHeap!.statistics.frees
        print("heap: freeing a block twice on purpose (the heap must refuse):")
        free(p)   // double free: refused with a message, heap untouched
        check(kernelHeap!.statistics.frees == refusedBefore && kernelHeap!.verify(), "double free refused")

        pages()
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) heap checks failed") }
    }

    static func churnRaw(operations: Int) {
        var live: [UnsafeMutableRawPointer] = []
        live.reserveCapacity(600)
        for _ in 0..<operations {
            if live.count < 512 && (live.isEmpty || random(3) != 0) {
                let size = 1 + random(random(8) == 0 ? 16384 : 512)
                let align = 1 << (4 + random(random(10) == 0 ? 9 : 2))
                var p: UnsafeMutableRawPointer? = nil
                if posix_memalign(&p, align, size) == 0, let p {
                    if UInt(bitPattern: p) % UInt(align) != 0 { check(false, "alignment \(align)") }
                    p.storeBytes(of: UInt8(size & 0xFF), as: UInt8.self)
                    live.append(p)
                }
            } else {
                free(live.remove(at: random(live.count)))
            }
        }
        for p in live { free(p) }
    }

    static func churnSwift(operations: Int) {
        var table: [Int: [UInt8]] = [:]
        for i in 0..<operations {
            let key = random(200)
            if random(2) == 0 {
                table[key] = [UInt8](repeating: UInt8(i & 0xFF), count: random(300))
            } else {
                table[key] = nil
            }
            let s = "item \(i) of \(operations)"
            if s.utf8.count == 0 { check(false, "string") }
        }
    }

    static func churnThreads(count: Int) {
        let done = Semaphore(0)
        for i in 0..<count {
            Scheduler.spawn("t\(i)") { done.up() }
        }
        for _ in 0..<count { done.down() }
        Scheduler.yield()
        Scheduler.sleep(.microseconds(100))   // let the last threads be reaped
    }

    static func pages() {
        guard var frames = Kernel.pages else { return }
        let freeBefore = frames.freeCount
        var taken: [UInt64] = []
        while let f = frames.allocate() { taken.append(f) }
        check(frames.freeCount == 0 && taken.count == freeBefore, "every free page allocated")
        for f in taken { try? frames.free(f) }
        check(frames.freeCount == freeBefore, "every page freed")
        var refused = false
        do { try frames.free(taken[0]) } catch { refused = true }
        check(refused, "double page free refused")
        print("heap: \(taken.count) physical pages allocated and freed; double free refused=\(refused)")
    }
}
