// How flipdump shows a decoded frame: one line a frame by default, every
// field with -v, or tab-separated fields for scripts (`--fields`, the same
// fields and order the Wireshark dissector test asks tshark for, so the
// two can be compared line by line).

import AmoebaCore
import FLIP
import RPC

extension DecodedFrame {
    /// One line: FLIP type, source > destination, then what rides in it.
    public var summary: String {
        guard let control else { return "malformed: \(problem ?? "?")" }
        guard let flip else {
            if control.type == .data { return "malformed FLIP frame: \(problem ?? "?")" }
            return "\(controlName(control.type)) \(control.count)"
        }
        var s = "\(typeName(flip)) \(Hex.encode(flip.source.bytes)) > \(Hex.encode(flip.destination.bytes))"
        if flip.packetType == .locate || flip.packetType == .hereIs {
            s += " hop \(flip.actualHops)/\(flip.maximumHops)"
        }
        if let hereIs { s += " (\(hereIs.count) known, \(hereIs.trustedCount) trusted)" }
        if let locateProtocol { s += " \(locateProtocol == .rpc ? "RPC" : "group") locate" }
        if let amp {
            s += " RPC \(ampTypeName(amp.type)) tid=\(amp.tid)"
            // Replies and acknowledgements carry no port.
            if !amp.port.isNull { s += " port=\(Hex.encode(amp.port.bytes))" }
            if let header {
                s += " " + (isReply ? header.status.name : CommandNames.name(of: header.command))
                if !payload.isEmpty { s += " +\(payload.count)" }
            }
        } else if (flip.packetType == .unidata || flip.packetType == .multidata), flip.offset > 0 {
            s += " fragment \(flip.offset)+\(flip.length) of \(flip.total) (message \(flip.messageID))"
        }
        if flip.offset == 0, flip.total > flip.length { s += " [first of \(flip.total) bytes]" }
        if let problem { s += " [\(problem)]" }
        return s
    }

    /// Every field, one per line, indented under the summary.
    public var verbose: String {
        var lines = [summary]
        func add(_ name: String, _ value: String) { lines.append("    \(name): \(value)") }
        if let s = ethernetSource, let d = ethernetDestination { add("ethernet", "\(s.text) > \(d.text)") }
        if let control { add("fragment control", "\(controlName(control.type)) count \(control.count)") }
        if let flip {
            add("flip", "version \(FLIPHeader.version) type \(flip.type) flags 0x\(Hex.encode([flip.flags.rawValue | (order == .big ? FLIPFlags.bigEndian.rawValue : 0)])) (\(order == .big ? "big" : "little")-endian) reserved \(flip.reserved)")
            add("hops", "\(flip.actualHops) of \(flip.maximumHops)")
            add("messid", "\(flip.messageID) length \(flip.length) offset \(flip.offset) total \(flip.total)")
        }
        if let amp {
            add("amp", "kid \(Hex.encode(amp.kid.bytes)) port \(Hex.encode(amp.port.bytes)) flags 0x\(Hex.encode([amp.flags.rawValue])) tid \(amp.tid) dest \(amp.dest) from \(amp.from)")
        }
        if let header {
            add("header", "port \(Hex.encode(header.port.bytes)) object \(header.private.object.value) rights 0x\(Hex.encode([header.private.rights.rawValue])) offset \(header.offset) size \(header.size) extra \(header.extra)")
            if !payload.isEmpty {
                let shown = payload.prefix(32)
                add("data", "\(payload.count) bytes: \(Hex.encode(Array(shown)))\(payload.count > 32 ? "..." : "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Tab-separated: FLIP type, source, destination, messid, length,
    /// offset, total, amp type, tid, command (requests) or status
    /// (replies); empty where a frame has no such field.
    public var fields: String {
        var f = [String](repeating: "", count: 10)
        if let flip {
            f[0] = "\(flip.type)"
            f[1] = Hex.encode(flip.source.bytes)
            f[2] = Hex.encode(flip.destination.bytes)
            f[3] = "\(flip.messageID)"
            f[4] = "\(flip.length)"
            f[5] = "\(flip.offset)"
            f[6] = "\(flip.total)"
        }
        if let amp {
            f[7] = "\(amp.type.rawValue)"
            f[8] = "\(amp.tid)"
        }
        if let header {
            f[9] = isReply ? "\(header.status.rawValue)" : "\(header.command)"
        }
        return f.joined(separator: "\t")
    }

    private func typeName(_ flip: FLIPHeader) -> String {
        switch flip.packetType {
        case .locate: "LOCATE"
        case .hereIs: "HEREIS"
        case .unidata: "UNIDATA"
        case .multidata: "MULTIDATA"
        case .notHere: "NOTHERE"
        case .untrusted: "UNTRUSTED"
        case nil: "type \(flip.type)"
        }
    }

    private func controlName(_ t: FragmentControlType) -> String {
        switch t {
        case .data: "DATA"
        case .requestCredit: "REQCREDIT"
        case .credit: "CREDIT"
        case .multicastRequest: "MCREQ"
        case .multicastAck: "MCACK"
        case .multicastNak: "MCNAK"
        case .absoluteCredit: "ABSCREDIT"
        }
    }

    private func ampTypeName(_ t: AmpType) -> String {
        switch t {
        case .locate: "LOCATE"
        case .hereIs: "HEREIS"
        case .request: "REQUEST"
        case .reply: "REPLY"
        case .ack: "ACK"
        case .nak: "NAK"
        case .enquire: "ENQUIRE"
        case .alive: "ALIVE"
        case .received: "RECEIVED"
        case .forward: "FORWARD"
        case .fail: "FAIL"
        }
    }
}
