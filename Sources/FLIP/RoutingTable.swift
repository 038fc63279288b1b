// The routing table: where each known FLIP address can be reached.
//
// FLIP has no configured routes. A box learns that an address lives behind
// (interface, Ethernet address) at some hop distance from traffic it sees:
// the source of a LOCATE, of UNIDATA and of the first fragment of
// MULTIDATA, and the destination answered for by a HEREIS. Routes are
// forgotten when a NOTHERE says they are stale, when a LOCATE searches
// further than we are (someone did not trust our knowledge), and when unused
// for a while. An address may have several routes; the shortest that fits
// the packet's remaining hop budget wins.
//
// Anyone on a segment can send a frame claiming any source address, so a
// route is also judged by whether it answers: a route we have heard from
// within `answerWindow` is *answering*, and the oldest answering route of
// an address (its incumbent) is preferred to any newer one, however short
// that claims to be. A stranger's LOCATE, HEREIS or data frame therefore
// adds at most an alternative, which is used only once the incumbent falls
// silent; invalidations spare answering routes too. Each address keeps at
// most `maxRoutesPerAddress` routes, and an answering incumbent is the last
// to go. When the table is full, the least recently used addresses go a
// batch at a time, so a flood of new addresses costs little per frame.

import AmoebaCore

struct Route: Sendable {
    var interface: Int
    var location: EthernetAddress
    /// Hop distance from this box, including the first link's weight.
    var hops: UInt16
    /// Reached over trusted networks only.
    var trusted: Bool
    var lastUsed: Instant
    /// When a frame last came from this address by this route.
    var lastHeard: Instant
    /// When the route was learned: the older of two answering routes wins.
    var since: Instant
}

struct RoutingTable {
    private(set) var routes: [FLIPAddress: [Route]] = [:]
    let lifetime: Interval
    let capacity: Int
    let answerWindow: Interval
    let maxRoutesPerAddress: Int
    private var lastExpiry = Instant(microseconds: Int64.min)

    init(lifetime: Interval, capacity: Int, answerWindow: Interval = .seconds(30), maxRoutesPerAddress: Int = 4) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
        self.answerWindow = answerWindow
        self.maxRoutesPerAddress = max(1, maxRoutesPerAddress)
    }

    func answering(_ r: Route, now: Instant) -> Bool { now - r.lastHeard <= answerWindow }

    var addressCount: Int { routes.count }

    /// Makes room for one more address: expired routes go first, then the
    /// least recently used sixteenth of the table in one pass.
    private mutating func makeRoom(now: Instant) {
        guard routes.count >= capacity else { return }
        expire(now: now, force: true)
        guard routes.count >= capacity else { return }
        var ages: [(address: FLIPAddress, used: Instant)] = []
        ages.reserveCapacity(routes.count)
        for (address, list) in routes {
            var used = Instant(microseconds: Int64.min)
            for r in list where used < r.lastUsed { used = r.lastUsed }
            ages.append((address, used))
        }
        // Oldest first; equal ages in address order, so every box forgets
        // the same way whatever the table's hashing.
        ages.sort { $0.used != $1.used ? $0.used < $1.used : $0.address.bytes.lexicographicallyPrecedes($1.address.bytes) }
        for e in ages.prefix(max(1, capacity / 16)) { routes[e.address] = nil }
    }

    /// Adds or refreshes the route via (interface, location), which a frame
    /// just came from; keeps the shorter distance when refreshing unless
    /// `replace` says the new distance is authoritative. Returns whether
    /// the route is new.
    @discardableResult
    mutating func learn(_ address: FLIPAddress, interface: Int, location: EthernetAddress,
                        hops: UInt16, trusted: Bool, now: Instant, replace: Bool = false) -> Bool {
        guard !address.isNull else { return false }
        if routes[address] == nil { makeRoom(now: now) }
        // Every arriving frame refreshes its sender's route, so the list is
        // changed in place in the table, never copied out and back.
        let lifetime = self.lifetime
        routes[address, default: []].removeAll { now - $0.lastUsed > lifetime }
        if let i = routes[address]!.firstIndex(where: { $0.interface == interface && $0.location == location }) {
            routes[address]![i].hops = replace ? hops : min(routes[address]![i].hops, hops)
            routes[address]![i].trusted = trusted
            routes[address]![i].lastUsed = now
            routes[address]![i].lastHeard = now
            return false
        }
        if routes[address]!.count >= maxRoutesPerAddress { dropOneRoute(of: address, now: now) }
        routes[address]!.append(Route(interface: interface, location: location, hops: hops, trusted: trusted,
                                      lastUsed: now, lastHeard: now, since: now))
        return true
    }

    /// The list is full: the route heard least recently goes, unless every
    /// route answers; then the newest goes, never the incumbent.
    private mutating func dropOneRoute(of address: FLIPAddress, now: Instant) {
        guard let list = routes[address], !list.isEmpty else { return }
        var victim = 0
        if list.allSatisfy({ answering($0, now: now) }) {
            for i in list.indices where list[i].since > list[victim].since { victim = i }
        } else {
            for i in list.indices where list[i].lastHeard < list[victim].lastHeard { victim = i }
        }
        routes[address]!.remove(at: victim)
    }

    /// Forgets the routes to `address` that have not answered lately: what
    /// a LOCATE for it, or from it, asks of us. A route we still hear from
    /// stays, so a stranger's LOCATE cannot cut a live peer off.
    @discardableResult
    mutating func forgetSilent(_ address: FLIPAddress, now: Instant) -> Int {
        guard var list = routes[address] else { return 0 }
        let before = list.count
        list.removeAll { !answering($0, now: now) }
        routes[address] = list.isEmpty ? nil : list
        return before - list.count
    }

    /// Forgets every route to `address`, or only the one via (interface,
    /// location) when given. Returns how many were removed.
    @discardableResult
    mutating func forget(_ address: FLIPAddress, interface: Int? = nil, location: EthernetAddress? = nil) -> Int {
        guard var list = routes[address] else { return 0 }
        let before = list.count
        if let interface {
            list.removeAll { $0.interface == interface && (location == nil || $0.location == location) }
        } else {
            list.removeAll()
        }
        routes[address] = list.isEmpty ? nil : list
        return before - list.count
    }

    /// The route to `address` within `budget` hops, not via `excluding`
    /// (the interface a packet came in on), trusted if asked: the oldest
    /// answering one if any answers, else the shortest live one.
    func best(_ address: FLIPAddress, budget: UInt16, excluding: Int? = nil,
              trustedOnly: Bool = false, now: Instant) -> Route? {
        var best: Route?
        var bestAnswers = false
        for r in routes[address] ?? [] {
            if now - r.lastUsed > lifetime { continue }
            if let excluding, r.interface == excluding { continue }
            if trustedOnly && !r.trusted { continue }
            if r.hops > budget { continue }
            let answers = answering(r, now: now)
            guard let b = best else {
                best = r
                bestAnswers = answers
                continue
            }
            if answers != bestAnswers {
                if answers { best = r; bestAnswers = true }
            } else if answers ? (r.since < b.since || (r.since == b.since && r.hops < b.hops)) : r.hops < b.hops {
                best = r
            }
        }
        return best
    }

    /// Live routes to `address` (optionally not via `excluding`).
    func live(_ address: FLIPAddress, excluding: Int? = nil, now: Instant) -> [Route] {
        (routes[address] ?? []).filter { now - $0.lastUsed <= lifetime && $0.interface != excluding }
    }

    /// Marks use of a route, so it stays alive while traffic flows.
    mutating func touch(_ address: FLIPAddress, interface: Int, location: EthernetAddress, now: Instant) {
        guard var list = routes[address],
              let i = list.firstIndex(where: { $0.interface == interface && $0.location == location }) else { return }
        list[i].lastUsed = now
        routes[address] = list
    }

    /// Drops every expired route; a sweep of the whole table, so at most
    /// once a second unless `force`d.
    mutating func expire(now: Instant, force: Bool = false) {
        guard force || now - lastExpiry >= .seconds(1) else { return }
        lastExpiry = now
        for (address, list) in routes {
            let kept = list.filter { now - $0.lastUsed <= lifetime }
            if kept.count != list.count { routes[address] = kept.isEmpty ? nil : kept }
        }
    }
}
