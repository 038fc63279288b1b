// The kernel's network interface: a virtio-net device (QEMU's
// `virtio-net-pci`) over the legacy virtio PCI transport.
//
//     static func probe() -> VirtioNet?      nil when there is no usable device
//     let mac: [UInt8]                       6 bytes, from the device's configuration
//     let irq: Int                           the PIC line it interrupts on (possibly shared)
//     var onReceive: (() -> Void)?           called in interrupt context (interrupts off)
//                                            when frames have arrived: wake a thread here
//     func receiveAll(_ body: ([UInt8]) -> Void)
//                                            from a thread: every received frame (Ethernet
//                                            header onward), buffers re-posted as it goes;
//                                            the array is the driver's and is reused for
//                                            the next frame unless the body kept it
//     func transmit(_ frame: [UInt8]) -> Bool
//                                            queues one frame (padded here to 60 bytes);
//                                            false when every transmit slot is in flight
//                                            (counted as txFull) or it is over
//                                            frameCapacity (1547) bytes
//     var statistics: NICStatistics          received, dropped, ring full, transmitted, ...
//
// Call receiveAll and transmit from kernel threads only (never preempted,
// so the driver needs no lock); the interrupt handler touches nothing they
// change but the receive queue's interrupt hint.
//
// Receiving: 128 buffers stay posted in the receive queue, each a chain
// (built once, offered again as it is after each frame) of the 10-byte
// virtio_net_hdr (legacy layout, no mergeable buffers, so the
// header has its own descriptor) and room for a 1547-byte frame (1518 and
// a keyed segment's seal). The
// interrupt handler reads ISR (which acknowledges; zero means another
// device on the shared line), turns further receive interrupts off and
// calls onReceive; receiveAll drains the used ring, turns interrupts back
// on and looks once more, since a frame that arrived in between raised no
// interrupt. Every frame the device returns is either handed on or
// counted in rxDropped; each time all buffers are found full (the device
// had to hold frames back) rxRingFull grows.
//
// A frame leaves the receive buffer as a copy (the buffer goes straight
// back to the device) into an array the driver keeps: a fresh array per
// frame cost an allocation and its release, about half the guest's work
// per received frame. Whoever the body hands the array to may keep it (the
// node body keeps a view of a frame it could not finish with); then it is
// theirs, and the driver's next frame goes into a new array of its own.
// The driver keeps two such arrays, and a frame goes into one already of
// its length, copied over in place: emptying an array and appending the
// frame (the general way to change its length) cost three generic calls,
// ~170 guest instructions a frame beyond the copy. Two, because traffic
// alternates between two lengths (a request, then the client's ACK; a
// fragment, then a shorter last one); a third length resizes the array
// used least recently.
//
// Transmitting: 128 slots, each a zeroed header and a frame buffer; a frame
// is copied into a free slot and chained. Transmit interrupts stay off:
// finished slots are reclaimed from the used ring on the next transmit.
import KernelCore
import SegmentSeal

final class VirtioNet {
    static let deviceType: UInt16 = 1
    static let featureMAC = 5
    static let headerBytes = 10
    /// A full Ethernet frame without its checksum, plus room for a VLAN tag
    /// and for the seal of a keyed segment: on QEMU's Ethernet-in-UDP
    /// backends what the device moves is the sealed datagram (LinkSeal.swift),
    /// 29 bytes longer than the frame in it. Still within a 2 KiB slot.
    static let frameCapacity = 1518 + SegmentSeal.overhead
    static let minimumFrame = 60
    /// One buffer: the header at offset 0, the frame at `frameOffset`.
    static let slotBytes = 2048
    static let frameOffset = 16
    static let receiveBufferLimit = 128
    static let transmitSlotLimit = 128
    /// Re-posted receive buffers are announced to the device at least this often while draining.
    static let repostBatch = 16

    let mac: [UInt8]
    let irq: Int
    var onReceive: (() -> Void)? = nil

    private let transport: VirtioPCI
    private let receiveQueue: Virtqueue
    private let transmitQueue: Virtqueue
    private let receiveMemory: UnsafeMutableRawPointer
    private let transmitMemory: UnsafeMutableRawPointer
    private let receiveBuffers: Int
    private var freeTransmitSlots: [Int]
    /// The head of each receive buffer's descriptor chain, built once at
    /// start and offered again unchanged (Virtqueue.offerAgain); -1 for a
    /// buffer that could not be posted.
    private var receiveHeads: [Int32]
    /// The array each received frame is copied into, and the other one,
    /// holding the length before (see above).
    private var frame: [UInt8] = []
    private var other: [UInt8] = []
    private var counters = NICStatistics()

    var statistics: NICStatistics {
        var s = counters
        s.notifications = receiveQueue.notifications &+ transmitQueue.notifications
        return s
    }

    /// The first virtio-net device on the PCI bus, set up and receiving.
    static func probe() -> VirtioNet? {
        let id = VirtioPCI.transitionalID(deviceType: deviceType)
        guard let device = PCI.find(vendor: VirtioPCI.vendor, device: id) else { return nil }
        guard let transport = VirtioPCI(device: device) else {
            print("[net] virtio-net at pci \(device.bus):\(device.slot).\(device.function): no I/O BAR or no interrupt line")
            return nil
        }
        guard let nic = VirtioNet(transport: transport) else {
            transport.fail()
            print("[net] virtio-net: queue or buffer setup failed")
            return nil
        }
        return nic
    }

    private init?(transport: VirtioPCI) {
        let features = transport.begin(wanted: 1 << UInt32(VirtioNet.featureMAC))
        guard let rx = Virtqueue(transport: transport, index: 0),
              let tx = Virtqueue(transport: transport, index: 1) else { return nil }
        let receiveBuffers = min(VirtioNet.receiveBufferLimit, rx.size / 2)
        let transmitSlots = min(VirtioNet.transmitSlotLimit, tx.size / 2)
        guard receiveBuffers > 0, transmitSlots > 0,
              let rxMemory = VirtioNet.allocateSlots(receiveBuffers),
              let txMemory = VirtioNet.allocateSlots(transmitSlots) else { return nil }
        self.transport = transport
        receiveQueue = rx
        transmitQueue = tx
        receiveMemory = rxMemory
        transmitMemory = txMemory
        self.receiveBuffers = receiveBuffers
        freeTransmitSlots = Array((0..<transmitSlots).reversed())
        receiveHeads = [Int32](repeating: -1, count: receiveBuffers)
        irq = transport.irq
        var mac: [UInt8] = []
        if features & (1 << UInt32(VirtioNet.featureMAC)) != 0 {
            for i in 0..<6 { mac.append(transport.config8(UInt16(i))) }
        } else {
            // Without the feature the device's address cannot be read (nor set,
            // in the legacy interface); it is promiscuous, so a made-up locally
            // administered address still receives what is sent to it.
            mac = [0x02, Entropy.nextByte(), Entropy.nextByte(), Entropy.nextByte(), Entropy.nextByte(), Entropy.nextByte()]
        }
        self.mac = mac

        frame.reserveCapacity(VirtioNet.frameCapacity)
        other.reserveCapacity(VirtioNet.frameCapacity)
        for slot in 0..<receiveBuffers {
            let head = Int32(rx.nextFreeDescriptor)
            if post(slot) { receiveHeads[slot] = head }
        }
        transmitQueue.suppressInterrupts()
        Interrupts.register(line: irq) { self.interrupt() }
        transport.ready()
        receiveQueue.kick()
    }

    private static func allocateSlots(_ count: Int) -> UnsafeMutableRawPointer? {
        var block: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&block, 4096, count * slotBytes) == 0, let block else { return nil }
        block.initializeMemory(as: UInt8.self, repeating: 0, count: count * slotBytes)
        return block
    }

    private static func address(_ p: UnsafeMutableRawPointer) -> UInt32 { UInt32(UInt(bitPattern: p)) }

    /// Offers receive buffer `slot` to the device again.
    private func post(_ slot: Int) -> Bool {
        let base = receiveMemory + slot * VirtioNet.slotBytes
        return receiveQueue.add(
            Virtqueue.Segment(address: VirtioNet.address(base), length: UInt32(VirtioNet.headerBytes), deviceWrites: true),
            Virtqueue.Segment(address: VirtioNet.address(base + VirtioNet.frameOffset),
                              length: UInt32(VirtioNet.frameCapacity), deviceWrites: true),
            token: slot)
    }

    /// The IRQ handler (interrupts off). The line may be shared: a zero ISR
    /// means the interrupt was another device's. Never inlined: its entry
    /// is where kernel-net-profile.sh starts an answer's critical path (the
    /// link-time optimiser would otherwise fold it into the dispatcher).
    @inline(never)
    private func interrupt() -> Bool {
        let isr = transport.readISR()
        guard isr != 0 else { return false }
        counters.interrupts &+= 1
        if receiveQueue.hasUsed {
            receiveQueue.suppressInterrupts()
            onReceive?()
        }
        return true
    }

    func receiveAll(_ body: ([UInt8]) -> Void) {
        var unannounced = 0
        while true {
            if receiveQueue.usedCount >= receiveBuffers { counters.rxRingFull &+= 1 }
            while let (slot, head, written) = receiveQueue.nextUsedKept() {
                // Only a head this driver offered for that slot goes back:
                // a device returning anything else is counted, never trusted.
                guard slot >= 0, slot < receiveBuffers, receiveHeads[slot] == Int32(head) else {
                    counters.rxDropped &+= 1; continue
                }
                let copied = copyFrame(slot, written: Int(written))
                receiveQueue.offerAgain(head: head)
                unannounced += 1
                if unannounced >= VirtioNet.repostBatch { receiveQueue.kick(); unannounced = 0 }
                if copied {
                    counters.received &+= 1
                    body(frame)
                } else {
                    counters.rxDropped &+= 1
                }
            }
            if unannounced > 0 { receiveQueue.kick(); unannounced = 0 }
            if !receiveQueue.allowInterrupts() { return }
            receiveQueue.suppressInterrupts()
        }
    }

    /// Copies the frame in receive buffer `slot` into `frame`; false when
    /// the length the device reports is no Ethernet frame (shorter than its
    /// header, or past the buffer).
    private func copyFrame(_ slot: Int, written: Int) -> Bool {
        let length = written - VirtioNet.headerBytes
        guard length >= 14, length <= VirtioNet.frameCapacity else { return false }
        let source = UnsafeRawBufferPointer(start: receiveMemory + slot * VirtioNet.slotBytes + VirtioNet.frameOffset,
                                            count: length)
        if frame.count != length { swap(&frame, &other) }
        if frame.count == length {
            // Over the old frame, in place while nobody else holds the
            // array (otherwise the write gives the driver a copy of its own).
            frame.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: length) }
        } else {
            // In place while nobody else holds the array; otherwise emptying
            // it gives the driver a new one of the same capacity.
            frame.removeAll(keepingCapacity: true)
            frame.append(contentsOf: source)
        }
        return true
    }

    func transmit(_ frame: [UInt8]) -> Bool {
        while let (slot, _) = transmitQueue.nextUsed() {
            if slot >= 0 { freeTransmitSlots.append(slot) }
        }
        guard frame.count <= VirtioNet.frameCapacity else { counters.txTooLong &+= 1; return false }
        guard let slot = freeTransmitSlots.popLast() else { counters.txFull &+= 1; return false }
        let base = transmitMemory + slot * VirtioNet.slotBytes
        let data = base + VirtioNet.frameOffset
        frame.withUnsafeBytes { bytes in
            if let from = bytes.baseAddress { data.copyMemory(from: from, byteCount: bytes.count) }
        }
        let length = max(frame.count, VirtioNet.minimumFrame)
        if frame.count < length {
            (data + frame.count).initializeMemory(as: UInt8.self, repeating: 0, count: length - frame.count)
        }
        // The header stays as allocated: all zero, no checksum or segmentation offload.
        _ = transmitQueue.add(
            Virtqueue.Segment(address: VirtioNet.address(base), length: UInt32(VirtioNet.headerBytes), deviceWrites: false),
            Virtqueue.Segment(address: VirtioNet.address(data), length: UInt32(length), deviceWrites: false),
            token: slot)
        transmitQueue.kick()
        counters.transmitted &+= 1
        return true
    }
}
