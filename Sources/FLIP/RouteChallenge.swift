// Claims and proofs: how a route in use may move without a blind stranger
// being able to move it.
//
// Every frame claims that its source address lives where the frame came
// from. A claim from a place we already know refreshes that route; the
// first claim for an address we know nothing of is believed (a server must
// answer a new client without a locate round). A claim from a new place for
// an address we know is only a candidate, and the box asks the address
// itself where it lives: a *probe*, one short locate from one of our own
// addresses. Its HEREIS must echo the id of one of our LOCATEs, drawn at
// random, which a sender who cannot see our broadcasts cannot know. If the
// answer comes from the new place (the peer really moved: new MAC after a
// restart, another gateway), the route moves there within that one round;
// if it comes from the old place, the incumbent is answering again; if
// nothing answers, nothing changes. Probes are rationed (Locate.swift), so
// a stranger's frames buy at most a few LOCATEs a second.
//
// A gateway cannot echo-check a HEREIS it only relays, so it accepts one as
// proof when it relayed the LOCATE it answers (same source, id and located
// address) and the answer comes in on another interface than that LOCATE
// did: a stranger would have to send on both networks.

import AmoebaCore

/// Unpredictable ids for our LOCATEs (SplitMix64 over a secret seed). The
/// ids are seen by whoever sees the broadcasts; the point is only that a
/// blind sender cannot guess them. RPC draws its port locates' tids from
/// one too, for the same reason.
public struct LocateIdentifiers {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// Seeded one-way from `secret` (private addresses, say): the ids must
    /// not give the secret away, so the seed is the public address of the
    /// secret taken as a private one (DES, `FLIPAddress.publicAddress`).
    public init(oneWayFrom secret: UInt64) {
        self.init(seed: FLIPAddress(littleEndianBits: secret).publicAddress.littleEndianBits)
    }

    public mutating func next() -> UInt32 {
        while true {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let id = UInt32(truncatingIfNeeded: z)
            if id != 0 { return id }
        }
    }
}

/// The LOCATEs a gateway passed on lately, to recognise their answers.
struct RelayedLocates {
    struct Entry {
        var source: FLIPAddress
        var messageID: UInt32
        var located: FLIPAddress
        var interface: Int
        var at: Instant
    }

    static let capacity = 64
    private var entries: [Entry] = []
    private var next = 0

    mutating func record(_ h: FLIPHeader, from interface: Int, now: Instant) {
        let e = Entry(source: h.source, messageID: h.messageID, located: h.destination, interface: interface, at: now)
        if entries.count < RelayedLocates.capacity {
            entries.append(e)
        } else {
            entries[next] = e
            next = (next + 1) % RelayedLocates.capacity
        }
    }

    /// When the relayed LOCATE that a HEREIS arriving on `interface`
    /// answers came through, if it did within `window`.
    func answered(_ h: FLIPHeader, on interface: Int, now: Instant, window: Interval) -> Instant? {
        for e in entries where e.messageID == h.messageID && e.source == h.source && e.located == h.destination
            && e.interface != interface && now - e.at <= window {
            return e.at
        }
        return nil
    }
}

extension FLIPBox {
    /// Seeds the ids of this box's LOCATEs. A box that is never seeded
    /// draws predictable ids: a driver facing strangers seeds it from its
    /// entropy (Node does).
    public func seedLocateIdentifiers(oneWayFrom secret: UInt64) {
        locateIDs = LocateIdentifiers(oneWayFrom: secret)
    }

    /// A frame from (interface `a`) claims `address` is `hops` away.
    @discardableResult
    func claim(_ address: FLIPAddress, _ a: Arrival, hops: UInt16, trusted: Bool, replace: Bool = false) -> ClaimOutcome {
        var handle: RouteHandle?
        return claim(address, a, hops: hops, trusted: trusted, replace: replace, handle: &handle)
    }

    /// `claim`, and a handle to the route it refreshed or added
    /// (`RoutingTable.learn(_:...:handle:)`).
    @discardableResult
    func claim(_ address: FLIPAddress, _ a: Arrival, hops: UInt16, trusted: Bool, replace: Bool = false,
               handle: inout RouteHandle?) -> ClaimOutcome {
        let outcome = routes.learn(address, interface: a.interface, location: a.location, hops: hops,
                                   trusted: trusted, now: now, replace: replace, handle: &handle)
        switch outcome {
        case .refreshed, .none, .ignored:
            break
        case .firstHeard:
            statistics.routesLearned += 1
            // We are locating the address: only an answer to us settles it.
            if locator.pending[address] != nil {
                routes.demote(address, interface: a.interface, location: a.location)
            }
        case .candidate:
            statistics.routesLearned += 1
            statistics.routeClaimsHeldBack += 1
            probe(address)
        }
        return outcome
    }

    /// Asks `address` where it lives, if a probe is allowed now: from our
    /// first endpoint's address, as far as the route we use reaches.
    func probe(_ address: FLIPAddress) {
        guard let source = endpoints.addresses.first, let incumbent = routes.incumbent(address, now: now),
              locator.mayProbe(address, now: now, interval: configuration.routeProbeInterval,
                               atOnce: configuration.maxRouteProbes) else { return }
        let firstHops = interfaces.map { $0.weight }.min() ?? 1
        startProbe(address, from: source, hops: min(max(firstHops, incumbent.hops), configuration.maxHops))
    }

    func startProbe(_ address: FLIPAddress, from source: FLIPAddress, hops: UInt16) {
        var p = PendingLocate(destination: address, source: source, hops: hops,
                              interval: configuration.locateInterval, nextRound: now + configuration.locateInterval,
                              giveUp: now + configuration.routeProbeTimeout, secure: false, waiting: [])
        p.isProbe = true
        statistics.routeProbes += 1
        sendLocate(&p)
        locator.start(p)
    }
}
