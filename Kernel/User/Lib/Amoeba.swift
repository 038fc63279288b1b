// The user library's system interface: transactions with the same header
// and error codes as network RPC, exit, sleep, segments, and the lookups in
// the kernel directory a program starts with.
import AmoebaCore
import DirectoryProtocol
import KernelCore

enum Amoeba {
    static var directory = Capability.null

    /// One transaction: request header and data out, reply header and data back.
    static func trans(_ request: Header, _ data: [UInt8] = [], replyCapacity: Int = 1024) -> (Header, [UInt8]) {
        // Header and reply buffer on the stack: the transaction allocates
        // only for reply data it actually receives.
        let capacity = max(replyCapacity, 0)
        // The closure returns nothing: a value returned through it would be
        // copied in and out of a generic wrapper on every call.
        var reply = Header()
        var body: [UInt8] = []
        withUnsafeTemporaryAllocation(byteCount: 32 + capacity, alignment: 16) { buffer in
            let hp = buffer.baseAddress!
            RawHeader.store(request, to: hp)
            let rp = hp + 32
            let n = data.withUnsafeBytes { d in
                systemCall(.trans, address(hp), address(d), UInt32(d.count),
                         address(rp), UInt32(capacity))
            }
            guard n >= 0 else {
                reply.status = ErrorCode(rawValue: Int16(truncatingIfNeeded: n))
                return
            }
            reply = RawHeader.load(from: hp)
            if n > 0 { body = Array(UnsafeRawBufferPointer(start: rp, count: Int(n))) }
        }
        return (reply, body)
    }

    static func address(_ p: UnsafeRawPointer) -> UInt32 {
        UInt32(UInt(bitPattern: p))
    }

    static func address(_ b: UnsafeMutableRawBufferPointer) -> UInt32 {
        UInt32(UInt(bitPattern: b.baseAddress))
    }

    /// An empty buffer may have no address at all: the kernel accepts any
    /// address, null too, with length zero.
    static func address(_ b: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(UInt(bitPattern: b.baseAddress))
    }

    static func exit(_ status: Int32) -> Never {
        Console.flush()
        _ = systemCall(.exit, UInt32(bitPattern: status), 0, 0, 0, 0)
        while true {}
    }

    static func sleep(microseconds: UInt32) { _ = systemCall(.sleep, microseconds, 0, 0, 0, 0) }

    static func yield() { _ = systemCall(.yield, 0, 0, 0, 0, 0) }

    /// A new read-write segment of `size` bytes; nil when the kernel refuses.
    static func allocateSegment(_ size: UInt32) -> UnsafeMutableRawPointer? {
        let r = systemCall(.allocateSegment, size, 0, 0, 0, 0)
        return r > 0 || r < -65536 ? UnsafeMutableRawPointer(bitPattern: UInt(UInt32(bitPattern: r))) : nil
    }

    /// Waits for a request on `getPort`: its header and data.
    static func getRequest(_ getPort: Port, capacity: Int = 1024) -> (Header, [UInt8]) {
        var h = Header()
        h.port = getPort
        var header = h.encoded(order: .little)
        var buffer = [UInt8](repeating: 0, count: max(capacity, 1))
        let n = header.withUnsafeMutableBytes { hp in
            buffer.withUnsafeMutableBytes { b in systemCall(.getRequest, address(hp), address(b), UInt32(capacity), 0, 0) }
        }
        let request = (try? Header.decode(header, order: .little)) ?? Header()
        return (request, n > 0 ? Array(buffer.prefix(Int(n))) : [])
    }

    /// Answers the request taken with `getRequest`.
    @discardableResult
    static func putReply(_ reply: Header, _ data: [UInt8] = []) -> Int32 {
        var header = reply.encoded(order: .little)
        return header.withUnsafeMutableBytes { hp in
            data.withUnsafeBytes { b in systemCall(.putReply, address(hp), address(b), UInt32(b.count), 0, 0) }
        }
    }

    /// A server's loop in one system call: answers the request taken last
    /// (if any) with `reply` and `data`, then waits for the next on
    /// `getPort`, as getRequest does.
    static func replyAndGetRequest(_ reply: Header, _ data: [UInt8] = [], on getPort: Port, capacity: Int = 1024) -> (Header, [UInt8]) {
        // Both headers and the request buffer on the stack, as in `trans`.
        let capacity = max(capacity, 0)
        return withUnsafeTemporaryAllocation(byteCount: 64 + capacity, alignment: 16) { buffer in
            let hp = buffer.baseAddress!
            RawHeader.store(reply, to: hp)
            var listen = Header()
            listen.port = getPort
            RawHeader.store(listen, to: hp + 32)
            let bp = hp + 64
            let n = data.withUnsafeBytes { d in
                systemCall(.replyAndReceive, address(hp), address(d), UInt32(d.count), address(bp), UInt32(capacity))
            }
            guard n >= 0 else {
                var failed = Header()
                failed.status = ErrorCode(rawValue: Int16(truncatingIfNeeded: n))
                return (failed, [])
            }
            return (RawHeader.load(from: hp + 32), n == 0 ? [] : Array(UnsafeRawBufferPointer(start: bp, count: Int(n))))
        }
    }

    /// Starts a thread at `entry` (a C-convention function taking `argument`)
    /// on a fresh stack segment (with a guard page below it); returns its id, or a negative error.
    static func startThread(_ entry: @convention(c) (UInt32) -> Void, argument: UInt32, stackSize: UInt32 = 16384) -> Int32 {
        guard let stack = Segments.allocateStack(stackSize) else { return -1 }
        let top = UInt32(UInt(bitPattern: stack)) + stackSize
        let pc = UInt32(UInt(bitPattern: unsafeBitCast(entry, to: UnsafeRawPointer.self)))
        return systemCall(.createThread, pc, top, argument, 0, 0)
    }

    /// Waits for IRQ `line`: 0 when it fired, a negative error otherwise.
    static func awaitInterrupt(_ line: UInt32, timeoutMicroseconds: UInt32) -> Int32 {
        systemCall(.awaitInterrupt, line, timeoutMicroseconds, 0, 0, 0)
    }

    static func exitThread() -> Never {
        Console.flush()
        _ = systemCall(.exitThread, 0, 0, 0, 0, 0)
        while true {}
    }

    /// The capability the kernel directory lists under `name`.
    static func lookup(_ name: String) -> Capability? {
        let (h, data) = trans(Header(capability: directory, command: DirectoryCommand.lookup), DirectoryRequest.name(name),
                              replyCapacity: 64)
        guard h.status == .ok, let answer = try? DirectoryReply.lookup(data), answer.rest.isEmpty else { return nil }
        return answer.capabilities.current.first
    }

    static func info(_ cap: Capability) -> String {
        let (h, data) = trans(Header(capability: cap, command: StandardCommand.info))
        guard h.status == .ok else { return h.status.name }
        var s = ""
        for b in data { s.append(Character(Unicode.Scalar(b))) }
        return s
    }
}

/// Console output: a line per transaction, FSQ_WRITE to the STDOUT
/// capability the program was started with (ax serves it), or to the
/// node's tty:00 (found in the directory) when it has none.
enum Console {
    static var line: [UInt8] = []
    static var tty: Capability? = nil

    static func put(_ b: UInt8) {
        line.append(b)
        if b == 10 || line.count >= 200 { flush() }
    }

    static func flush() {
        guard !line.isEmpty else { return }
        if tty == nil { tty = Program.capability("STDOUT") ?? Amoeba.lookup("tty:00") }
        if let tty { _ = write(tty, line) }
        line.removeAll(keepingCapacity: true)
    }

    /// FSQ_WRITE of `bytes` to a file-like server, as many transactions as
    /// its answers ask for (each reply's h_size is the bytes it took);
    /// false when it refuses.
    static func write(_ cap: Capability, _ bytes: [UInt8]) -> Bool {
        var done = 0
        var chunk = 1024
        while done < bytes.count {
            let n = min(chunk, bytes.count - done)
            var h = Header(capability: cap, command: 4053)
            h.offset = Int32(done)
            h.size = UInt16(n)
            let (r, _) = Amoeba.trans(h, Array(bytes[done..<done + n]), replyCapacity: 0)
            guard r.status == .ok, r.size > 0 else { return false }
            done += min(Int(r.size), n)
            chunk = max(Int(r.size), 1)
        }
        return true
    }

    /// FSQ_READ of up to `wanted` bytes at `position` from a file-like
    /// server (ax's STDIN, a tty); nil at the end of input or on an error.
    static func read(_ cap: Capability, position: Int, wanted: Int) -> [UInt8]? {
        var h = Header(capability: cap, command: 4052)
        h.offset = Int32(truncatingIfNeeded: position)
        h.size = UInt16(min(wanted, 30000))
        let (r, data) = Amoeba.trans(h, [], replyCapacity: Int(h.size))
        guard r.status == .ok, !data.isEmpty else { return nil }
        return data
    }

    /// A line to STDERR (or the console when there is none).
    static func error(_ text: String) {
        flush()
        let bytes = Array((text + "\n").utf8)
        if let err = Program.capability("STDERR") { _ = write(err, bytes) } else { for b in bytes { put(b) }; flush() }
    }
}
