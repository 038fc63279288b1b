// The FLIP box: one node's FLIP switch, as a sans-I/O state machine.
//
// It holds the node's interfaces, the endpoints registered on it, the
// routing table, pending locates, half-reassembled messages and per-peer
// flow control. The driver feeds it frames (`receive`) and the time
// (`tick`), sends what it asks for and delivers what it hands up, both
// drained from `takeEvents()`. A box with two interfaces on two segments is
// a FLIP gateway: packets not for it are forwarded by the same rules
// Amoeba's packet switch applies (hop counts, trusted networks, NOTHERE).
//
// This file holds the public surface and the sending side; what happens
// to arriving packets is in FLIPBox+Receive.swift.

import AmoebaCore

struct Interface {
    var mac: EthernetAddress
    var weight: UInt16
    var trusted: Bool
}

public final class FLIPBox {
    public let configuration: FLIPConfiguration
    /// The longest message the common frame may carry: one fragment's
    /// data, and no more than a message may be (FLIPBox+CommonFrame.swift).
    let commonLimit: Int
    public internal(set) var statistics = FLIPStatistics()

    var interfaces: [Interface] = []
    var endpoints = EndpointTable()
    var nextEndpoint = 0
    /// The routing table as it stands but for the times the heard path
    /// holds back (`heardPending`); read and change it through `routes`.
    var table: RoutingTable
    /// The routing table. Every read and change of it first writes what
    /// the heard path holds back, so what it answers is what it would
    /// have answered had every frame touched it.
    var routes: RoutingTable {
        _read {
            if heardPending { writeHeardPath() }
            yield table
        }
        _modify {
            if heardPending { writeHeardPath() }
            yield &table
        }
    }
    var broadcasts: BroadcastMemory
    var reassembler: Reassembler
    var flow: FlowControl
    var locator = Locator()
    /// Ids of our LOCATEs, which a HEREIS must echo (RouteChallenge.swift).
    var locateIDs = LocateIdentifiers(seed: 0)
    var relayedLocates = RelayedLocates()
    /// What the box has to say, oldest first (EventQueue.swift).
    @usableFromInline let events = EventQueue<FLIPEvent>()
    var spareOutgoing: [OutgoingFrame] = []
    var nextMessageID: UInt32 = 1
    /// NOTHERE reports already made, so a message is reported once.
    var reported: [BroadcastKey] = []
    var now = Instant.zero
    /// Whether the common frame takes its straight path (FLIPBox+CommonFrame.swift);
    /// tests turn it off to check that the general path does the same.
    var commonPaths = true
    /// The last message sent on the straight path, and how (FLIPBox+CommonSend.swift).
    var sendPath: SendPath?
    /// The place the last frame came from (FLIPBox+CommonFrame.swift).
    var heardPath: HeardPath?
    /// Whether the heard path holds route times not yet in the table.
    var heardPending = false
    /// The last common frame's headers and what they said (FLIPBox+ArrivalPath.swift).
    var arrivalPath = ArrivalPath.none
    /// Fragments taken on the straight path (FLIPBox+CommonFragment.swift),
    /// for tests to see that it is taken.
    var straightFragments = 0

    public init(configuration: FLIPConfiguration = .init()) {
        self.configuration = configuration
        commonLimit = min(configuration.maxFragmentData, configuration.maxMessageSize)
        table = RoutingTable(lifetime: configuration.routeLifetime, capacity: configuration.maxRoutedAddresses,
                              answerWindow: configuration.routeAnswerWindow,
                              maxRoutesPerAddress: configuration.maxRoutesPerAddress)
        broadcasts = BroadcastMemory(capacity: configuration.broadcastMemory)
        reassembler = Reassembler(configuration: configuration)
        flow = FlowControl(configuration: configuration)
    }

    // MARK: Interfaces and endpoints

    /// Adds a network interface. `weight` is the hop cost of crossing its
    /// network (3 for Ethernet); untrusted networks mark what crosses them.
    public func addInterface(mac: EthernetAddress, weight: UInt16 = 3, trusted: Bool = false) -> InterfaceID {
        interfaces.append(Interface(mac: mac, weight: max(weight, 1), trusted: trusted))
        return InterfaceID(rawValue: interfaces.count - 1)
    }

    /// Registers an endpoint that listens on `privateAddress.publicAddress`.
    /// With a `headSize`, a message for it that is longer than that is
    /// delivered in two buffers, its first `headSize` bytes and the rest
    /// (`FLIPDelivery.body`), whenever that costs no copy: when it is
    /// reassembled from fragments (Reassembly.swift) or sent by a local
    /// endpoint in two buffers. For a protocol whose messages are headers
    /// of a fixed size and then data, the data arrives as an array of its
    /// own.
    public func register(privateAddress: FLIPAddress, headSize: Int = 0) -> EndpointID {
        sendPath = nil   // its destination may be ours now
        arrivalPath = .none   // its listener may be ours too
        let id = nextEndpoint
        nextEndpoint += 1
        endpoints.append(Endpoint(privateAddress: privateAddress, publicAddress: privateAddress.publicAddress,
                                  headSize: max(headSize, 0)), id: id)
        return EndpointID(rawValue: id)
    }

    public func unregister(_ endpoint: EndpointID) {
        sendPath = nil
        arrivalPath = .none
        endpoints.remove(endpoint.rawValue)
    }

    /// The public address `endpoint` listens on.
    public func address(of endpoint: EndpointID) -> FLIPAddress? {
        endpoints.publicAddress(of: endpoint.rawValue)
    }

    /// Makes `endpoint` also receive MULTIDATA sent to `group`.
    public func join(_ endpoint: EndpointID, group: FLIPAddress) {
        endpoints.updateGroups(of: endpoint.rawValue) { _ = $0.insert(group) }
    }

    public func leave(_ endpoint: EndpointID, group: FLIPAddress) {
        endpoints.updateGroups(of: endpoint.rawValue) { _ = $0.remove(group) }
    }

    /// While true, this box drains arriving flow-controlled frames without
    /// giving their senders credit back, so they stall once their credit is
    /// spent. Setting it false returns all withheld credit at once.
    public var isWithholdingCredit: Bool {
        get { flow.withholding }
        set {
            flow.withholding = newValue
            if !newValue {
                var out = [OutgoingFrame]()
                flow.release(sources: { self.interfaces[$0].mac }, statistics: &statistics, out: &out)
                emit(out)
            }
        }
    }

    /// Local endpoints listening on `address` (unicast), in id order.
    func localEndpoints(listeningOn address: FLIPAddress) -> Listeners {
        var found = Listeners()
        guard !address.isNull else { return found }
        // Read in place: no copy of the table is taken.
        for k in 0..<endpoints.addresses.count where endpoints.addresses[k] == address {
            found.add(EndpointID(rawValue: endpoints.ids[k]))
        }
        return found
    }

    /// Local endpoints that receive MULTIDATA to `group` (everyone for the
    /// null group, a broadcast), in id order.
    func localMembers(of group: FLIPAddress) -> [EndpointID] {
        var found: [EndpointID] = []
        for (k, e) in endpoints.entries.enumerated()
            where group.isNull || e.publicAddress == group || e.groups.contains(group) {
            found.append(EndpointID(rawValue: endpoints.ids[k]))
        }
        return found
    }

    func isLocal(_ address: FLIPAddress) -> Bool { !address.isNull && endpoints.contains(address: address) }

    /// The hop distance of the best live route to `address`, if any; for
    /// tools and tests.
    public func routeHops(to address: FLIPAddress) -> UInt16? {
        routes.best(address, budget: UInt16.max, now: now)?.hops
    }

    /// Whether a broadcast limited to `hops` leaves the box: some network
    /// weighs no more (an Ethernet weighs 3, so a locate's first round,
    /// at one hop, reaches only the box's own endpoints).
    public func reachesNetwork(within hops: UInt16) -> Bool {
        let limit = min(hops, configuration.maxHops)
        for i in interfaces where i.weight <= limit { return true }
        return false
    }

    /// The Ethernet address of an interface.
    public func interfaceMAC(_ interface: InterfaceID) -> EthernetAddress? {
        guard interface.rawValue >= 0, interface.rawValue < interfaces.count else { return nil }
        return interfaces[interface.rawValue].mac
    }

    /// How many addresses the routing table knows.
    public var routedAddressCount: Int { routes.addressCount }

    /// How many Ethernet neighbours flow control keeps state for.
    public var peerCount: Int { flow.peers.count }

    /// How many messages are half reassembled right now.
    public var pendingReassemblies: Int { reassembler.partial.count }

    // MARK: Sending

    func allocateMessageID() -> UInt32 {
        let id = nextMessageID
        nextMessageID = nextMessageID &+ 1
        if nextMessageID == 0 { nextMessageID = 1 }
        return id
    }

    /// Sends `message` from `from` to the endpoint listening on `to`:
    /// directly if local, along a known route, or after locating it.
    /// Returns the message id that an `undeliverable` event would name.
    @discardableResult
    public func unicast(_ message: [UInt8], from: EndpointID, to destination: FLIPAddress, now: Instant) -> UInt32 {
        unicast(message, from: from, to: destination, secure: false, now: now)
    }

    /// As `unicast`, optionally over trusted networks only (the SECURITY flag).
    @discardableResult
    public func unicast(_ message: [UInt8], from: EndpointID, to destination: FLIPAddress, secure: Bool,
                        now: Instant) -> UInt32 {
        var bytes = message
        return send(&bytes, start: 0, from: from, to: destination, secure: secure, now: now)
    }

    /// Room a message built for `unicast(framed:)` leaves in front of
    /// itself: the Ethernet header, the fragment control pair and the FLIP
    /// header, which the box writes there.
    public static let headroom = EthernetFrame.headerSize + FragmentControl.size + FLIPHeader.size

    /// As `unicast`, for a message that starts `FLIPBox.headroom` bytes
    /// into `frame`. A message that goes out in one frame goes out in this
    /// very buffer, the box's headers written in front of it: no frame is
    /// built and nothing copied. The caller may keep `frame` to send the
    /// message again (the bytes in front are the box's; if the frame is
    /// still held when it is reused, a copy is made then).
    @discardableResult
    public func unicast(framed frame: inout [UInt8], from: EndpointID, to destination: FLIPAddress,
                        secure: Bool = false, now: Instant) -> UInt32 {
        precondition(frame.count >= FLIPBox.headroom, "a framed message needs its headroom")
        advance(to: now)
        if commonPaths, let id = sendCommon(&frame, from: from, to: destination, secure: secure) {
            return id   // FLIPBox+CommonSend.swift
        }
        return sendFramed(&frame, from: from, to: destination, secure: secure, now: now)
    }

    /// `unicast(framed:)` the general way: out of line, so that the
    /// straight path (`sendCommon`) pays neither for its registers nor for
    /// its stack.
    @inline(never)
    private func sendFramed(_ frame: inout [UInt8], from: EndpointID, to destination: FLIPAddress, secure: Bool,
                            now: Instant) -> UInt32 {
        send(&frame, start: FLIPBox.headroom, body: [], from: from, to: destination, secure: secure, now: now)
    }

    /// As `unicast(framed:)`, for a message kept in two buffers: the
    /// message is what follows the headroom in `head`, then `body`. For a
    /// message of several frames whose sender keeps its headers apart from
    /// its data (RPC: amp and Amoeba headers, then the transaction's data):
    /// each fragment is copied from the two buffers straight into its
    /// frame, so the data is never first copied behind the headers. `head`
    /// is not changed (a message that fits one frame is built in a frame of
    /// its own), so the caller may send both again.
    @discardableResult
    public func unicast(framed head: inout [UInt8], then body: ArraySlice<UInt8>, from: EndpointID,
                        to destination: FLIPAddress, secure: Bool = false, now: Instant) -> UInt32 {
        precondition(head.count >= FLIPBox.headroom, "a framed message needs its headroom")
        return send(&head, start: FLIPBox.headroom, body: body, from: from, to: destination, secure: secure, now: now)
    }

    /// Every kind of unicast: the message is `bytes[start...]`, then `body`.
    /// Inlined into each kind, so that a message in one buffer (every small
    /// one) pays nothing for the second buffer others may have.
    @inline(__always)
    private func send(_ bytes: inout [UInt8], start: Int, body: ArraySlice<UInt8> = [], from: EndpointID,
                      to destination: FLIPAddress, secure: Bool, now: Instant) -> UInt32 {
        advance(to: now)
        let id = allocateMessageID()
        guard let source = endpoints.publicAddress(of: from.rawValue) else { return id }
        statistics.messagesSent += 1
        let count = bytes.count - start + body.count
        if destination.isNull || UInt64(count) > UInt64(UInt32.max) {
            events.append(.undeliverable(endpoint: from, destination: destination, messageID: id, reason: .unreachable))
            return id
        }
        let local = localEndpoints(listeningOn: destination)
        if !local.isEmpty {
            for e in local {
                statistics.localDeliveries += 1
                var d = FLIPDelivery(endpoint: e, source: source, destination: destination,
                                     payload: bytes[start...], isMulticast: false)
                if !body.isEmpty {
                    // In the sender's two buffers if the receiver takes them
                    // split there (its data array is then the sender's), else joined.
                    if endpoints.headSize(of: e.rawValue) == count - body.count {
                        d.body = Array(body)
                    } else {
                        d.payload = (Array(bytes[start...]) + body)[...]
                    }
                }
                deliver(d)
            }
            return id
        }
        if !locator.pending.isEmpty, let p = locator.pending[destination] {
            guard p.isProbe, p.giveUp <= now else {
                locator.pending[destination]!.waiting.append(
                    WaitingMessage(endpoint: from, source: source, messageID: id, message: bytes[start...], secure: secure,
                                   body: body))
                return id
            }
            // A probe past its time that no tick has ended yet.
            _ = locator.finish(destination)
            release(p)
        }
        var handle: RouteHandle?
        if let route = routes.useBest(destination, budget: configuration.maxHops, trustedOnly: secure, now: now,
                                      handle: &handle) {
            if start >= FLIPBox.headroom && body.isEmpty
                && transmitInPlace(&bytes, source: source, messageID: id, secure: secure, to: destination, via: route) {
                if let handle {
                    rememberSend(from: from, source: source, to: destination, secure: secure, via: route, handle)
                }
            } else {
                transmit(WaitingMessage(endpoint: from, source: source, messageID: id, message: bytes[start...],
                                        secure: secure, body: body), to: destination, via: route)
            }
        } else if secure, !routes.live(destination, now: now).isEmpty {
            events.append(.undeliverable(endpoint: from, destination: destination, messageID: id, reason: .unreachable))
        } else {
            startLocate(destination, for: WaitingMessage(endpoint: from, source: source, messageID: id,
                                                         message: bytes[start...], secure: secure, body: body))
        }
        return id
    }

    /// The headers a fragment of `m` carries along `route`.
    func fragmentHeader(source: FLIPAddress, messageID: UInt32, secure: Bool, to destination: FLIPAddress,
                                via route: Route, length: Int, offset: UInt32, total: Int) -> FLIPHeader {
        let weight = interfaces[route.interface].weight
        var flags: FLIPFlags = secure ? [.security] : []
        if !interfaces[route.interface].trusted { flags.insert(.unsafe) }
        return FLIPHeader(type: .unidata, flags: flags, actualHops: weight, maximumHops: max(route.hops, weight),
                          destination: destination, source: source, messageID: messageID,
                          length: UInt32(length), offset: offset, total: UInt32(total))
    }

    /// Sends a message of one frame in its own buffer, `frame`, whose
    /// first `headroom` bytes take the headers: the same bytes
    /// `transmit` would build, with no copy. false, and nothing done, when
    /// the message needs more than a frame or flow control must see it.
    private func transmitInPlace(_ frame: inout [UInt8], source: FLIPAddress, messageID: UInt32, secure: Bool,
                                 to destination: FLIPAddress, via route: Route) -> Bool {
        let count = frame.count - FLIPBox.headroom
        guard count <= max(1, configuration.maxFragmentData) else { return false }
        let h = fragmentHeader(source: source, messageID: messageID, secure: secure, to: destination, via: route,
                               length: count, offset: 0, total: count)
        let peer = PeerKey(interface: route.interface, location: route.location)
        guard flow.sendsDirect(h, to: peer) else { return false }
        EthernetFrame.storeHeaders(into: &frame, destination: route.location, source: interfaces[route.interface].mac,
                                   control: FragmentControl(type: .data), flip: h)
        statistics.framesOut += 1
        events.append(.transmit(interface: InterfaceID(rawValue: route.interface), frame: frame))
        return true
    }

    /// Fragments a message and sends it along `route`, which the caller
    /// found with `useBest` (that marked its use).
    func transmit(_ m: WaitingMessage, to destination: FLIPAddress, via route: Route) {
        var out = takeOutgoing()
        let total = m.count
        forEachFragment(of: m.message, then: m.body) { offset, chunk, rest in
            let h = fragmentHeader(source: m.source, messageID: m.messageID, secure: m.secure, to: destination,
                                   via: route, length: chunk.count + rest.count, offset: offset, total: total)
            flow.send(h, data: chunk, then: rest, to: PeerKey(interface: route.interface, location: route.location),
                      from: interfaces[route.interface].mac, now: now, statistics: &statistics, out: &out)
        }
        emit(reusing: &out)
    }

    /// Each fragment is a view of the message: copied only into its frame.
    func forEachFragment(of message: ArraySlice<UInt8>, _ visit: (UInt32, ArraySlice<UInt8>) -> Void) {
        forEachFragment(of: message, then: message[message.endIndex...]) { offset, chunk, _ in visit(offset, chunk) }
    }

    /// The fragments of a message in two buffers, `head` then `body`: each
    /// as the views of its bytes in the two (either may be empty).
    func forEachFragment(of head: ArraySlice<UInt8>, then body: ArraySlice<UInt8>,
                         _ visit: (UInt32, ArraySlice<UInt8>, ArraySlice<UInt8>) -> Void) {
        let step = max(1, configuration.maxFragmentData)
        let count = head.count + body.count
        if count <= step {
            visit(0, head, body)  // one fragment: the message itself
            return
        }
        var offset = 0
        let (h, b) = (head.startIndex, body.startIndex)
        while offset < count {
            let end = min(offset + step, count)
            // [offset, end) of the message: its part in the head, then the
            // part beyond the head in the body.
            visit(UInt32(offset), head[(h + min(offset, head.count))..<(h + min(end, head.count))],
                  body[(b + max(offset - head.count, 0))..<(b + max(end - head.count, 0))])
            offset = end
        }
    }

    /// Sends `message` as MULTIDATA to `group`, or to everyone within
    /// `maxHop` when `group` is null (a broadcast). Local members other
    /// than the sender get it directly.
    @discardableResult
    public func multicast(_ message: [UInt8], from: EndpointID, to group: FLIPAddress, maxHop: UInt16,
                          now: Instant) -> UInt32 {
        advance(to: now)
        let id = allocateMessageID()
        guard let source = endpoints.publicAddress(of: from.rawValue),
              UInt64(message.count) <= UInt64(UInt32.max) else { return id }
        statistics.messagesSent += 1
        for e in localMembers(of: group) where e != from {
            statistics.localDeliveries += 1
            deliver(FLIPDelivery(endpoint: e, source: source, destination: group, message: message, isMulticast: true))
        }
        let hopLimit = min(maxHop, configuration.maxHops)
        let target: EthernetAddress = group.isNull ? .broadcast : .multicast(for: group)
        var out = [OutgoingFrame]()
        forEachFragment(of: message[...]) { offset, chunk in
            _ = broadcasts.checkAndInsert(BroadcastKey(source: source, messageID: id, offset: offset))
            for (i, interface) in interfaces.enumerated() where interface.weight <= hopLimit {
                var flags: FLIPFlags = []
                if !interface.trusted { flags.insert(.unsafe) }
                let h = FLIPHeader(type: .multidata, flags: flags, actualHops: interface.weight, maximumHops: hopLimit,
                                   destination: group, source: source, messageID: id,
                                   length: UInt32(chunk.count), offset: offset, total: UInt32(message.count))
                out.append(OutgoingFrame(interface: i, bytes: EthernetFrame.encode(
                    destination: target, source: interface.mac, control: FragmentControl(type: .data),
                    flip: h, data: chunk)))
            }
        }
        emit(out)
        return id
    }

    // MARK: Locating

    func startLocate(_ destination: FLIPAddress, for message: WaitingMessage) {
        let firstHops = interfaces.map { $0.weight }.min() ?? 1
        var p = PendingLocate(destination: destination, source: message.source, hops: min(firstHops, configuration.maxHops),
                              interval: configuration.locateInterval, nextRound: now + configuration.locateInterval,
                              giveUp: now + configuration.locateTimeout, secure: message.secure, waiting: [message])
        sendLocate(&p)
        locator.start(p)
    }

    func sendLocate(_ p: inout PendingLocate) {
        if p.rounds == 0 {
            p.firstID = locateIDs.next()
            p.started = now
        }
        let id = p.firstID &+ p.rounds
        p.rounds &+= 1
        _ = broadcasts.checkAndInsert(BroadcastKey(source: p.source, messageID: id, offset: 0))
        statistics.locateRounds += 1
        var out = [OutgoingFrame]()
        for (i, interface) in interfaces.enumerated() where interface.weight <= p.hops {
            var flags: FLIPFlags = []
            if !interface.trusted { flags.insert(.unsafe) }
            let h = FLIPHeader(type: .locate, flags: flags, actualHops: interface.weight, maximumHops: p.hops,
                               destination: p.destination, source: p.source, messageID: id, length: 0, total: 0)
            statistics.locatesSent += 1
            out.append(OutgoingFrame(interface: i, frame: EthernetFrame(
                destination: .broadcast, source: interface.mac, control: FragmentControl(type: .data), flip: h)))
        }
        emit(out)
    }

    /// Amoeba's FLIP_INVAL: stops trusting where `address` lives, here
    /// and on every gateway, by flooding a LOCATE whose budget is one more
    /// than the maximum. Each box it crosses stops using its routes to the
    /// address, and the address's holder answers with HEREIS, which proves
    /// the fresh route here. For when a peer seems to have moved. Messages
    /// sent meanwhile wait for the answer.
    public func invalidate(_ address: FLIPAddress, from endpoint: EndpointID, now time: Instant) {
        advance(to: time)
        guard let source = endpoints.publicAddress(of: endpoint.rawValue), !address.isNull, !isLocal(address) else { return }
        statistics.routesInvalidated += routes.demote(address)
        let budget = configuration.maxHops == UInt16.max ? UInt16.max : configuration.maxHops + 1
        if var p = locator.pending[address] {
            let hops = p.hops
            p.hops = budget
            sendLocate(&p)
            p.hops = hops
            locator.pending[address] = p
        } else {
            var p = PendingLocate(destination: address, source: source, hops: budget,
                                  interval: configuration.locateInterval, nextRound: now + configuration.locateInterval,
                                  giveUp: now + configuration.routeProbeTimeout, secure: false, waiting: [])
            p.isProbe = true
            sendLocate(&p)
            p.hops = configuration.maxHops
            locator.start(p)
        }
    }

    /// A route to `destination` may now exist: send what waits for it. A
    /// probe ends only on a proof (`proven`) or when it gives up.
    func routeBecameKnown(_ destination: FLIPAddress, proven: Bool = false) {
        guard !locator.pending.isEmpty, let p = locator.pending[destination], proven || !p.isProbe else { return }
        let route = routes.best(destination, budget: configuration.maxHops, trustedOnly: p.secure, now: now)
        guard route != nil || p.isProbe else { return }
        _ = locator.finish(destination)
        release(p)
    }

    /// Sends what waited on a finished locate by the best route, or
    /// reports it undeliverable.
    func release(_ p: PendingLocate) {
        let destination = p.destination
        for m in p.waiting {
            if let r = routes.useBest(destination, budget: configuration.maxHops, trustedOnly: m.secure, now: now) {
                transmit(m, to: destination, via: r)
            } else {
                events.append(.undeliverable(endpoint: m.endpoint, destination: destination,
                                             messageID: m.messageID, reason: .unreachable))
            }
        }
    }

    // MARK: Time

    func advance(to time: Instant) {
        if now < time { now = time }
    }

    /// Runs whatever is due: locate rounds and give-ups, credit requests,
    /// reassembly and route expiry.
    public func tick(now time: Instant) {
        advance(to: time)
        for destination in locator.order {
            guard var p = locator.pending[destination] else { continue }
            if !p.isProbe, routes.best(destination, budget: configuration.maxHops, trustedOnly: p.secure, now: now) != nil {
                routeBecameKnown(destination)
                continue
            }
            if p.isProbe, p.giveUp <= now {
                // Nobody proved a new place: what waited goes the old way.
                _ = locator.finish(destination)
                release(p)
                continue
            }
            if p.giveUp <= now {
                _ = locator.finish(destination)
                statistics.locatesGivenUp += 1
                for m in p.waiting {
                    events.append(.undeliverable(endpoint: m.endpoint, destination: destination,
                                                 messageID: m.messageID, reason: .unreachable))
                }
                continue
            }
            if p.nextRound <= now {
                if p.hops < configuration.maxHops {
                    p.hops += 1
                } else {
                    p.interval = p.interval * 2
                }
                p.nextRound = now + p.interval
                sendLocate(&p)
                locator.pending[destination] = p
            }
        }
        var out = takeOutgoing()
        flow.tick(now: now, sources: { self.interfaces[$0].mac }, statistics: &statistics, out: &out)
        emit(reusing: &out)
        let expired = reassembler.expire(now: now)
        for _ in 0..<expired { statistics.drop(.reassemblyTimeout) }
        statistics.reassembliesActive = reassembler.partial.count
        routes.expire(now: now)
    }

    /// The earliest time `tick` has something to do; nil when idle.
    ///
    /// Every driver asks after every event it feeds, and between events the
    /// three tables are nearly always empty: each is looked at only when it
    /// holds something, since asking a table (a struct inside this class)
    /// for its earliest time copies it whole, every dictionary in it
    /// retained and released, which cost a kernel node's null transaction
    /// hundreds of instructions for tables with nothing in them.
    public var nextDeadline: Instant? {
        var d: Instant? = nil
        if !locator.pending.isEmpty { d = locator.nextDeadline }
        if !flow.askDeadlines.isEmpty { d = earliest(d, flow.nextDeadline) }
        if !reassembler.partial.isEmpty { d = earliest(d, reassembler.nextExpiry) }
        return d
    }

    // MARK: Output

    public func takeEvents() -> [FLIPEvent] {
        var taken: [FLIPEvent] = []
        events.drain(into: &taken)
        return taken
    }

    /// Appends the pending events to `buffer` and forgets them.
    public func takeEvents(into buffer: inout [FLIPEvent]) {
        events.drain(into: &buffer)
    }

    /// Events waiting to be taken.
    @inlinable public var pendingEvents: Int { events.count }

    /// The oldest pending event, moved out (there must be one): a driver that takes events one
    /// at a time handles each with no copy and no buffer of its own.
    @inlinable public func takeEvent() -> FLIPEvent { events.removeFirst() }
    /// Whether the oldest event waiting is a frame to transmit (there
    /// must be one): what a driver may pass on without routing it.
    @inlinable public var nextEventIsTransmit: Bool {
        events.peekFirst { if case .transmit = $0 { true } else { false } }
    }

    /// Takes the delivery: it moves into the event, not copied and then
    /// destroyed (a retain and release of each buffer it holds).
    func deliver(_ d: consuming FLIPDelivery) {
        statistics.messagesDelivered += 1
        events.append(.deliver(d))
    }

    func emit(_ frames: [OutgoingFrame]) {
        for f in frames {
            statistics.framesOut += 1
            events.append(.transmit(interface: InterfaceID(rawValue: f.interface), frame: f.bytes))
        }
    }

    /// An empty frame list whose storage outlived the last send: the
    /// sending path fills one per message and need not allocate it.
    func takeOutgoing() -> [OutgoingFrame] {
        var out: [OutgoingFrame] = []
        swap(&out, &spareOutgoing)
        return out
    }

    /// Sends `out` and keeps its storage for the next `takeOutgoing`.
    func emit(reusing out: inout [OutgoingFrame]) {
        // Each frame is moved into its event, not copied into it and then
        // released from the list: turned around, the list pops oldest first.
        if !out.isEmpty {
            out.reverse()
            while let f = out.popLast() {
                statistics.framesOut += 1
                events.append(.transmit(interface: InterfaceID(rawValue: f.interface), frame: f.bytes))
            }
        }
        swap(&out, &spareOutgoing)
    }

    func emit(_ frame: EthernetFrame, on interface: Int) {
        emit([OutgoingFrame(interface: interface, frame: frame)])
    }
}
