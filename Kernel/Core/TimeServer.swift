// `tod`: the time of day. GETTIME answers with the seconds since 1970 in
// the reply header's `offset` and the milliseconds in `size`, from the RTC
// reading taken at boot plus the monotonic clock since — the kernel hands
// in a function giving the current time in microseconds since 1970.
import AmoebaCore

public enum TimeCommand {
    public static let getTime: UInt16 = 2400
}

public final class TimeServer {
    public let identity: ServiceIdentity
    private let now: () -> Int64

    public init(identity: ServiceIdentity, microsecondsSince1970 now: @escaping () -> Int64) {
        self.identity = identity
        self.now = now
    }

    public func handle(_ request: Message) -> Message {
        if let r = StandardRequests.handle(request, identity: identity, info: "time-of-day server",
                                           status: { "time since 1970: \(self.now() / 1_000_000) s" }) {
            return r
        }
        guard identity.rights(of: request.header) != nil else { return .status(.capabilityBad) }
        guard request.header.command == TimeCommand.getTime else { return .status(.commandBad) }
        let t = now()
        var reply = Message.status(.ok)
        reply.header.offset = Int32(truncatingIfNeeded: t / 1_000_000)
        reply.header.size = UInt16(truncatingIfNeeded: (t % 1_000_000) / 1000)
        return reply
    }
}
