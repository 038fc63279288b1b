// CPU exceptions. A fault in user mode belongs to the process that caused
// it: it goes to the process layer, which aborts that process and lets the
// rest of the system carry on. A fault in the kernel is a kernel bug: the
// registers are dumped in a form a person can read, and the machine stops
// (through isa-debug-exit, so a test run fails instead of hanging).

enum Exceptions {
    static let names: [StaticString] = [
        "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
        "invalid opcode", "device not available", "double fault", "coprocessor overrun",
        "invalid TSS", "segment not present", "stack fault", "general protection",
        "page fault", "reserved", "x87 floating point", "alignment check",
        "machine check", "SIMD floating point", "virtualization", "control protection",
    ]

    static func name(_ vector: Int) -> StaticString {
        vector < names.count ? names[vector] : "reserved"
    }

    static func handle(_ frame: UnsafeMutablePointer<InterruptFrame>) {
        if frame.pointee.fromUserMode, let h = Interrupts.userFaultHandler {
            h(frame)
            return
        }
        dump(frame, title: "kernel exception")
        Machine.exit(Machine.failCode)
    }

    static func dump(_ frame: UnsafeMutablePointer<InterruptFrame>, title: StaticString) {
        let f = frame.pointee
        Serial.write("\n[kernel] ")
        Serial.write(title)
        Serial.write(": ")
        Serial.write(name(Int(f.vector)))
        Serial.write(" (vector \(f.vector), error \(hex(f.errorCode)))\n")
        Serial.write("  eip \(hex(f.eip))  cs \(hex(f.cs))  eflags \(hex(f.eflags))")
        if f.vector == 14 { Serial.write("  cr2 \(hex(cpu_cr2()))") }
        Serial.write("\n  eax \(hex(f.eax))  ebx \(hex(f.ebx))  ecx \(hex(f.ecx))  edx \(hex(f.edx))\n")
        Serial.write("  esi \(hex(f.esi))  edi \(hex(f.edi))  ebp \(hex(f.ebp))  esp \(hex(f.espAtPush))\n")
        if f.fromUserMode { Serial.write("  user esp \(hex(f.userESP))  ss \(hex(f.userSS))\n") }
    }
}

/// Eight hex digits, the way register dumps read.
func hex(_ v: UInt32) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var s = "0x"
    var shift: UInt32 = 28
    while true {
        s.append(Character(Unicode.Scalar(digits[Int((v >> shift) & 0xF)])))
        if shift == 0 { break }
        shift -= 4
    }
    return s
}
