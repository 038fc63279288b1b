// The routing table: where each known FLIP address can be reached.
//
// FLIP has no configured routes. A box learns that an address lives behind
// (interface, Ethernet address) at some hop distance from traffic it sees:
// the source of a LOCATE, of UNIDATA and of the first fragment of
// MULTIDATA, and the destination answered for by a HEREIS. An address may
// have several routes; the best that fits the packet's remaining hop budget
// wins.
//
// Anyone on a segment can send a frame claiming any source address, so
// what a frame says is a claim, and a route has a standing:
//
// - *proven*: a HEREIS answering a LOCATE of ours came from there, echoing
//   the LOCATE's message id, which we draw at random: a sender who cannot
//   see our broadcasts cannot answer for an address it does not hold.
// - *heard*: the first place we heard the address from, when we knew no
//   place at all and were not looking for it (nothing to displace; this is
//   how a server learns a new client without a locate round).
// - *candidate*: a claim from a new place for an address we already know,
//   or a route we were told to stop trusting (NOTHERE, someone locating
//   further than us, an invalidation). Candidates are never used: they are
//   hints, kept so that a stranger's claim never finds an empty list.
//
// A proven route is preferred to a heard one; within a standing, the oldest
// route heard from within `answerWindow` (answering), else the shortest.
// The route in use therefore changes only when a locate is answered from
// elsewhere: the box probes with a LOCATE when a claim comes from a new
// place (RouteChallenge.swift), and locates when no usable route is left.
// Each address keeps at most `maxRoutesPerAddress` routes, candidates the
// first to go. When the table is full, the least recently used addresses
// go a batch at a time, so a flood of new addresses costs little per frame.

import AmoebaCore

/// How far a route is believed; see the file's opening comment.
enum RouteStanding: UInt8, Comparable, Sendable {
    case candidate = 0
    case heard = 1
    case proven = 2

    static func < (a: RouteStanding, b: RouteStanding) -> Bool { a.rawValue < b.rawValue }
}

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
    var standing: RouteStanding
    /// When the locate it answered started (proven routes only): a later
    /// proof demotes the proven routes that did not answer that locate.
    var provenFor: Instant = Instant(microseconds: Int64.min)

    var isUsable: Bool { standing != .candidate }

    /// A frame came by this route: keep the shorter distance (or the new
    /// one, if it is authoritative) and mark it heard and used.
    mutating func refresh(hops: UInt16, replace: Bool, trusted: Bool, now: Instant) {
        self.hops = replace ? hops : min(self.hops, hops)
        self.trusted = trusted
        lastUsed = now
        lastHeard = now
    }
}

/// Where a route sits in the table, for sending by it again without
/// choosing (`RoutingTable.useBest(_:budget:trustedOnly:now:handle:)`);
/// good while the table's generation is the one it was made in.
struct RouteHandle: Equatable {
    fileprivate var index: Dictionary<FLIPAddress, [Route]>.Index
    fileprivate var position: Int
    fileprivate var generation: UInt64

    /// The generation first: indices of a dictionary whose keys changed in
    /// between belong to different storage, and comparing them traps.
    static func == (a: RouteHandle, b: RouteHandle) -> Bool {
        a.generation == b.generation && a.position == b.position && a.index == b.index
    }
}

/// What a claim did to the table.
enum ClaimOutcome: Equatable {
    /// The place was known: refreshed, its standing unchanged.
    case refreshed
    /// The first place known for the address: heard, and usable.
    case firstHeard
    /// A new place for an address already known: kept as a candidate.
    case candidate
    /// A new place, but the list is full of usable routes: not kept.
    case ignored
    /// The null address: nothing to learn.
    case none
}

struct RoutingTable {
    private(set) var routes: [FLIPAddress: [Route]] = [:]
    let lifetime: Interval
    let capacity: Int
    let answerWindow: Interval
    let maxRoutesPerAddress: Int
    private var lastExpiry = Instant(microseconds: Int64.min)
    /// Where the last address looked up sits in `routes` (RecentIndex.swift):
    /// a box sends to and hears from the same few peers frame after frame.
    private var recent = RecentIndex<FLIPAddress, [Route]>()
    /// Counts every change to the table but the times a route was last
    /// used and heard: which routes there are, where, how far, how
    /// trusted, how believed. A `RouteHandle` holds while it stays the same.
    private(set) var generation: UInt64 = 0

    init(lifetime: Interval, capacity: Int, answerWindow: Interval = .seconds(30), maxRoutesPerAddress: Int = 4) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
        self.answerWindow = answerWindow
        self.maxRoutesPerAddress = max(1, maxRoutesPerAddress)
    }

    func answering(_ r: Route, now: Instant) -> Bool { now - r.lastHeard <= answerWindow }

    var addressCount: Int { routes.count }

    /// The index of `address` in `routes`, remembered for the next call.
    private mutating func index(of address: FLIPAddress) -> Dictionary<FLIPAddress, [Route]>.Index? {
        recent.of(address, in: routes)
    }

    /// Keys are about to be added or removed: remembered indices go stale.
    private mutating func keysChange() {
        recent.forget()
        generation &+= 1
    }

    /// Makes room for one more address: expired routes go first, then a
    /// sixteenth of the table in one pass: addresses with a proven route
    /// last (a stranger's flood of new addresses cannot push out a peer
    /// that has answered us, to claim it afresh), the least recently used
    /// first within a standing.
    private mutating func makeRoom(now: Instant) {
        guard routes.count >= capacity else { return }
        expire(now: now, force: true)
        guard routes.count >= capacity else { return }
        var ages: [(address: FLIPAddress, proven: Bool, used: Instant)] = []
        ages.reserveCapacity(routes.count)
        for (address, list) in routes {
            var used = Instant(microseconds: Int64.min)
            var proven = false
            for r in list {
                if used < r.lastUsed { used = r.lastUsed }
                if r.standing == .proven { proven = true }
            }
            ages.append((address, proven, used))
        }
        // Equal ages in address order, so every box forgets the same way
        // whatever the table's hashing.
        ages.sort {
            if $0.proven != $1.proven { return !$0.proven }
            return $0.used != $1.used ? $0.used < $1.used : $0.address.bytes.lexicographicallyPrecedes($1.address.bytes)
        }
        keysChange()
        for e in ages.prefix(max(1, capacity / 16)) { routes[e.address] = nil }
    }

    /// A frame just came from (interface, location) claiming `address`:
    /// refreshes that route (keeping the shorter distance unless `replace`
    /// says the new one is authoritative), or adds it, usable only when no
    /// other place is known for the address.
    @discardableResult
    mutating func learn(_ address: FLIPAddress, interface: Int, location: EthernetAddress,
                        hops: UInt16, trusted: Bool, now: Instant, replace: Bool = false) -> ClaimOutcome {
        var handle: RouteHandle?
        return learn(address, interface: interface, location: location, hops: hops, trusted: trusted, now: now,
                     replace: replace, handle: &handle)
    }

    /// `learn`, and a handle to the route the claim refreshed or added
    /// (nil when it kept none), for `refresh` to take the next frame from
    /// the same place.
    mutating func learn(_ address: FLIPAddress, interface: Int, location: EthernetAddress,
                        hops: UInt16, trusted: Bool, now: Instant, replace: Bool = false,
                        handle: inout RouteHandle?) -> ClaimOutcome {
        handle = nil
        guard !address.isNull else { return .none }
        // Every arriving frame refreshes its sender's route: the key is
        // hashed once and the list changed in place, never copied out and
        // back (three or more hashes a frame, on the 32-bit kernel a sizeable
        // share of a transaction).
        let k: Dictionary<FLIPAddress, [Route]>.Index
        if let found = index(of: address) {
            k = found
        } else {
            makeRoom(now: now)
            keysChange()
            routes[address] = []
            k = index(of: address)!
        }
        var changed = false
        var position: Int?
        let outcome = RoutingTable.claim(&routes.values[k], interface: interface, location: location, hops: hops,
                                         trusted: trusted, now: now, replace: replace, lifetime: lifetime,
                                         maxRoutes: maxRoutesPerAddress, changed: &changed, at: &position)
        if changed { generation &+= 1 }
        if let position { handle = RouteHandle(index: k, position: position, generation: generation) }
        return outcome
    }

    /// What a box keeps beside a handle to refresh and use its route
    /// without touching the table (HeardPath, FLIPBox+CommonFrame.swift):
    /// the route's distance, trust and last use, and the oldest last use
    /// of the address's other routes (`Instant` at its latest when there
    /// are none). nil when the table changed since the handle was made.
    /// While the generation stays, the distance and trust stay, and uses
    /// only move later: the times are lower bounds from then on.
    func summary(_ handle: RouteHandle) -> (hops: UInt16, trusted: Bool, used: Instant, othersUsed: Instant)? {
        guard handle.generation == generation else { return nil }
        return routes.values[handle.index].withUnsafeBufferPointer { list in
            var others = Instant(microseconds: Int64.max)
            for (i, r) in list.enumerated() where i != handle.position && r.lastUsed < others { others = r.lastUsed }
            let r = list[handle.position]
            return (r.hops, r.trusted, r.lastUsed, others)
        }
    }

    /// Marks the route `handle` names heard at `heard` and used at `used`,
    /// unless it was later: what a box's refreshes and uses that did not
    /// touch the table come to, written when the table is next read.
    mutating func touch(_ handle: RouteHandle, heard: Instant, used: Instant) {
        guard handle.generation == generation else { return }
        routes.values[handle.index].withUnsafeMutableBufferPointer { list in
            let p = handle.position
            if list[p].lastUsed < used { list[p].lastUsed = used }
            if list[p].lastHeard < heard { list[p].lastHeard = heard }
        }
    }

    /// `learn` on one address's list.
    /// `changed` is set unless only a route's times changed: a frame from
    /// a known place, as nearly every frame is, leaves handles valid.
    private static func claim(_ list: inout [Route], interface: Int, location: EthernetAddress, hops: UInt16,
                              trusted: Bool, now: Instant, replace: Bool, lifetime: Interval,
                              maxRoutes: Int, changed: inout Bool, at position: inout Int?) -> ClaimOutcome {
        if list.contains(where: { now - $0.lastUsed > lifetime }) {
            list.removeAll { now - $0.lastUsed > lifetime }
            changed = true
        }
        if let i = list.firstIndex(where: { $0.interface == interface && $0.location == location }) {
            // One access to the element, not four.
            let (before, wasTrusted) = (list[i].hops, list[i].trusted)
            list[i].refresh(hops: hops, replace: replace, trusted: trusted, now: now)
            if list[i].hops != before || list[i].trusted != wasTrusted { changed = true }
            position = i
            return .refreshed
        }
        changed = true
        let first = list.isEmpty
        if !first, list.count >= maxRoutes {
            guard let v = victim(in: list, below: .heard) else { return .ignored }
            list.remove(at: v)
        }
        list.append(Route(interface: interface, location: location, hops: hops, trusted: trusted,
                          lastUsed: now, lastHeard: now, since: now, standing: first ? .heard : .candidate))
        position = list.count - 1
        return first ? .firstHeard : .candidate
    }

    /// A HEREIS answering our LOCATE (started at `locateStarted`) came from
    /// (interface, location): that route is proven, and the usable routes
    /// that did not answer the same locate become candidates. Returns
    /// whether the route is new.
    @discardableResult
    mutating func prove(_ address: FLIPAddress, interface: Int, location: EthernetAddress, hops: UInt16,
                        trusted: Bool, now: Instant, locateStarted: Instant) -> Bool {
        guard !address.isNull else { return false }
        if routes[address] == nil { makeRoom(now: now) }
        let lifetime = self.lifetime
        var list = routes[address] ?? []
        list.removeAll { now - $0.lastUsed > lifetime }
        for i in list.indices where list[i].isUsable
            && !(list[i].standing == .proven && list[i].provenFor >= locateStarted)
            && !(list[i].interface == interface && list[i].location == location) {
            list[i].standing = .candidate
        }
        var isNew = false
        let i: Int
        if let k = list.firstIndex(where: { $0.interface == interface && $0.location == location }) {
            i = k
        } else {
            if list.count >= maxRoutesPerAddress { list.remove(at: RoutingTable.victim(in: list)!) }
            list.append(Route(interface: interface, location: location, hops: hops, trusted: trusted,
                              lastUsed: now, lastHeard: now, since: now, standing: .proven))
            i = list.count - 1
            isNew = true
        }
        list[i].hops = hops
        list[i].trusted = trusted
        list[i].lastUsed = now
        list[i].lastHeard = now
        if list[i].standing != .proven { list[i].since = now }
        list[i].standing = .proven
        list[i].provenFor = max(list[i].provenFor, locateStarted)
        keysChange()
        routes[address] = list
        return isNew
    }

    /// The route to drop from a full list: the lowest standing first, then
    /// the one heard from least recently; only routes below `bound` when
    /// given (nil when none is).
    private static func victim(in list: [Route], below bound: RouteStanding? = nil) -> Int? {
        var pick: Int?
        for i in list.indices where bound == nil || list[i].standing < bound! {
            if let v = pick {
                if list[i].standing < list[v].standing
                    || (list[i].standing == list[v].standing && list[i].lastHeard < list[v].lastHeard) { pick = i }
            } else {
                pick = i
            }
        }
        return pick
    }

    /// Whether `address` has a route we would send by.
    func hasUsableRoute(_ address: FLIPAddress, now: Instant) -> Bool {
        guard let list = routes[address] else { return false }
        for r in list where r.isUsable && now - r.lastUsed <= lifetime { return true }
        return false
    }

    /// The usable route to `address` heard from most recently, if any: what
    /// a probe must reach besides the new place.
    func incumbent(_ address: FLIPAddress, now: Instant) -> Route? {
        var found: Route?
        for r in routes[address] ?? [] where r.isUsable && now - r.lastUsed <= lifetime {
            if found == nil || r.lastHeard > found!.lastHeard { found = r }
        }
        return found
    }

    /// Stops using the routes to `address` that have not answered lately:
    /// what a LOCATE for it passing through asks of us. They stay as
    /// candidates, so a stranger's next claim does not find an empty list
    /// and the next send locates. Returns how many were demoted.
    @discardableResult
    mutating func demoteSilent(_ address: FLIPAddress, now: Instant) -> Int {
        let window = answerWindow
        return demote(address) { now - $0.lastHeard > window }
    }

    /// Stops using every route to `address`, or only the one via
    /// (interface, location) when given (a NOTHERE from there). Returns
    /// how many were demoted.
    @discardableResult
    mutating func demote(_ address: FLIPAddress, interface: Int? = nil, location: EthernetAddress? = nil) -> Int {
        demote(address) { r in
            guard let interface else { return true }
            return r.interface == interface && (location == nil || r.location == location)
        }
    }

    /// Makes the usable routes to `address` that `picked` chooses
    /// candidates, in place; returns how many.
    private mutating func demote(_ address: FLIPAddress, where picked: (Route) -> Bool) -> Int {
        guard let k = index(of: address) else { return 0 }
        var n = 0
        for i in routes.values[k].indices where routes.values[k][i].isUsable && picked(routes.values[k][i]) {
            routes.values[k][i].standing = .candidate
            n += 1
        }
        if n > 0 { generation &+= 1 }
        return n
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
        keysChange()
        routes[address] = list.isEmpty ? nil : list
        return before - list.count
    }

    /// The usable route to `address` within `budget` hops, not via
    /// `excluding` (the interface a packet came in on), trusted if asked:
    /// proven before heard; then the oldest answering one if any answers,
    /// else the shortest.
    func best(_ address: FLIPAddress, budget: UInt16, excluding: Int? = nil,
              trustedOnly: Bool = false, now: Instant) -> Route? {
        guard let list = routes[address],
              let i = bestIndex(in: list, budget: budget, excluding: excluding, trustedOnly: trustedOnly, now: now)
        else { return nil }
        return list[i]
    }

    /// `best`, for a send by it now: its use is marked in the same look-up,
    /// so a route stays alive while traffic flows.
    mutating func useBest(_ address: FLIPAddress, budget: UInt16, trustedOnly: Bool, now: Instant) -> Route? {
        guard let k = index(of: address) else { return nil }
        // One access to the list, changed in place: reading it, then
        // writing the use, then reading the route back cost three.
        return RoutingTable.use(&routes.values[k], budget: budget, trustedOnly: trustedOnly, now: now,
                                lifetime: lifetime, answerWindow: answerWindow)
    }

    /// `useBest`, and a handle to the route when the choice cannot change
    /// with time alone: when it is the one route of the address that the
    /// budget and trust allow, standing aside, so that which routes answer
    /// lately (the tie-breaks) does not matter. Then, until the table
    /// changes, the best route is that one while it lives, and nothing
    /// once it expires.
    mutating func useBest(_ address: FLIPAddress, budget: UInt16, trustedOnly: Bool, now: Instant,
                          handle: inout RouteHandle?) -> Route? {
        handle = nil
        guard let k = index(of: address),
              let route = RoutingTable.use(&routes.values[k], budget: budget, trustedOnly: trustedOnly, now: now,
                                           lifetime: lifetime, answerWindow: answerWindow) else { return nil }
        var sole: Int?
        for (i, r) in routes.values[k].enumerated()
            where r.isUsable && (!trustedOnly || r.trusted) && r.hops <= budget {
            if sole != nil { return route }
            sole = i
        }
        if let sole { handle = RouteHandle(index: k, position: sole, generation: generation) }
        return route
    }

    /// Whether the table is as it was when `handle` was made.
    func isCurrent(_ handle: RouteHandle) -> Bool { handle.generation == generation }

    /// The route `handle` names, marked used now, if the table has not
    /// changed since the handle was made and the route has not expired:
    /// then it is what `useBest` would answer. false, and nothing done,
    /// otherwise.
    mutating func use(_ handle: RouteHandle, now: Instant) -> Bool {
        guard handle.generation == generation else { return false }
        let lifetime = self.lifetime
        return routes.values[handle.index].withUnsafeMutableBufferPointer { list in
            guard now - list[handle.position].lastUsed <= lifetime else { return false }
            list[handle.position].lastUsed = now
            return true
        }
    }

    private static func use(_ list: inout [Route], budget: UInt16, trustedOnly: Bool, now: Instant,
                            lifetime: Interval, answerWindow: Interval) -> Route? {
        guard let i = bestIndex(in: list, budget: budget, excluding: nil, trustedOnly: trustedOnly, now: now,
                                lifetime: lifetime, answerWindow: answerWindow) else { return nil }
        list[i].lastUsed = now
        return list[i]
    }

    private func bestIndex(in list: [Route], budget: UInt16, excluding: Int?, trustedOnly: Bool,
                           now: Instant) -> Int? {
        RoutingTable.bestIndex(in: list, budget: budget, excluding: excluding, trustedOnly: trustedOnly, now: now,
                               lifetime: lifetime, answerWindow: answerWindow)
    }

    private static func bestIndex(in list: [Route], budget: UInt16, excluding: Int?, trustedOnly: Bool,
                                  now: Instant, lifetime: Interval, answerWindow: Interval) -> Int? {
        var best: Int?
        var bestAnswers = false
        for (i, r) in list.enumerated() {
            if !r.isUsable { continue }
            if now - r.lastUsed > lifetime { continue }
            if let excluding, r.interface == excluding { continue }
            if trustedOnly && !r.trusted { continue }
            if r.hops > budget { continue }
            let answers = now - r.lastHeard <= answerWindow
            guard let bi = best else {
                best = i
                bestAnswers = answers
                continue
            }
            let b = list[bi]
            if r.standing != b.standing {
                if r.standing > b.standing { best = i; bestAnswers = answers }
            } else if answers != bestAnswers {
                if answers { best = i; bestAnswers = true }
            } else if answers ? (r.since < b.since || (r.since == b.since && r.hops < b.hops)) : r.hops < b.hops {
                best = i
            }
        }
        return best
    }

    /// Live usable routes to `address` (optionally not via `excluding`).
    func live(_ address: FLIPAddress, excluding: Int? = nil, now: Instant) -> [Route] {
        (routes[address] ?? []).filter { $0.isUsable && now - $0.lastUsed <= lifetime && $0.interface != excluding }
    }

    /// Drops every expired route; a sweep of the whole table, so at most
    /// once a second unless `force`d.
    mutating func expire(now: Instant, force: Bool = false) {
        guard force || now - lastExpiry >= .seconds(1) else { return }
        lastExpiry = now
        for (address, list) in routes {
            let kept = list.filter { now - $0.lastUsed <= lifetime }
            if kept.count != list.count {
                keysChange()
                routes[address] = kept.isEmpty ? nil : kept
            }
        }
    }
}
