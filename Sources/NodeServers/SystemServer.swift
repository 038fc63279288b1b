// `sys`: the node's own state, as Amoeba's kernel sys server gives it
// (syssvr.c; AMOEBA-FACTS §2). Its capability names object 1. KSTAT takes
// a letter in `extra` and answers that statistics report as text ('?'
// lists "<letter>  <help>" lines); PRINTBUF answers the console log with
// `offset` at the next write position. STD_INFO is "system server".
//
// A non-ROM Amoeba kernel's sys answers no other standard command (so
// restriction is done client-side), and neither does this one, with one
// addition: STD_STATUS gives the node's status text, which is how
// `std_status` reads a node's statistics without a kstat tool. Answering
// a command Amoeba refuses can confuse no Amoeba client.
import AmoebaCore

public enum SystemCommand {
    public static let printBuffer: UInt16 = 2500
    public static let kstat: UInt16 = 2501
}

/// Rights bits in a sys capability (systask.h).
public enum SystemRights {
    /// SYS_RGT_READ: PRINTBUF and most reports.
    public static let read = Rights(rawValue: 0x01)
    /// SYS_RGT_CONTROL: network control.
    public static let control = Rights(rawValue: 0x02)
    /// SYS_RGT_BOOT: booting another kernel.
    public static let boot = Rights(rawValue: 0x10)
}

public final class SystemServer {
    /// The most a KSTAT or PRINTBUF reply carries (KSTAT_BUFSZ, MAX_TRANS).
    public static let replyLimit = 30000
    /// KSTAT's letter for the list of reports.
    public static let listLetter = UInt8(ascii: "?")

    public let identity: ServiceIdentity

    public init(identity: ServiceIdentity) {
        self.identity = identity
    }

    public func handle<Host: NodeHost>(_ header: Header, _ data: [UInt8], host: inout Host) -> NodeMessage {
        guard let rights = identity.rights(of: header) else { return NodeReply.status(.capabilityBad) }
        switch header.command {
        case StandardCommand.info:
            return NodeReply.text("system server")
        case StandardCommand.status:
            // The counters say who talks to whom: reading them is a right.
            guard rights.contains(SystemRights.read) else { return NodeReply.status(.denied) }
            return NodeReply.text(host.statusText())
        case SystemCommand.kstat:
            return kstat(UInt8(truncatingIfNeeded: header.extra), rights: rights, host: host)
        case SystemCommand.printBuffer:
            guard rights.contains(SystemRights.read) else { return NodeReply.status(.denied) }
            var bytes = host.printBuffer() ?? []
            if bytes.count > SystemServer.replyLimit { bytes = Array(bytes.suffix(SystemServer.replyLimit)) }
            var reply = NodeReply.bytes(bytes)
            // The buffer comes oldest byte first, so the next byte written
            // goes after the last one: a reader that prints from `offset`
            // round to `offset` prints it in order.
            reply.header.offset = Int32(bytes.count)
            return reply
        default:
            return NodeReply.status(.commandBad)
        }
    }

    private func kstat<Host: NodeHost>(_ letter: UInt8, rights: Rights, host: Host) -> NodeMessage {
        let reports = host.statisticsReports()
        if letter == SystemServer.listLetter {
            var s = ""
            for r in reports { s += String(Character(Unicode.Scalar(r.letter))) + "  " + r.help + "\n" }
            return NodeReply.text(s)
        }
        for r in reports where r.letter == letter {
            guard rights.isSuperset(of: r.required) else { return NodeReply.status(.denied) }
            var bytes = Array(host.statistics(letter).utf8)
            if bytes.count > SystemServer.replyLimit { bytes = Array(bytes.prefix(SystemServer.replyLimit)) }
            return NodeReply.bytes(bytes)
        }
        return NodeReply.status(.argumentBad)
    }
}
