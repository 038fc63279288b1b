// A split virtqueue, the ring pair every virtio device exchanges buffers
// through, written once for all drivers (network now, block later).
//
// The driver offers a buffer as a chain of descriptors (each a physical
// address, a length, and whether the device writes it) by putting the
// chain's head in the available ring; the device hands chains back in the
// used ring with the number of bytes it wrote. Free descriptors are kept
// as a list linked through their own `next` fields, so taking n of them
// for a chain leaves them already linked in order.
//
// The kernel's memory is identity-mapped, so the heap addresses of the
// rings and buffers are the physical addresses the device wants. Each
// access to memory the device also touches goes through the shared_*
// helpers (volatile, in order), and a fence separates a store from a
// later load wherever the other side's view decides what happens next
// (publishing then checking whether to notify; re-enabling interrupts then
// checking for used entries). Every buffer carries a token of the
// driver's choosing, given back when the device is done with it.
//
// Not locked: a queue belongs to one driver, whose threads are kernel
// threads (never preempted) and whose interrupt handler only calls
// `hasUsed` and `suppressInterrupts`.
import KernelCore

final class Virtqueue {
    struct Segment {
        let address: UInt32
        let length: UInt32
        let deviceWrites: Bool
    }

    let index: UInt16
    let layout: VirtqueueLayout
    private let transport: VirtioPCI
    private let memory: UnsafeMutableRawPointer
    private var freeHead: UInt16 = 0
    private(set) var freeCount: Int
    private var tokens: [Int]
    /// The next available-ring slot to fill, and the next used-ring slot to read (free-running).
    private var availableIndex: UInt16 = 0
    private var usedIndex: UInt16 = 0
    private(set) var notifications: UInt64 = 0

    var size: Int { layout.size }
    /// The descriptor the next `add` makes the head of its chain.
    var nextFreeDescriptor: UInt16 { freeHead }

    /// Sets up queue `index` of the device; nil when the device has no such
    /// queue or the memory cannot be had.
    init?(transport: VirtioPCI, index: UInt16) {
        guard let layout = VirtqueueLayout(size: transport.queueSize(index)) else { return nil }
        var block: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&block, VirtqueueLayout.alignment, layout.totalBytes) == 0, let block else { return nil }
        block.initializeMemory(as: UInt8.self, repeating: 0, count: layout.totalBytes)
        self.index = index
        self.layout = layout
        self.transport = transport
        memory = block
        freeCount = layout.size
        tokens = [Int](repeating: 0, count: layout.size)
        for i in 0..<layout.size {
            shared_store16(memory + layout.descriptorOffset(i) + 14, UInt16(truncatingIfNeeded: i + 1))
        }
        transport.setQueueAddress(index, physical: UInt32(UInt(bitPattern: block)))
    }

    deinit {
        // Address 0 takes the queue (in QEMU, the whole device) out of use, so nothing DMAs into freed memory.
        transport.setQueueAddress(index, physical: 0)
        free(memory)
    }

    /// Offers one buffer as a chain of `segments`; false (and nothing
    /// changed) when there are not that many free descriptors. The device
    /// sees it after the next `kick`.
    func add(_ segments: [Segment], token: Int) -> Bool {
        publish(count: segments.count, token: token) { segments[$0] }
    }

    /// The same for a two-part buffer (a header and its data, as the legacy
    /// network device wants), without building an array per buffer.
    func add(_ first: Segment, _ second: Segment, token: Int) -> Bool {
        publish(count: 2, token: token) { $0 == 0 ? first : second }
    }

    @inline(__always)
    private func publish(count: Int, token: Int, _ segment: (Int) -> Segment) -> Bool {
        guard count > 0, count <= freeCount else { return false }
        let head = freeHead
        var d = head
        for i in 0..<count {
            let s = segment(i)
            let at = memory + layout.descriptorOffset(Int(d))
            shared_store32(at, s.address)
            shared_store32(at + 4, 0)
            shared_store32(at + 8, s.length)
            var flags: UInt16 = s.deviceWrites ? VirtqueueLayout.deviceWrites : 0
            if i < count - 1 { flags |= VirtqueueLayout.next }
            shared_store16(at + 12, flags)
            let following = shared_load16(at + 14)
            if i < count - 1 { d = following } else { freeHead = following }
        }
        freeCount -= count
        tokens[Int(head)] = token
        shared_store16(memory + layout.availableEntryOffset(Int(availableIndex) & (size - 1)), head)
        availableIndex &+= 1
        // The entry is written before the index that publishes it (stores stay in order on x86).
        shared_store16(memory + layout.availableRingOffset + 2, availableIndex)
        return true
    }

    /// Tells the device about what `add` published, unless it said it is
    /// already working through the ring and needs no notification.
    func kick() {
        cpu_memory_fence()   // the published index before the device's flag is read
        if shared_load16(memory + layout.usedRingOffset) & VirtqueueLayout.noNotify == 0 {
            notifications &+= 1
            transport.notify(queue: index)
        }
    }

    /// True when the device has handed back a buffer not yet collected.
    var hasUsed: Bool { shared_load16(memory + layout.usedRingOffset + 2) != usedIndex }

    /// How many handed-back buffers wait to be collected.
    var usedCount: Int { Int(shared_load16(memory + layout.usedRingOffset + 2) &- usedIndex) }

    /// The next buffer the device is done with: its token and how many bytes
    /// the device wrote into it. Its descriptors are free again.
    func nextUsed() -> (token: Int, length: UInt32)? {
        guard hasUsed else { return nil }
        let entry = memory + layout.usedEntryOffset(Int(usedIndex) & (size - 1))
        let id = Int(shared_load32(entry))
        let length = shared_load32(entry + 4)
        usedIndex &+= 1
        guard id < size else { return (token: -1, length: 0) }   // a device bug; never trust an index
        release(chain: UInt16(id))
        return (token: tokens[id], length: length)
    }

    /// The same for a chain the driver keeps as it is, to offer again with
    /// `offerAgain` (the receive buffers: their descriptors never change,
    /// so they skip the free list both ways). nil token: a head the device
    /// should not have returned.
    func nextUsedKept() -> (token: Int, head: UInt16, length: UInt32)? {
        guard hasUsed else { return nil }
        let entry = memory + layout.usedEntryOffset(Int(usedIndex) & (size - 1))
        let id = Int(shared_load32(entry))
        let length = shared_load32(entry + 4)
        usedIndex &+= 1
        guard id < size else { return (token: -1, head: 0, length: 0) }   // a device bug; never trust an index
        return (token: tokens[id], head: UInt16(truncatingIfNeeded: id), length: length)
    }

    /// Offers again a chain `add` built and `nextUsedKept` returned, its
    /// descriptors untouched (the device only reads them): one ring entry
    /// and the index, instead of the chain rebuilt from the free list.
    func offerAgain(head: UInt16) {
        shared_store16(memory + layout.availableEntryOffset(Int(availableIndex) & (size - 1)), head)
        availableIndex &+= 1
        shared_store16(memory + layout.availableRingOffset + 2, availableIndex)
    }

    private func release(chain head: UInt16) {
        var d = head
        var n = 1
        while n <= size {
            let at = memory + layout.descriptorOffset(Int(d))
            guard shared_load16(at + 12) & VirtqueueLayout.next != 0 else { break }
            d = shared_load16(at + 14)
            n += 1
        }
        shared_store16(memory + layout.descriptorOffset(Int(d)) + 14, freeHead)
        freeHead = head
        freeCount += n
    }

    /// Asks the device not to interrupt for this queue (a hint it may ignore).
    func suppressInterrupts() {
        shared_store16(memory + layout.availableRingOffset, VirtqueueLayout.noInterrupt)
    }

    /// Asks for interrupts again; true when buffers came back meanwhile, which
    /// raised no interrupt, so the caller must collect them itself.
    func allowInterrupts() -> Bool {
        shared_store16(memory + layout.availableRingOffset, 0)
        cpu_memory_fence()   // the flag is visible before the used index is read
        return hasUsed
    }
}
