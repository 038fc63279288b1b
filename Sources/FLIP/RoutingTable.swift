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

import AmoebaCore

struct Route: Sendable {
    var interface: Int
    var location: EthernetAddress
    /// Hop distance from this box, including the first link's weight.
    var hops: UInt16
    /// Reached over trusted networks only.
    var trusted: Bool
    var lastUsed: Instant
}

struct RoutingTable {
    private(set) var routes: [FLIPAddress: [Route]] = [:]
    let lifetime: Interval
    let capacity: Int

    init(lifetime: Interval, capacity: Int) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    var addressCount: Int { routes.count }

    /// Makes room for one more address: expired routes go first, then the
    /// address used least recently.
    private mutating func makeRoom(now: Instant) {
        guard routes.count >= capacity else { return }
        expire(now: now)
        guard routes.count >= capacity else { return }
        var oldest: (FLIPAddress, Instant)?
        for (address, list) in routes {
            var used = Instant(microseconds: Int64.min)
            for r in list where used < r.lastUsed { used = r.lastUsed }
            if oldest == nil || used < oldest!.1 || (used == oldest!.1 && address.hex < oldest!.0.hex) {
                oldest = (address, used)
            }
        }
        if let oldest { routes[oldest.0] = nil }
    }

    /// Adds or refreshes the route via (interface, location); keeps the
    /// shorter distance when refreshing unless `replace` says the new
    /// distance is authoritative. Returns whether the route is new.
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
            return false
        }
        routes[address]!.append(Route(interface: interface, location: location, hops: hops, trusted: trusted, lastUsed: now))
        return true
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

    /// The shortest live route to `address` within `budget` hops, not via
    /// `excluding` (the interface a packet came in on), trusted if asked.
    func best(_ address: FLIPAddress, budget: UInt16, excluding: Int? = nil,
              trustedOnly: Bool = false, now: Instant) -> Route? {
        var best: Route?
        for r in routes[address] ?? [] {
            if now - r.lastUsed > lifetime { continue }
            if let excluding, r.interface == excluding { continue }
            if trustedOnly && !r.trusted { continue }
            if r.hops > budget { continue }
            if best == nil || r.hops < best!.hops { best = r }
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

    /// Drops every expired route.
    mutating func expire(now: Instant) {
        for (address, list) in routes {
            let kept = list.filter { now - $0.lastUsed <= lifetime }
            if kept.count != list.count { routes[address] = kept.isEmpty ? nil : kept }
        }
    }
}
