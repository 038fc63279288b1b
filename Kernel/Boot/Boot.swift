// The kernel's first Swift code: from the boot loader's hand-off to a
// running system. The order matters: the console first (so anything that
// goes wrong can be told), then the heap (before anything allocates), the
// machine layer, the clock and timers, threads, the servers and the
// network, and then the node idles with its console. The test image
// (built with KERNEL_TEST_IMAGE, Kernel/TestImage) also starts the
// fixtures and runs the scenario the command line names.
import AmoebaCore
import KernelCore

enum Kernel {
    static var entryTSC: UInt64 = 0
    static var pages: PageFrameAllocator? = nil
    static var regions: [PhysicalRegion] = []
    static var commandLine = BootCommandLine("")
    static var bootCalendar: CalendarTime? = nil
    static var bootUnixSeconds: Int64 = 0
    static var readyMicroseconds: UInt64 = 0
    static var heapBase: UInt32 = 0
    static var heapSize: UInt32 = 0
}

@_cdecl("kmain")
func kmain(_ magic: UInt32, _ infoAddress: UInt32) {
    Kernel.entryTSC = cpu_rdtsc()
    Serial.initialize()
    Serial.write("[kernel] VX kernel booting\n")
    if magic != 0x2BAD_B002 { Serial.write("[kernel] not booted by a multiboot loader\n"); Machine.exit(Machine.failCode) }
    let info = UnsafeRawPointer(bitPattern: UInt(infoAddress))!
    let flags = info.load(as: UInt32.self)

    // The heap goes right after the image: an eighth of memory, 1-16 MiB.
    let memUpperKiB = flags & 1 != 0 ? info.load(fromByteOffset: 8, as: UInt32.self) : 15 * 1024
    let memoryTop = 0x10_0000 + memUpperKiB * 1024
    // The loader puts its own data (this info block, the command line, the
    // memory map) right after the image: the heap starts beyond all of it.
    var bootDataEnd = max(addr_kernel_end(), infoAddress + 128)
    if flags & (1 << 2) != 0 {
        let cmd = info.load(fromByteOffset: 16, as: UInt32.self)
        bootDataEnd = max(bootDataEnd, cmd + UInt32(strlen(UnsafePointer<CChar>(bitPattern: UInt(cmd))!)) + 1)
    }
    if flags & (1 << 6) != 0 {
        bootDataEnd = max(bootDataEnd, info.load(fromByteOffset: 48, as: UInt32.self) + info.load(fromByteOffset: 44, as: UInt32.self))
    }
    let heapBase = (bootDataEnd + 0xFFF) & ~0xFFF
    let heapSize = min(max((memoryTop - heapBase) / 8, 1 << 20), 16 << 20)
    Kernel.heapBase = heapBase
    Kernel.heapSize = heapSize
    kernelHeap = HeapAllocator(region: UnsafeMutableRawPointer(bitPattern: UInt(heapBase))!, size: Int(heapSize), quickLists: true)

    if flags & (1 << 2) != 0 {
        let cmd = UnsafePointer<CChar>(bitPattern: UInt(info.load(fromByteOffset: 16, as: UInt32.self)))!
        Kernel.commandLine = BootCommandLine(String(cString: cmd))
    }
    if flags & (1 << 6) != 0 {
        let length = Int(info.load(fromByteOffset: 44, as: UInt32.self))
        let address = UInt(info.load(fromByteOffset: 48, as: UInt32.self))
        Kernel.regions = MemoryMap.parse(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: length))
    } else {
        Kernel.regions = [PhysicalRegion(base: 0x10_0000, length: UInt64(memUpperKiB) * 1024, isAvailable: true)]
    }
    var pages = PageFrameAllocator(regions: Kernel.regions, limit: 1 << 30)   // what the kernel maps
    pages.reserve(base: 0, length: 0x10_0000)                       // BIOS, VGA, boot data
    pages.reserve(base: UInt64(addr_kernel_start()), length: UInt64(heapBase + heapSize - addr_kernel_start()))
    Kernel.pages = pages

    Paging.enable()
    Descriptors.install()
    Interrupts.initialize()
    FPU.enable()
    Entropy.detect()
    Clock.calibrate()
    Kernel.bootCalendar = RTC.read()
    Kernel.bootUnixSeconds = Kernel.bootCalendar?.unixSeconds ?? 0
    Scheduler.initialize()
    Timers.initialize()
    SystemCalls.install()
    Interrupts.enable()
    KernelServers.start()
    Network.start()
    #if KERNEL_TEST_IMAGE
    TestImage.startFixtures(Kernel.commandLine)
    #endif

    let since = cpu_rdtsc() &- Kernel.entryTSC
    Kernel.readyMicroseconds = Clock.microseconds(ofCounts: since)
    let availableKiB = MemoryMap.availableBytes(Kernel.regions) / 1024
    print("[kernel] memory: \(availableKiB) KiB usable, \(pages.freeCount) free pages, heap \(heapSize / 1024) KiB at \(hex(heapBase))")
    print("[kernel] clock: TSC \(Clock.tscHz / 1000) kHz; RTC \(Kernel.bootUnixSeconds) s since 1970")
    print("[kernel] ready in \(Kernel.readyMicroseconds) us (\(since) TSC counts)")
    print("[kernel] kernel directory:")
    for e in KernelServers.directory!.entries {
        print("  \(e.name)\t\(e.capability.text)")
    }
    #if KERNEL_TEST_IMAGE
    if let scenario = Kernel.commandLine.value(of: "scenario") { Scenarios.run(scenario) }
    #else
    if let scenario = Kernel.commandLine.value(of: "scenario") {
        Machine.fail("scenario=\(scenario): this image carries no test scenarios (they are in kernel-test.elf)")
    }
    #endif
    Kernel.idle()
}

extension Kernel {
    /// The boot thread, parked for good by `idle`. A blocked thread that
    /// nothing refers to is freed at the switch away from it, and the
    /// switch would then save its stack pointer into freed memory.
    static var parkedBootThread: KThread? = nil

    /// The node's normal life: its threads serve, the boot thread sleeps.
    static func idle() {
        print("[kernel] no scenario: node up, console idle")
        Interrupts.withDisabled {
            parkedBootThread = Scheduler.current
            Scheduler.block()
        }
    }
}
