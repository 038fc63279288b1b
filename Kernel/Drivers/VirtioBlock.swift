// The kernel's disk: a virtio-blk device (QEMU's `virtio-blk-pci`, a raw
// image file behind it) over the legacy virtio PCI transport and the
// virtqueue code the NIC uses.
//
//     static func probe() -> VirtioBlock?    nil when there is no usable device
//     blockCount, geometry, isReadOnly       from the device's configuration
//     read / write / flush                   block the calling kernel thread
//                                            until the device answers
//     statistics                             requests, most in flight, flushes, errors
//
// Each request is the device's three-part chain: a 16-byte header the
// device reads (type, reserved, first 512-byte sector), the caller's data
// buffer (the device writes it for a read), and one status byte the device
// writes. Headers and status bytes live in one block of slots; the data is
// DMA'd straight to or from the caller's array, which the kernel's
// identity mapping makes physically contiguous. Up to `slotLimit` requests
// are in the queue at once, one per calling thread, so the vdisk server's
// threads overlap their disk waits; a caller beyond that waits for a slot.
//
// Completion is by interrupt: the handler (interrupts off, line possibly
// shared with the NIC) collects every finished chain from the used ring
// and wakes the thread waiting on that slot. All queue changes, on either
// side, happen with interrupts off, so the handler and the submitting
// threads never interleave inside the queue.
//
// Write cache: when the device offers VIRTIO_BLK_F_FLUSH the driver takes
// it (QEMU then caches writes, as a real disk does) and `flush` sends a
// FLUSH request, which QEMU completes only after syncing the image file;
// without it the device writes through and `flush` has nothing to do.
import AmoebaCore
import DiskProtocol
import KernelCore

final class VirtioBlock: BlockDevice {
    static let deviceType: UInt16 = 2

    /// Feature bits (legacy numbering).
    private enum Feature {
        static let readOnly = 5
        static let geometry = 4
        static let flush = 9
    }

    /// Request types and status values of the request header and trailer.
    private enum RequestType: UInt32 {
        case read = 0
        case write = 1
        case flush = 4
    }

    private enum RequestStatus: UInt8 {
        case ok = 0
        case ioError = 1
        case unsupported = 2
    }

    struct Statistics {
        var reads: UInt64 = 0
        var writes: UInt64 = 0
        var flushes: UInt64 = 0
        var bytesRead: UInt64 = 0
        var bytesWritten: UInt64 = 0
        var errors: UInt64 = 0
        /// Microseconds from handing each kind of request to the device to
        /// its completion, summed: the disk's share of a vdisk request.
        var readMicroseconds: UInt64 = 0
        var writeMicroseconds: UInt64 = 0
        var flushMicroseconds: UInt64 = 0
        var inFlight = 0
        var mostInFlight = 0
    }

    /// A slot: header at 0 (16 bytes), status word at 16.
    private static let slotBytes = 32
    static let slotLimit = 16

    let blockCount: UInt64
    let geometry: DiskGeometry
    let isReadOnly: Bool
    let hasWriteCache: Bool
    let irq: Int
    private(set) var statistics = Statistics()
    /// Apart from `statistics`: the interrupt handler counts here while a
    /// thread may be updating the rest.
    private(set) var interrupts: UInt64 = 0

    private let transport: VirtioPCI
    private let queue: Virtqueue
    private let slotMemory: UnsafeMutableRawPointer
    private var freeSlots: [Int]
    private let slotsAvailable: Semaphore
    private let done: [Semaphore]

    /// The first virtio-blk device on the PCI bus, set up.
    static func probe() -> VirtioBlock? {
        let id = VirtioPCI.transitionalID(deviceType: deviceType)
        guard let device = PCI.find(vendor: VirtioPCI.vendor, device: id) else { return nil }
        guard let transport = VirtioPCI(device: device) else {
            print("[disk] virtio-blk at pci \(device.bus):\(device.slot).\(device.function): no I/O BAR or no interrupt line")
            return nil
        }
        guard let disk = VirtioBlock(transport: transport) else {
            transport.fail()
            print("[disk] virtio-blk: queue or slot setup failed")
            return nil
        }
        return disk
    }

    private init?(transport: VirtioPCI) {
        let wanted: UInt32 = 1 << UInt32(Feature.readOnly) | 1 << UInt32(Feature.geometry) | 1 << UInt32(Feature.flush)
        let features = transport.begin(wanted: wanted)
        guard let queue = Virtqueue(transport: transport, index: 0) else { return nil }
        // Three descriptors per request.
        let slots = min(VirtioBlock.slotLimit, queue.size / 3)
        var block: UnsafeMutableRawPointer? = nil
        guard slots > 0, posix_memalign(&block, 64, slots * VirtioBlock.slotBytes) == 0, let block else { return nil }
        block.initializeMemory(as: UInt8.self, repeating: 0, count: slots * VirtioBlock.slotBytes)
        self.transport = transport
        self.queue = queue
        slotMemory = block
        freeSlots = Array((0..<slots).reversed())
        slotsAvailable = Semaphore(slots)
        var done: [Semaphore] = []
        for _ in 0..<slots { done.append(Semaphore(0)) }
        self.done = done
        irq = transport.irq
        blockCount = UInt64(transport.config32(0)) | UInt64(transport.config32(4)) << 32
        isReadOnly = features & (1 << UInt32(Feature.readOnly)) != 0
        hasWriteCache = features & (1 << UInt32(Feature.flush)) != 0
        if features & (1 << UInt32(Feature.geometry)) != 0 {
            geometry = DiskGeometry(cylinders: Int(transport.config16(16)), heads: Int(transport.config8(18)),
                                    sectorsPerTrack: Int(transport.config8(19)))
        } else {
            geometry = DiskGeometry()
        }
        Interrupts.register(line: irq) { self.interrupt() }
        transport.ready()
    }

    /// The IRQ handler: wakes the waiter of every finished request.
    private func interrupt() -> Bool {
        guard transport.readISR() != 0 else { return false }
        interrupts &+= 1
        while let (slot, _) = queue.nextUsed() {
            guard slot >= 0, slot < done.count else { continue }   // never trust the device's index
            done[slot].up()
        }
        return true
    }

    func read(first: UInt64, into buffer: inout [UInt8]) -> DeviceStatus {
        guard buffer.count % DiskLimits.physicalBlockSize == 0,
              first + UInt64(buffer.count / DiskLimits.physicalBlockSize) <= blockCount else { return .refused }
        let status = buffer.withUnsafeMutableBytes { bytes in
            perform(.read, sector: first, data: bytes.baseAddress, length: bytes.count)
        }
        if status == .ok { statistics.reads &+= 1; statistics.bytesRead &+= UInt64(buffer.count) }
        return status
    }

    func write(first: UInt64, _ data: [UInt8]) -> DeviceStatus {
        guard !isReadOnly else { return .refused }
        guard data.count % DiskLimits.physicalBlockSize == 0,
              first + UInt64(data.count / DiskLimits.physicalBlockSize) <= blockCount else { return .refused }
        // The device only reads the buffer: its address is all it needs.
        let status = data.withUnsafeBytes { bytes in
            perform(.write, sector: first, data: UnsafeMutableRawPointer(mutating: bytes.baseAddress), length: bytes.count)
        }
        if status == .ok { statistics.writes &+= 1; statistics.bytesWritten &+= UInt64(data.count) }
        return status
    }

    func flush() -> DeviceStatus {
        guard hasWriteCache else { return .ok }   // writes through: nothing is held back
        let status = perform(.flush, sector: 0, data: nil, length: 0)
        if status == .ok { statistics.flushes &+= 1 }
        return status
    }

    /// One request, start to finish, on the calling kernel thread.
    private func perform(_ type: RequestType, sector: UInt64, data: UnsafeMutableRawPointer?, length: Int) -> DeviceStatus {
        guard length == 0 || data != nil else { return .refused }
        slotsAvailable.down()
        let slot = Interrupts.withDisabled { freeSlots.removeLast() }
        let header = slotMemory + slot * VirtioBlock.slotBytes
        shared_store32(header, type.rawValue)
        shared_store32(header + 4, 0)
        shared_store32(header + 8, UInt32(truncatingIfNeeded: sector))
        shared_store32(header + 12, UInt32(truncatingIfNeeded: sector >> 32))
        shared_store32(header + 16, 0xFF)   // no status yet
        var segments = [Virtqueue.Segment(address: address(header), length: 16, deviceWrites: false)]
        if let data, length > 0 {
            segments.append(Virtqueue.Segment(address: address(data), length: UInt32(length), deviceWrites: type == .read))
        }
        segments.append(Virtqueue.Segment(address: address(header + 16), length: 1, deviceWrites: true))
        let queued = Interrupts.withDisabled {
            cpu_memory_fence()   // the caller's data is in memory before the device can see the chain
            guard queue.add(segments, token: slot) else { return false }
            queue.kick()
            statistics.inFlight += 1
            statistics.mostInFlight = max(statistics.mostInFlight, statistics.inFlight)
            return true
        }
        var result = DeviceStatus.refused
        if queued {
            let started = Clock.now()
            done[slot].down()
            let took = UInt64(max(0, (Clock.now() - started).microseconds))
            switch type {
            case .read: statistics.readMicroseconds &+= took
            case .write: statistics.writeMicroseconds &+= took
            case .flush: statistics.flushMicroseconds &+= took
            }
            Interrupts.withDisabled { statistics.inFlight -= 1 }
            switch RequestStatus(rawValue: UInt8(truncatingIfNeeded: shared_load32(header + 16))) {
            case .ok: result = .ok
            case .unsupported: result = .unsupported
            default: result = .ioError
            }
        }
        if result != .ok { statistics.errors &+= 1 }
        Interrupts.withDisabled { freeSlots.append(slot) }
        slotsAvailable.up()
        return result
    }

    private func address(_ p: UnsafeMutableRawPointer) -> UInt32 { UInt32(UInt(bitPattern: p)) }

    /// The counters as sys KSTAT `d` prints them.
    func report() -> String {
        let s = statistics
        return "disk: \(blockCount) blocks of 512 bytes, write cache \(hasWriteCache ? "on (flushed)" : "off")\(isReadOnly ? ", read-only" : "")\n"
            + "reads \(s.reads) (\(s.bytesRead) bytes), writes \(s.writes) (\(s.bytesWritten) bytes), flushes \(s.flushes), errors \(s.errors)\n"
            + "interrupts \(interrupts), in flight \(s.inFlight), most in flight \(s.mostInFlight)\n"
            + "device time: reads \(s.readMicroseconds) us, writes \(s.writeMicroseconds) us, flushes \(s.flushMicroseconds) us\n"
    }
}
