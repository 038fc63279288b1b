// The PCI bus, through configuration mechanism #1 (an address written to
// port 0xCF8, the register read or written at 0xCFC): enough to find a
// device by its vendor and device id, learn where its registers are (BARs)
// and which interrupt line it raises, and let it decode I/O and master
// the bus for DMA. The firmware (SeaBIOS under QEMU) has already assigned
// the BARs and routed the interrupt lines; this only reads what it chose.
//
// The scan starts at bus 0 and follows PCI-to-PCI bridges to the buses
// behind them, so it costs a few hundred port accesses rather than the
// 8192 a blind sweep of every bus would.

struct PCIDevice {
    let bus: UInt8
    let slot: UInt8
    let function: UInt8
    let vendorID: UInt16
    let deviceID: UInt16

    /// Where a base address register points.
    enum BAR: Equatable {
        case io(UInt16)
        case memory(UInt32)
        case absent
    }

    private var configAddress: UInt32 {
        0x8000_0000 | UInt32(bus) << 16 | UInt32(slot) << 11 | UInt32(function) << 8
    }

    func read32(_ offset: UInt8) -> UInt32 {
        Interrupts.withDisabled {
            outl(0xCF8, configAddress | UInt32(offset & 0xFC))
            return inl(0xCFC)
        }
    }

    func write32(_ offset: UInt8, _ value: UInt32) {
        Interrupts.withDisabled {
            outl(0xCF8, configAddress | UInt32(offset & 0xFC))
            outl(0xCFC, value)
        }
    }

    func read16(_ offset: UInt8) -> UInt16 {
        UInt16(truncatingIfNeeded: read32(offset) >> (UInt32(offset & 2) * 8))
    }

    func read8(_ offset: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: read32(offset) >> (UInt32(offset & 3) * 8))
    }

    var classCode: UInt8 { read8(0x0B) }
    var subclass: UInt8 { read8(0x0A) }
    var headerType: UInt8 { read8(0x0E) & 0x7F }

    /// The 8259 line the firmware routed INTx to; nil when there is none.
    var interruptLine: Int? {
        let line = read8(0x3C)
        return line < 16 ? Int(line) : nil
    }

    func bar(_ index: Int) -> BAR {
        guard index >= 0, index < 6, headerType == 0 else { return .absent }
        let raw = read32(UInt8(0x10 + 4 * index))
        if raw & 1 != 0 {
            let port = raw & 0xFFFC
            return port == 0 ? .absent : .io(UInt16(port))
        }
        let address = raw & 0xFFFF_FFF0
        return address == 0 ? .absent : .memory(address)
    }

    /// Lets the device answer I/O and memory accesses and DMA into memory,
    /// and makes sure its INTx output is not switched off.
    func enable(io: Bool = true, memory: Bool = true, busMaster: Bool = true) {
        var command = UInt32(read16(0x04))
        if io { command |= 0x1 }
        if memory { command |= 0x2 }
        if busMaster { command |= 0x4 }
        command &= ~UInt32(0x400)   // INTx disable
        // The upper half is the status register, whose bits clear when written with 1: write 0 there.
        write32(0x04, command)
    }
}

enum PCI {
    /// Every function on every bus reachable from bus 0.
    static func devices() -> [PCIDevice] {
        var found: [PCIDevice] = []
        var visited = [Bool](repeating: false, count: 256)
        scan(bus: 0, into: &found, visited: &visited)
        return found
    }

    /// The first device with these ids, if any.
    static func find(vendor: UInt16, device: UInt16) -> PCIDevice? {
        for d in devices() where d.vendorID == vendor && d.deviceID == device { return d }
        return nil
    }

    private static func probe(_ bus: UInt8, _ slot: UInt8, _ function: UInt8) -> PCIDevice? {
        let blank = PCIDevice(bus: bus, slot: slot, function: function, vendorID: 0, deviceID: 0)
        let ids = blank.read32(0)
        let vendor = UInt16(truncatingIfNeeded: ids)
        guard vendor != 0xFFFF else { return nil }
        return PCIDevice(bus: bus, slot: slot, function: function,
                         vendorID: vendor, deviceID: UInt16(truncatingIfNeeded: ids >> 16))
    }

    private static func scan(bus: UInt8, into found: inout [PCIDevice], visited: inout [Bool]) {
        guard !visited[Int(bus)] else { return }   // a misconfigured bridge must not loop us
        visited[Int(bus)] = true
        for slot in UInt8(0)..<32 {
            guard let first = probe(bus, slot, 0) else { continue }
            let functions: UInt8 = first.read8(0x0E) & 0x80 != 0 ? 8 : 1
            for function in UInt8(0)..<functions {
                guard let d = function == 0 ? first : probe(bus, slot, function) else { continue }
                found.append(d)
                if d.classCode == 0x06, d.subclass == 0x04, d.headerType == 1 {
                    let secondary = d.read8(0x19)
                    if secondary != 0 { scan(bus: secondary, into: &found, visited: &visited) }
                }
            }
        }
    }
}
