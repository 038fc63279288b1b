// The virtio PCI transport, legacy interface: the registers every virtio
// device (network, block, ...) shares, in I/O space at BAR0. A driver
// resets the device, acknowledges it, agrees on features, sets up its
// virtqueues (`Virtqueue`), and declares itself ready; afterwards it
// notifies queues through this transport and acknowledges interrupts by
// reading the ISR register.
//
// QEMU's virtio devices are transitional by default, so the legacy
// interface is always there, and it needs no capability walking or
// memory-mapped BARs. Its device-specific configuration starts at 0x14 as
// long as MSI-X stays off, which it does here (interrupts come as INTx).

final class VirtioPCI {
    /// Device status bits.
    static let acknowledge: UInt8 = 1
    static let driver: UInt8 = 2
    static let driverOK: UInt8 = 4
    static let failed: UInt8 = 0x80

    /// QEMU's and every virtio device's PCI vendor.
    static let vendor: UInt16 = 0x1AF4
    /// Transitional device ids: 0x1000 + (virtio device type - 1), e.g. network 0x1000, block 0x1001.
    static func transitionalID(deviceType: UInt16) -> UInt16 { 0x1000 + deviceType - 1 }

    private enum Register {
        static let deviceFeatures: UInt16 = 0x00
        static let driverFeatures: UInt16 = 0x04
        static let queueAddress: UInt16 = 0x08
        static let queueSize: UInt16 = 0x0C
        static let queueSelect: UInt16 = 0x0E
        static let queueNotify: UInt16 = 0x10
        static let status: UInt16 = 0x12
        static let isr: UInt16 = 0x13
        static let deviceConfig: UInt16 = 0x14
    }

    let device: PCIDevice
    let ioBase: UInt16
    let irq: Int
    /// The features both sides agreed on.
    private(set) var features: UInt32 = 0

    /// Takes over `device`: nil when it has no legacy I/O BAR or no interrupt line.
    init?(device: PCIDevice) {
        guard case .io(let base) = device.bar(0), let line = device.interruptLine else { return nil }
        self.device = device
        ioBase = base
        irq = line
        device.enable(io: true, memory: false, busMaster: true)
    }

    /// Resets the device and announces a driver, then accepts the `wanted`
    /// features the device offers. Queues are set up next, then `ready()`.
    func begin(wanted: UInt32) -> UInt32 {
        outb(ioBase + Register.status, 0)      // reset
        status = VirtioPCI.acknowledge
        status = VirtioPCI.acknowledge | VirtioPCI.driver
        features = inl(ioBase + Register.deviceFeatures) & wanted
        outl(ioBase + Register.driverFeatures, features)
        return features
    }

    func ready() { status = status | VirtioPCI.driverOK }

    func fail() { status = status | VirtioPCI.failed }

    var status: UInt8 {
        get { inb(ioBase + Register.status) }
        set { outb(ioBase + Register.status, newValue) }
    }

    func has(feature bit: Int) -> Bool { features & (1 << UInt32(bit)) != 0 }

    /// The size the device gives queue `index` (0: the queue does not exist).
    func queueSize(_ index: UInt16) -> Int {
        outw(ioBase + Register.queueSelect, index)
        return Int(inw(ioBase + Register.queueSize))
    }

    /// Tells the device where queue `index` lives (page-aligned physical address).
    func setQueueAddress(_ index: UInt16, physical: UInt32) {
        outw(ioBase + Register.queueSelect, index)
        outl(ioBase + Register.queueAddress, physical >> 12)
    }

    func notify(queue index: UInt16) { outw(ioBase + Register.queueNotify, index) }

    /// Reading the ISR register acknowledges the interrupt (the device lowers
    /// its line). Bit 0: a queue has news; bit 1: the configuration changed.
    /// Zero means this device did not interrupt (the line may be shared).
    func readISR() -> UInt8 { inb(ioBase + Register.isr) }

    func config8(_ offset: UInt16) -> UInt8 { inb(ioBase + Register.deviceConfig + offset) }
    func config16(_ offset: UInt16) -> UInt16 { inw(ioBase + Register.deviceConfig + offset) }
    func config32(_ offset: UInt16) -> UInt32 { inl(ioBase + Register.deviceConfig + offset) }
}
