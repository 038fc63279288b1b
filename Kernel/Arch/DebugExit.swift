// Ending the machine. Under QEMU with `-device isa-debug-exit,iobase=0xf4`
// a byte written to the port ends the emulator with status (code << 1) | 1,
// which is how a scenario reports pass or fail to the test runner. On a
// machine without the device the write is ignored and the CPU halts.

enum Machine {
    static let passCode: UInt8 = 0x10   // QEMU exits with 33
    static let failCode: UInt8 = 0x11   // QEMU exits with 35

    static func exit(_ code: UInt8) -> Never {
        outb(0xF4, code)
        halt()
    }

    static func halt() -> Never {
        while true { cpu_cli(); cpu_hlt() }
    }

    static func pass() -> Never {
        print("[kernel] scenario PASS")
        exit(passCode)
    }

    static func fail(_ why: String) -> Never {
        print("[kernel] scenario FAIL: \(why)")
        exit(failCode)
    }
}
