// `sys`: the kernel's own state. KSTAT returns statistics as text: with no
// request data, the list of letters it knows; with a letter, that report
// (the kernel supplies the reports). PRINTBUF returns the tail of the
// kernel console output, so a remote user can read what the node printed.
import AmoebaCore

public enum SystemCommand {
    public static let printBuffer: UInt16 = 2500
    public static let kstat: UInt16 = 2501
}

public final class SystemServer {
    public struct Report {
        public let letter: UInt8
        public let title: String
        public let text: () -> String
        public init(letter: Character, title: String, text: @escaping () -> String) {
            self.letter = letter.asciiValue ?? 0x3F
            self.title = title
            self.text = text
        }
    }

    public let identity: ServiceIdentity
    private let reports: [Report]
    private let printBuffer: () -> [UInt8]

    public init(identity: ServiceIdentity, reports: [Report], printBuffer: @escaping () -> [UInt8]) {
        self.identity = identity
        self.reports = reports
        self.printBuffer = printBuffer
    }

    public func handle(_ request: Message) -> Message {
        if let r = StandardRequests.handle(request, identity: identity, info: "system server",
                                           status: { "system: \(self.reports.count) reports" }) {
            return r
        }
        guard identity.rights(of: request.header) != nil else { return .status(.capabilityBad) }
        switch request.header.command {
        case SystemCommand.kstat:
            guard let letter = request.body.first, letter != 0 else {
                var s = ""
                for r in reports { s += String(Character(Unicode.Scalar(r.letter))) + " " + r.title + "\n" }
                return .text(s)
            }
            for r in reports where r.letter == letter { return .text(r.text()) }
            return .status(.argumentBad)
        case SystemCommand.printBuffer:
            var bytes = printBuffer()
            if bytes.count > 30000 { bytes = Array(bytes.suffix(30000)) }
            var reply = Message.status(.ok)
            reply.header.size = UInt16(bytes.count)
            reply.body = bytes
            return reply
        default:
            return .status(.commandBad)
        }
    }
}
