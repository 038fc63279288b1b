// ax's own server, on a fresh private port through amunixd: the program's
// STDIN (object 0, also its owner), STDOUT (1) and STDERR (2), each with
// all rights and its own check field. FSQ_WRITE to STDOUT/STDERR goes to
// ax's standard output/error as it arrives; FSQ_READ on STDIN reads ax's
// standard input (end of input is FSE_NOMOREDATA with no bytes); the
// kernel's PS_CHECKPOINT (all rights on the owner capability only) ends
// the wait with the cause and detail, answered STD_OK with no descriptor,
// so the process is let go. PS_SWAPPROC on the owner capability (old
// process capability, then the new one) tells ax its program moved to
// another node (`migrate`): ax then watches and stuns the new one.
// When ax has a terminal (/dev/tty opens), the program also gets TTY
// (object 3), as Amoeba's ax gives it: FSQ_WRITE and FSQ_READ reach the
// terminal itself, whatever ax's standard streams were redirected to,
// and TIOS_GETWSIZE answers its size.

import AmoebaCore
import Amunix
import Foundation
import ProcessDescriptor

final class AxServer: @unchecked Sendable {
    struct Ending {
        let cause: TerminationCause
        let detail: Int32
        let descriptor: ProcessDescriptor?
    }

    static let fsqRead: UInt16 = 4052
    static let fsqWrite: UInt16 = 4053
    static let tiosGetWindowSize: UInt16 = 3206
    static let nameStdin = 0, nameStdout = 1, nameStderr = 2, nameTTY = 3

    let connection: AmunixConnection
    let getPort: AmoebaCore.Port
    let randoms: [AmoebaCore.Port]
    let programName: String
    /// The terminal, open for the program's TTY; nil when ax has none.
    let terminal: Int32?
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var ending: Ending? = nil
    private var inputEnded = false
    private var watched: Capability? = nil

    /// The program's process capability, as the exec gave it or a
    /// PS_SWAPPROC changed it since.
    var process: Capability? {
        get { lock.lock(); defer { lock.unlock() }; return watched }
        set { lock.lock(); watched = newValue; lock.unlock() }
    }

    init(connection: AmunixConnection, programName: String) {
        var g = SystemRandomNumberGenerator()
        self.connection = connection
        getPort = AmoebaCore.Port.random(using: &g)
        randoms = (0...Self.nameTTY).map { _ in AmoebaCore.Port.random(using: &g) }
        self.programName = programName
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        terminal = fd >= 0 ? fd : nil
    }

    /// TTY's capability, when ax has a terminal.
    var ttyCapability: Capability? { terminal == nil ? nil : capability(Self.nameTTY) }

    func capability(_ object: Int) -> Capability {
        Capability(port: getPort.putPort,
                   private: PrivatePart(object: ObjectNumber(UInt32(object))!, rights: .all, random: randoms[object]))
    }

    /// Starts `threads` server threads; they serve until ax exits.
    func start(threads: Int = 2) {
        for _ in 0..<threads {
            let t = Thread { [self] in serve() }
            t.start()
        }
    }

    /// Waits for the checkpoint; nil after `timeout` seconds without one.
    func waitForEnd(timeout: Double? = nil) -> Ending? {
        if let timeout {
            guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        } else {
            done.wait()
        }
        lock.lock()
        defer { lock.unlock() }
        return ending
    }

    private func serve() {
        while true {
            let request: IncomingRequest
            do throws(AmunixError) { request = try connection.getreq(getPort) } catch { return }
            let (h, d) = answer(request.header, request.data)
            try? connection.putrep(request, h, d)
            // The end is announced only once the kernel's checkpoint has its
            // answer: ax exits right after, and an unanswered checkpoint
            // would look like a lost owner to the kernel.
            if request.header.command == ProcessCommand.checkpoint.rawValue { announceEnd() }
        }
    }

    private func answer(_ h: Header, _ data: [UInt8]) -> (Header, [UInt8]) {
        let object = Int(h.private.object.value)
        guard object < randoms.count, h.private.isValid(forRandom: randoms[object]),
              object != Self.nameTTY || terminal != nil else {
            return (reply(.capabilityBad), [])
        }
        switch h.command {
        case Self.fsqWrite where object == Self.nameTTY:
            let n = min(Int(h.size), data.count)
            let wrote = data.withUnsafeBytes { Foundation.write(terminal!, $0.baseAddress, n) }
            var r = reply(wrote < 0 ? .systemError : .ok)
            r.size = UInt16(max(0, wrote))
            return (r, [])
        case Self.fsqRead where object == Self.nameTTY:
            return terminalRead(Int(h.size))
        case Self.tiosGetWindowSize where object == Self.nameTTY:
            var size = winsize()
            guard ioctl(terminal!, UInt(TIOCGWINSZ), &size) == 0 else { return (reply(.systemError), []) }
            var r = reply(.ok)
            r.extra = size.ws_col
            r.size = size.ws_row
            return (r, [])
        case Self.fsqWrite where object == Self.nameStdout || object == Self.nameStderr:
            let n = min(Int(h.size), data.count)
            let handle = object == Self.nameStdout ? FileHandle.standardOutput : FileHandle.standardError
            handle.write(Data(data.prefix(n)))
            var r = reply(.ok)
            r.size = UInt16(n)
            return (r, [])
        case Self.fsqRead where object == Self.nameStdin:
            return read(Int(h.size))
        case ProcessCommand.checkpoint.rawValue where object == Self.nameStdin:
            guard h.private.rights == .all else { return (reply(.denied), []) }
            let cause = TerminationCause(rawValue: h.extra) ?? .exception
            let pd = try? ProcessDescriptor.decode(data, exact: false)
            lock.lock()
            if ending == nil { ending = Ending(cause: cause, detail: h.offset, descriptor: pd) }
            lock.unlock()
            return (reply(.ok), [])
        case ProcessCommand.swapProcess.rawValue where object == Self.nameStdin:
            guard h.private.rights == .all else { return (reply(.denied), []) }
            guard data.count >= 32, let old = Capability(bytes: Array(data[0..<16])),
                  let new = Capability(bytes: Array(data[16..<32])) else { return (reply(.argumentBad), []) }
            lock.lock()
            let mine = watched == old
            if mine { watched = new }
            lock.unlock()
            return (reply(mine ? .ok : .notFound), [])
        case StandardCommand.info:
            let user = ProcessInfo.processInfo.environment["USER"].map { " for \($0)" } ?? ""
            let text = Array("+\(programName) server\(user)".utf8) + [0]
            var r = reply(.ok)
            r.size = UInt16(text.count)
            return (r, text)
        default:
            return (reply(.commandBad), [])
        }
    }

    private var announced = false

    private func announceEnd() {
        lock.lock()
        let first = ending != nil && !announced
        if first { announced = true }
        lock.unlock()
        if first { done.signal() }
    }

    /// FSQ_READ: what standard input has, up to `wanted` bytes (one read).
    private func read(_ wanted: Int) -> (Header, [UInt8]) {
        var r = reply(.ok)
        let n = max(0, min(wanted, 8192))
        lock.lock()
        let ended = inputEnded
        lock.unlock()
        var bytes: [UInt8] = []
        if !ended && n > 0 {
            var buffer = [UInt8](repeating: 0, count: n)
            let got = buffer.withUnsafeMutableBytes { Foundation.read(0, $0.baseAddress, n) }
            if got > 0 { bytes = Array(buffer.prefix(got)) } else {
                lock.lock(); inputEnded = true; lock.unlock()
            }
        }
        r.size = UInt16(bytes.count)
        r.extra = 1     // FSE_NOMOREDATA: this is all there is for now (none: end of input)
        return (r, bytes)
    }
}

extension AxServer {
    /// FSQ_READ on TTY: one read of the terminal, up to `wanted` bytes
    /// (it waits for a line in the terminal's usual mode).
    fileprivate func terminalRead(_ wanted: Int) -> (Header, [UInt8]) {
        let n = max(0, min(wanted, 8192))
        var buffer = [UInt8](repeating: 0, count: n)
        let got = n == 0 ? 0 : buffer.withUnsafeMutableBytes { Foundation.read(terminal!, $0.baseAddress, n) }
        var r = reply(got < 0 ? .systemError : .ok)
        r.size = UInt16(max(0, got))
        r.extra = 1     // FSE_NOMOREDATA
        return (r, Array(buffer.prefix(max(0, got))))
    }
}

/// A reply header carrying `code`.
func reply(_ code: ErrorCode) -> Header {
    var h = Header()
    h.status = code
    return h
}
