// Finding where an address lives: the sender's side of LOCATE.
//
// A message for an address with no route waits while the box broadcasts
// LOCATE packets with a growing hop budget, so the nearest holder of the
// address answers first and far parts of the network are only asked when
// near ones could not help. The budget grows by one each round; once at the
// maximum the rounds slow down (the interval doubles), and when the locate
// times out every waiting message is reported unreachable. A HEREIS (or
// any other traffic that teaches us a route) releases the waiting messages
// in the order they were sent.

import AmoebaCore

struct WaitingMessage {
    var endpoint: EndpointID
    var source: FLIPAddress
    var messageID: UInt32
    var message: [UInt8]
    var secure: Bool
}

struct PendingLocate {
    var destination: FLIPAddress
    /// The address LOCATEs go out from (the first waiting endpoint's).
    var source: FLIPAddress
    var hops: UInt16
    var interval: Interval
    var nextRound: Instant
    var giveUp: Instant
    var secure: Bool
    var waiting: [WaitingMessage]
}

struct Locator {
    var pending: [FLIPAddress: PendingLocate] = [:]
    /// Destinations in the order their locates started, for deterministic
    /// processing.
    var order: [FLIPAddress] = []

    mutating func start(_ p: PendingLocate) {
        pending[p.destination] = p
        order.append(p.destination)
    }

    mutating func finish(_ destination: FLIPAddress) -> PendingLocate? {
        guard let p = pending.removeValue(forKey: destination) else { return nil }
        order.removeAll { $0 == destination }
        return p
    }

    var nextDeadline: Instant? {
        var d: Instant?
        for (_, p) in pending { d = earliest(d, p.nextRound < p.giveUp ? p.nextRound : p.giveUp) }
        return d
    }
}
