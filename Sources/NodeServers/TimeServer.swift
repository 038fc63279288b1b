// `tod`: the time of day (todtask.c). GETTIME answers the seconds since
// 1970 in the reply's `offset` and the milliseconds in `size` (tod_encode;
// `extra`, the DST flag, stays 0). STD_INFO is "TOD server"; STD_AGE and
// STD_TOUCH are accepted, STD_RESTRICT cuts the capability down; anything
// else, STD_DESTROY and STD_STATUS included, is STD_COMBAD, as in Amoeba.
//
// Amoeba's tod checks the capability only where rights matter (RESTRICT,
// SETTIME); this one refuses a forged capability for every command, as
// every other server here does. SETTIME is not offered: neither kind of
// node lets the network set its clock.
import AmoebaCore

public enum TimeCommand {
    public static let getTime: UInt16 = 2400
}

public final class TimeServer {
    public let identity: ServiceIdentity

    public init(identity: ServiceIdentity) {
        self.identity = identity
    }

    public func handle<Host: NodeHost>(_ header: Header, _ data: [UInt8], host: inout Host) -> NodeMessage {
        guard identity.rights(of: header) != nil else { return NodeReply.status(.capabilityBad) }
        if let r = identity.plainStandardReply(header, info: "TOD server") { return r }
        guard header.command == TimeCommand.getTime else { return NodeReply.status(.commandBad) }
        let now = host.wallClock()
        var h = Header.status(.ok)
        h.offset = Int32(truncatingIfNeeded: now.seconds)
        h.size = UInt16(truncatingIfNeeded: now.milliseconds)
        return (h, [])
    }
}
