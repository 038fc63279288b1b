// Finding where an address lives: the sender's side of LOCATE.
//
// A message for an address with no route waits while the box broadcasts
// LOCATE packets with a growing hop budget, so the nearest holder of the
// address answers first and far parts of the network are only asked when
// near ones could not help. The budget grows by one each round; once at the
// maximum the rounds slow down (the interval doubles), and when the locate
// times out every waiting message is reported unreachable. A HEREIS (or
// any other traffic that teaches us a usable route) releases the waiting
// messages in the order they were sent.
//
// A HEREIS echoes the message id of the LOCATE it answers (Amoeba turns the
// LOCATE around in place), so each locate draws its first id at random and
// numbers its rounds on from there: an answer whose id falls in that range
// proves its sender received our broadcast. A *probe* is a locate started
// not because a message waits but because someone claimed an address from
// a new place (RouteChallenge.swift): only a proving answer ends it early,
// and when it gives up, what waits goes by the route we had.

import AmoebaCore

struct WaitingMessage {
    var endpoint: EndpointID
    var source: FLIPAddress
    var messageID: UInt32
    /// A view of the sender's buffer (which may hold headroom in front).
    var message: ArraySlice<UInt8>
    var secure: Bool
    /// The rest of the message when the sender keeps it in a second buffer
    /// (`unicast(framed:then:)`): the message is `message` then `body`.
    var body: ArraySlice<UInt8> = []

    var count: Int { message.count + body.count }
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
    /// The id of the first LOCATE; round k carries firstID + k.
    var firstID: UInt32 = 0
    /// LOCATEs sent so far.
    var rounds: UInt32 = 0
    var started: Instant = .zero
    var isProbe = false

    /// Whether `messageID` is that of one of our LOCATEs.
    func sent(_ messageID: UInt32) -> Bool { messageID &- firstID < rounds }
}

struct Locator {
    var pending: [FLIPAddress: PendingLocate] = [:]
    /// Destinations in the order their locates started, for deterministic
    /// processing.
    var order: [FLIPAddress] = []

    mutating func start(_ p: PendingLocate) {
        pending[p.destination] = p
        order.append(p.destination)
        if p.isProbe { probesPending += 1 }
    }

    mutating func finish(_ destination: FLIPAddress) -> PendingLocate? {
        guard let p = pending.removeValue(forKey: destination) else { return nil }
        order.removeAll { $0 == destination }
        if p.isProbe { probesPending -= 1 }
        return p
    }

    /// When the locate that a HEREIS answers started, if it answers one of
    /// ours: same located address, to the address we asked from, with the
    /// id of one of our rounds.
    func answered(_ h: FLIPHeader) -> Instant? {
        guard let p = pending[h.destination], p.source == h.source, p.sent(h.messageID) else { return nil }
        return p.started
    }

    // Probes are started by strangers' frames, so they are rationed: one
    // per address per interval, a few at once and a few a second in all.
    var probesPending = 0
    var lastProbe: [FLIPAddress: Instant] = [:]
    var probeSecond = Instant(microseconds: Int64.min)
    var probesThisSecond = 0

    /// Takes a probe's ration for `address`, if one is left.
    mutating func mayProbe(_ address: FLIPAddress, now: Instant, interval: Interval, atOnce: Int) -> Bool {
        guard pending[address] == nil, probesPending < atOnce else { return false }
        if now - probeSecond >= .seconds(1) {
            probeSecond = now
            probesThisSecond = 0
        }
        guard probesThisSecond < atOnce else { return false }
        if let last = lastProbe[address], now - last < interval { return false }
        if lastProbe.count >= 4 * atOnce {
            lastProbe = lastProbe.filter { now - $0.value < interval }
            if lastProbe.count >= 4 * atOnce { return false }
        }
        lastProbe[address] = now
        probesThisSecond += 1
        return true
    }

    var nextDeadline: Instant? {
        var d: Instant?
        for (_, p) in pending { d = earliest(d, p.nextRound < p.giveUp ? p.nextRound : p.giveUp) }
        return d
    }
}
