// The standard commands every kernel server answers the same way: INFO
// (a short description, starting with the object's type character where it
// has one), RESTRICT (a capability with fewer rights, the mask in `offset`),
// STATUS, and TOUCH/AGE (accepted, nothing to do for objects that never
// expire). A server hands every request here first; nil means "not a
// standard command, yours".
import AmoebaCore
import NodeServers

public enum StandardRequests {
    public static func handle(_ request: Message, identity: ServiceIdentity,
                              info: String, status: () -> String) -> Message? {
        let command = request.header.command
        guard command >= StandardCommand.monitor && command <= StandardCommand.nTouch else { return nil }
        guard identity.rights(of: request.header) != nil else { return .status(.capabilityBad) }
        switch command {
        case StandardCommand.info:
            return .text(info)
        case StandardCommand.status:
            return .text(status())
        case StandardCommand.touch, StandardCommand.age, StandardCommand.nTouch:
            return .status(.ok)
        case StandardCommand.restrict:
            let have = request.header.private.rights
            let mask = Rights(rawValue: UInt8(truncatingIfNeeded: request.header.offset))
            let rights = Rights(rawValue: have.rawValue & mask.rawValue)
            var h = Header()
            h.status = .ok
            h.port = identity.putPort
            h.private = PrivatePart(object: identity.object, rights: rights, random: identity.random)
            return Message(header: h)
        default:
            return .status(.commandBad)
        }
    }

    /// Reads a NUL-terminated (or buffer-terminated) name from request data.
    public static func name(in body: [UInt8]) -> String? {
        var bytes: [UInt8] = []
        for b in body {
            if b == 0 { break }
            guard b >= 0x20 && b < 0x7F else { return nil }
            bytes.append(b)
        }
        guard !bytes.isEmpty else { return nil }
        var s = ""
        for b in bytes { s.append(Character(Unicode.Scalar(b))) }
        return s
    }
}
