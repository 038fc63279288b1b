// What a program was started with, read from Amoeba's initial stack: the
// arguments, the environment strings ("NAME=value") and the capability
// environment (STDIN, STDOUT, STDERR, ROOT, ...), as the kernel (for its
// boot-image programs) or ax (through the proc server) laid it out.
import AmoebaCore

enum Program {
    static var arguments: [String] = []
    static var environment: [String] = []
    static var capabilities: [(String, Capability)] = []

    /// The capability named `name` in the capability environment (getcap).
    static func capability(_ name: String) -> Capability? {
        for (n, c) in capabilities where n == name { return c }
        return nil
    }

    /// The value of environment string `name` (getenv).
    static func environment(_ name: String) -> String? {
        for e in environment where e.hasPrefix(name + "=") { return String(e.dropFirst(name.utf8.count + 1)) }
        return nil
    }

    /// The first argument as a number, the way the boot-image test
    /// programs take their mode (0 when there is none).
    static var numericArgument: UInt32 {
        arguments.count > 1 ? UInt32(arguments[1]) ?? 0 : 0
    }

    /// Reads argc/argv/envp/capv at `sp`. Limits keep a corrupt stack from
    /// running away: counts and string lengths are capped.
    static func read(stack sp: UnsafeRawPointer) {
        func word(_ address: UInt32) -> UInt32 {
            UnsafeRawPointer(bitPattern: UInt(address))!.load(as: UInt32.self)
        }
        func string(_ address: UInt32) -> String {
            var bytes: [UInt8] = []
            var a = address
            while bytes.count < 4096 {
                let c = UnsafeRawPointer(bitPattern: UInt(a))!.load(as: UInt8.self)
                if c == 0 { break }
                bytes.append(c)
                a += 1
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let argc = sp.load(as: UInt32.self)
        let argv = sp.load(fromByteOffset: 4, as: UInt32.self)
        let envp = sp.load(fromByteOffset: 8, as: UInt32.self)
        let capv = sp.load(fromByteOffset: 12, as: UInt32.self)
        if argv != 0 {
            for i in 0..<min(argc, 1024) {
                let p = word(argv + 4 * i)
                if p == 0 { break }
                arguments.append(string(p))
            }
        }
        if envp != 0 {
            var i: UInt32 = 0
            while i < 1024, case let p = word(envp + 4 * i), p != 0 { environment.append(string(p)); i += 1 }
        }
        if capv != 0 {
            var i: UInt32 = 0
            while i < 256, case let name = word(capv + 8 * i), name != 0 {
                let capAt = word(capv + 8 * i + 4)
                if capAt != 0 {
                    var bytes: [UInt8] = []
                    for k in 0..<16 { bytes.append(UnsafeRawPointer(bitPattern: UInt(capAt + UInt32(k)))!.load(as: UInt8.self)) }
                    if let cap = Capability(bytes: bytes) { capabilities.append((string(name), cap)) }
                }
                i += 1
            }
        }
    }
}
