// `tty:00`: the serial console as an object. It answers the standard
// commands (std_info starts with `+`, Amoeba's mark for a terminal),
// WRITE, which puts the request data on the console (the kernel hands in
// the output function), and READ, which hands out what was typed.
//
// Reading follows Amoeba's kernel tty (AMOEBA-FACTS §4): FSQ_READ needs
// the READ right (without it the answer is STD_CAPBAD, as Amoeba's tty
// answers a right it does not find), returns at most h_size bytes and at
// most 1024 (the kernel tty's request buffer), with h_size = the count and
// h_extra = FSE_NOMOREDATA. When nothing has been typed, a request with
// h_extra ≠ 0 is non-blocking: STD_OK with no data at once (and, as in
// Amoeba, h_extra left as the request had it); with h_extra = 0 it waits
// for input. Waiting is the caller's business (`TTYAnswer.wait`): this
// type only decides, so a kernel server thread is never held by a reader.
// Terminal modes (line editing, echo, interrupt characters) are not
// offered: bytes come out as they were typed, except that a carriage
// return becomes a newline, as Amoeba's default ICRNL makes it.
import AmoebaCore
import NodeServers

public enum TTYCommand {
    public static let read: UInt16 = 4052    // FSQ_READ: TTY_FIRST_COM (4000) + 52
    public static let write: UInt16 = 4053   // FSQ_WRITE: TTY_FIRST_COM (4000) + 53
}

/// Rights on a tty capability (file.h RGT_*).
public enum TTYRights {
    public static let read = Rights(rawValue: 0x02)
    public static let write = Rights(rawValue: 0x04)
}

/// FSQ_READ's h_extra in a reply (file.h).
public enum ReadMore: UInt16 {
    case moreData = 0
    case noMoreData = 1
}

/// What the server says to a request: a reply now, or wait for input.
public enum TTYAnswer {
    case reply(Message)
    case wait
}

public final class TTYServer {
    public let identity: ServiceIdentity
    public let name: String
    private let output: ([UInt8]) -> Void
    public private(set) var bytesWritten = 0
    public private(set) var bytesRead = 0
    /// What was typed and not yet read. The serial interrupt fills it
    /// through `receive` (with interrupts off around every other use).
    public private(set) var input: TTYInputRing
    /// The most one read returns: the kernel tty's request buffer (IOBUFSIZ).
    public static let maximumRead = 1024
    /// Readers waiting for input, as the kernel last reported (for STD_STATUS).
    public var readersWaiting = 0

    public init(identity: ServiceIdentity, name: String, inputCapacity: Int = 4096,
                output: @escaping ([UInt8]) -> Void) {
        self.identity = identity
        self.name = name
        self.output = output
        self.input = TTYInputRing(capacity: inputCapacity)
    }

    /// A byte from the line (interrupt context: no allocation).
    public func receive(_ byte: UInt8) {
        input.push(byte == 13 ? 10 : byte)
    }

    /// The answer to any request but a read that must wait. A blocking
    /// read finding others already waiting queues behind them (`.wait`),
    /// and a non-blocking one gets nothing: the input is theirs first.
    public func serve(_ request: Message, othersWaiting: Bool = false) -> TTYAnswer {
        guard request.header.command == TTYCommand.read else { return .reply(handle(request)) }
        guard let rights = identity.rights(of: request.header) else { return .reply(.status(.capabilityBad)) }
        guard rights.contains(TTYRights.read) else { return .reply(.status(.capabilityBad)) }
        if !othersWaiting, let reply = answer(request) { return .reply(reply) }
        if request.header.extra != 0 {
            var h = Header.status(.ok)
            h.size = 0
            h.extra = request.header.extra
            return .reply(Message(header: h))
        }
        return .wait
    }

    /// The reply to a read (one that was waiting, or one just come) when
    /// there is input; nil while there is none.
    public func answer(_ request: Message) -> Message? {
        guard !input.isEmpty else { return nil }
        let data = input.take(upTo: min(Int(request.header.size), TTYServer.maximumRead))
        bytesRead += data.count
        var h = Header.status(.ok)
        h.size = UInt16(data.count)
        h.extra = ReadMore.noMoreData.rawValue
        return Message(header: h, body: data)
    }

    public func handle(_ request: Message) -> Message {
        if let r = StandardRequests.handle(request, identity: identity, info: "+ serial console \(name)",
                                           status: { self.statusText }) {
            return r
        }
        guard identity.rights(of: request.header) != nil else { return .status(.capabilityBad) }
        guard request.header.command == TTYCommand.write else { return .status(.commandBad) }
        let n = min(Int(request.header.size), request.body.count)
        output(Array(request.body.prefix(n)))
        bytesWritten += n
        var reply = Message.status(.ok)
        reply.header.size = UInt16(n)
        return reply
    }

    public var statusText: String {
        "\(name): \(bytesWritten) bytes written, \(bytesRead) read, \(input.count) typed and not yet read, "
            + "\(input.overflowed) lost to a full buffer, \(readersWaiting) readers waiting"
    }
}
