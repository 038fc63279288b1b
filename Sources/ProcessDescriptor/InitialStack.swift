// A new process's initial stack (Amoeba's buildstack, i386 layout): from
// the stack pointer up, argc, then pointers to argv, envp and capv; the
// argv and envp pointer arrays, each NULL-terminated, with their strings
// above them; the capv array of {name pointer, capability pointer} pairs
// ended by two NULLs, the names above it, and the 16-byte capabilities at
// the very top of the segment. Built downwards from the top, each array
// aligned by padding to the segment's 4-byte boundary. Words are
// little-endian (the i386's own order), pointers are addresses in the new
// process. ax builds one and ships it as the stack segment's contents;
// the kernel builds one for the programs it starts from its boot image.
import AmoebaCore

public struct InitialStack: Sendable {
    /// The segment's contents, `length` bytes, the stack at the end.
    public let bytes: [UInt8]
    /// The initial stack pointer (an address in the new process).
    public let stackPointer: UInt32
    /// The segment's first address.
    public let start: UInt32

    public enum BuildError: Error, Equatable, Sendable { case tooSmall }

    /// The bytes the environment needs besides pointers (what the segment
    /// must hold at least, before any room for the program itself).
    public static func required(arguments: [String], environment: [String], capabilities: [(String, Capability)]) -> Int {
        var n = 0
        for a in arguments { n += a.utf8.count + 1 + 4 }
        for e in environment { n += e.utf8.count + 1 + 4 }
        for (name, _) in capabilities { n += name.utf8.count + 1 + 16 + 8 }
        return n + 16 + 4 * 3 + 8 + 12
    }

    /// Lays the stack into a segment of `length` bytes starting at `start`.
    public init(start: UInt32, length: Int, arguments: [String], environment: [String],
                capabilities: [(String, Capability)]) throws(BuildError) {
        guard length >= InitialStack.required(arguments: arguments, environment: environment, capabilities: capabilities)
        else { throw .tooSmall }
        var b = [UInt8](repeating: 0, count: length)
        func put(_ v: UInt32, at o: Int) {
            for k in 0..<4 { b[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(k))) }
        }
        func putString(_ s: String, at o: Int) {
            var i = o
            for c in s.utf8 { b[i] = c; i += 1 }
            b[i] = 0
        }
        func vm(_ o: Int) -> UInt32 { start &+ UInt32(o) }

        // Capabilities at the top, their names below, the pairs below those.
        var e = length
        var capLength = 0, nameLength = 0
        for (name, _) in capabilities { capLength += 16; nameLength += name.utf8.count + 1 }
        var names = e - capLength
        var pointers = names - nameLength
        pointers -= pointers & 3
        pointers -= 8                                   // the two NULLs ending capv
        for (name, cap) in capabilities.reversed() {
            e -= 16
            for (k, byte) in cap.bytes.enumerated() { b[e + k] = byte }
            names -= name.utf8.count + 1
            putString(name, at: names)
            pointers -= 4; put(vm(e), at: pointers)
            pointers -= 4; put(vm(names), at: pointers)
        }
        let capv = pointers

        // envp, then argv: strings above, the NULL-terminated pointer array below.
        func pushStrings(_ strings: [String], below top: Int) -> Int {
            var total = 0
            for s in strings { total += s.utf8.count + 1 }
            var p = top - total
            p -= p & 3
            p -= 4                                      // NULL
            var s = top
            for string in strings.reversed() {
                s -= string.utf8.count + 1
                putString(string, at: s)
                p -= 4; put(vm(s), at: p)
            }
            return p
        }
        let envp = pushStrings(environment, below: capv)
        let argv = pushStrings(arguments, below: envp)
        var sp = argv
        sp -= 4; put(vm(capv), at: sp)
        sp -= 4; put(vm(envp), at: sp)
        sp -= 4; put(vm(argv), at: sp)
        sp -= 4; put(UInt32(arguments.count), at: sp)
        bytes = b
        stackPointer = vm(sp)
        self.start = start
    }
}
