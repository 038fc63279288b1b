// The packet switch: what a box does with each arriving frame.
//
// Every frame is decoded defensively and refused, counted by reason, at the
// first sign of trouble; nothing here can trap on what a remote node sends.
// Valid packets are handled by type, following Amoeba's switch:
//
// - LOCATE: learn the way back to its source; answer with HEREIS if the
//   address is ours (or if the hop budget is spent exactly here and we know
//   a route); otherwise stop using what we knew about the address and pass
//   the LOCATE on to the other networks within its budget.
// - HEREIS: learn the way to the located address (proven if it answers our
//   LOCATE, RouteChallenge.swift); pass it on toward the locate's source,
//   with our own counts, or release messages waiting here.
// - UNIDATA: learn the way back; deliver if ours, forward if we know a
//   route within budget, else turn it around as NOTHERE (or UNTRUSTED when
//   only untrusted routes exist and the packet asked for security).
// - MULTIDATA: learn the source from a first fragment, deliver to members,
//   forward broadcasts (and group traffic) to the other networks once.
// - NOTHERE / UNTRUSTED: forget the stale route, try another, or pass the
//   bad news back toward the source, whose endpoint is told.

import AmoebaCore

extension FLIPBox {
    public func receive(frame bytes: [UInt8], on interfaceID: InterfaceID, now time: Instant) {
        _ = arrive(bytes, on: interfaceID, now: time, handingBack: false)
    }

    /// A frame arrives: the common frame and the common fragment first
    /// (FLIPBox+CommonFrame.swift, FLIPBox+CommonFragment.swift), then the
    /// general path. The common frame's delivery comes back instead of
    /// being queued when `handingBack` and nothing waits before it
    /// (FLIPBox+HandBack.swift).
    @inline(__always)
    func arrive(_ bytes: [UInt8], on interfaceID: InterfaceID, now time: Instant,
                handingBack: Bool) -> CommonDelivery? {
        advance(to: time)
        statistics.framesIn &+= 1
        let i = interfaceID.rawValue
        // One unsigned compare: a negative index is out of range too.
        guard UInt(bitPattern: i) < UInt(bitPattern: interfaces.count) else {
            statistics.drop(.unknownInterface)
            return nil
        }
        if commonPaths {
            if let length = FLIPBox.commonLength(bytes) {
                let handing = handingBack && events.isEmpty
                if let d = receiveCommon(bytes, length: length, on: i) {
                    if handing { return d }
                    queue(d, of: bytes)
                    return nil
                }
            } else if receiveFragment(bytes, on: i) {
                return nil
            }
        }
        receiveGeneral(bytes, on: i)
        return nil
    }

    /// Everything the common paths did not take.
    func receiveGeneral(_ bytes: [UInt8], on i: Int) {
        // The data stays in the frame: handlers get a view of it.
        let frame: DecodedHeaders
        do { frame = try EthernetFrame.decodeHeaders(bytes) } catch {
            statistics.drop(.malformed)
            return
        }
        let dataStart = frame.dataStart
        let me = interfaces[i]
        guard frame.destination == me.mac || frame.destination.isGroup else {
            statistics.drop(.notForUs)
            return
        }
        guard frame.source != me.mac, !frame.source.isGroup else {
            statistics.drop(.malformed)
            return
        }
        let peer = PeerKey(interface: i, location: frame.source)
        // The box's kept frame list: returning credit or draining a queue
        // the credit released appends frames, and a fresh list grew (and
        // allocated) again for every frame that did.
        var out = takeOutgoing()
        defer { emit(reusing: &out) }
        switch frame.control.type {
        case .requestCredit:
            statistics.creditRequestsReceived += 1
            flow.creditRequested(by: peer, source: me.mac, statistics: &statistics, out: &out)
            return
        case .credit, .absoluteCredit:
            statistics.creditFramesReceived += 1
            flow.receiveCredit(frame.control.count, absolute: frame.control.type == .absoluteCredit, from: peer,
                               source: me.mac, now: now, statistics: &statistics, out: &out)
            return
        case .multicastRequest, .multicastAck, .multicastNak:
            statistics.drop(.unsupportedControl)
            return
        case .data:
            break
        }
        guard var h = frame.flip else {
            statistics.drop(.malformed)
            return
        }
        if flow.costsCredit(h) {
            flow.arrived(from: peer, source: me.mac, statistics: &statistics, out: &out)
            if frame.control.count > 0 {
                flow.receiveCredit(frame.control.count, absolute: false, from: peer, source: me.mac, now: now,
                                   statistics: &statistics, out: &out)
            }
        }
        if !me.trusted { h.flags.insert(.unsafe) }
        // A LOCATE may exceed the maximum: that is how routes are invalidated.
        guard h.actualHops <= h.maximumHops,
              h.type == FLIPPacketType.locate.rawValue || h.maximumHops <= configuration.maxHops else {
            statistics.drop(.hopLimit)
            return
        }
        guard UInt64(h.offset) + UInt64(h.length) <= UInt64(h.total) else {
            statistics.drop(.inconsistentFragment)
            return
        }
        let arrival = Arrival(interface: i, location: frame.source, order: frame.order)
        let data = bytes[dataStart..<(dataStart + Int(h.length))]
        switch h.packetType {
        case .locate: handleLocate(h, data: data, arrival)
        case .hereIs: handleHereIs(h, data: data, arrival)
        case .unidata: handleUnidata(h, data: data, arrival)
        case .multidata: handleMultidata(h, data: data, arrival)
        case .notHere: handleNotHere(h, data: data, arrival)
        case .untrusted: handleUntrusted(h, data: data, arrival)
        case nil: statistics.drop(.unknownType)
        }
    }

    struct Arrival {
        var interface: Int
        var location: EthernetAddress
        var order: ByteOrder
    }

    // MARK: Sending helpers

    /// Sends a packet back the way it came (HEREIS, NOTHERE, UNTRUSTED):
    /// the hop count goes down by the network's weight, as in Amoeba.
    func reverse(_ h: FLIPHeader, data: ArraySlice<UInt8>, interface: Int, location: EthernetAddress) {
        var h = h
        let net = interfaces[interface]
        h.actualHops = h.actualHops >= net.weight ? h.actualHops - net.weight : 0
        if !net.trusted {
            h.flags.insert(.unsafe)
            if h.flags.contains(.security) {
                statistics.drop(.insecure)
                return
            }
        }
        emit([OutgoingFrame(interface: interface, bytes: EthernetFrame.encode(
            destination: location, source: net.mac, control: FragmentControl(type: .data), flip: h, data: data))])
    }

    /// Sends a packet onward (UNIDATA): the hop count goes up by the
    /// network's weight, and UNIDATA is subject to flow control.
    func forward(_ h: FLIPHeader, data: ArraySlice<UInt8>, via route: Route) {
        var h = h
        let net = interfaces[route.interface]
        guard h.actualHops <= h.maximumHops, net.weight <= h.maximumHops - h.actualHops else {
            statistics.drop(.hopLimit)
            return
        }
        h.actualHops += net.weight
        if !net.trusted {
            h.flags.insert(.unsafe)
            if h.flags.contains(.security) {
                statistics.drop(.insecure)
                return
            }
        }
        var out = takeOutgoing()
        flow.send(h, data: data, to: PeerKey(interface: route.interface, location: route.location),
                  from: net.mac, now: now, statistics: &statistics, out: &out)
        emit(reusing: &out)
    }

    /// Sends a copy to every network but `except` that the remaining hop
    /// budget can pay for.
    func flood(_ h: FLIPHeader, data: ArraySlice<UInt8>, except: Int, to target: EthernetAddress) {
        guard h.actualHops <= h.maximumHops else { return }
        let budget = h.maximumHops - h.actualHops
        var out = [OutgoingFrame]()
        for (i, net) in interfaces.enumerated() where i != except && net.weight <= budget {
            if h.flags.contains(.security) && !net.trusted { continue }
            var copy = h
            copy.actualHops += net.weight
            if !net.trusted { copy.flags.insert(.unsafe) }
            out.append(OutgoingFrame(interface: i, bytes: EthernetFrame.encode(
                destination: target, source: net.mac, control: FragmentControl(type: .data), flip: copy, data: data)))
        }
        emit(out)
    }

    /// How many locations we know for `address`, and how many are trusted,
    /// as a HEREIS trailer counts them (an address of ours counts once).
    func counts(for address: FLIPAddress, excluding: Int?) -> HereIsTrailer {
        if isLocal(address) { return HereIsTrailer(count: 1, trustedCount: 1) }
        let live = routes.live(address, excluding: excluding, now: now)
        let trusted = live.filter { $0.trusted }.count
        return HereIsTrailer(count: UInt16(min(max(live.count, 1), 0xFFFF)),
                             trustedCount: UInt16(min(trusted, 0xFFFF)))
    }

    /// The frame's source claims to live where the frame came from. Amoeba
    /// forgets every other route of a LOCATE's source first; we do not, as
    /// the frame may be a stranger's: a new place is a candidate until the
    /// address answers a probe from there.
    func learnSource(_ h: FLIPHeader, _ a: Arrival) {
        guard !h.source.isNull, !isLocal(h.source) else { return }
        hear(h.source, a, hops: max(h.actualHops, 1), trusted: !h.flags.contains(.unsafe))   // FLIPBox+CommonFrame.swift
        routeBecameKnown(h.source)
    }

    // MARK: Handlers

    func handleLocate(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival) {
        statistics.locatesReceived += 1
        guard !h.source.isNull, !h.destination.isNull else {
            statistics.drop(.nullAddress)
            return
        }
        if broadcasts.checkAndInsert(BroadcastKey(source: h.source, messageID: h.messageID, offset: h.offset)) {
            statistics.drop(.duplicateBroadcast)
            return
        }
        learnSource(h, a)
        let ours = isLocal(h.destination) || !localMembers(of: h.destination).isEmpty
        if ours {
            var answer = h
            answer.type = FLIPPacketType.hereIs.rawValue
            answer.maximumHops = h.actualHops
            answer.length = h.length &+ UInt32(HereIsTrailer.size)
            answer.total = h.total &+ UInt32(HereIsTrailer.size)
            statistics.hereIsSent += 1
            // The trailer goes after whatever the LOCATE carried.
            reverse(answer, data: (Array(data) + HereIsTrailer(count: 1, trustedCount: 1).encoded())[...],
                    interface: a.interface,
                    location: a.location)
        } else if h.actualHops == h.maximumHops {
            // Our budget is spent exactly here: answer from the table if we can.
            let budget = configuration.maxHops >= h.actualHops ? configuration.maxHops - h.actualHops : 0
            if let r = routes.best(h.destination, budget: budget, excluding: a.interface,
                                   trustedOnly: h.flags.contains(.security), now: now) {
                var answer = h
                answer.type = FLIPPacketType.hereIs.rawValue
                answer.maximumHops = h.actualHops + r.hops
                answer.length = h.length &+ UInt32(HereIsTrailer.size)
                answer.total = h.total &+ UInt32(HereIsTrailer.size)
                statistics.hereIsSent += 1
                reverse(answer, data: (Array(data) + counts(for: h.destination, excluding: a.interface).encoded())[...],
                        interface: a.interface, location: a.location)
            }
            return
        }
        if h.actualHops < h.maximumHops {
            if !ours {
                // Someone searches further than we are: do not trust what we knew.
                // An explicit invalidation (a budget beyond the maximum,
                // FLIP_INVAL) stops every route, as Amoeba wipes them; an
                // ordinary wider search spares routes that still answer.
                // Either way they stay as candidates (a stranger's next
                // claim finds them there), and our next send locates.
                if h.maximumHops > configuration.maxHops {
                    statistics.routesInvalidated += routes.demote(h.destination)
                } else {
                    statistics.routesInvalidated += routes.demoteSilent(h.destination, now: now)
                }
                relayedLocates.record(h, from: a.interface, now: now)
            }
            statistics.broadcastsForwarded += 1
            flood(h, data: data, except: a.interface, to: .broadcast)
        }
    }

    func handleHereIs(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival) {
        statistics.hereIsReceived += 1
        guard !h.source.isNull, !h.destination.isNull else {
            statistics.drop(.nullAddress)
            return
        }
        let trailer: HereIsTrailer
        do { trailer = try HereIsTrailer.decode(data, order: a.order) } catch {
            statistics.drop(.badHereIs)
            return
        }
        guard h.length == UInt32(HereIsTrailer.size) else {
            statistics.drop(.badHereIs)
            return
        }
        let trusted = trailer.trustedCount > 0 && !h.flags.contains(.unsafe)
        let ours = isLocal(h.source)
        var proven = false
        if !isLocal(h.destination) {
            let hops = max(h.maximumHops - h.actualHops, 1)
            let started = ours ? locator.answered(h)
                : relayedLocates.answered(h, on: a.interface, now: now, window: configuration.locateTimeout)
            if let started {
                proven = true
                statistics.routesProven += 1
                if routes.prove(h.destination, interface: a.interface, location: a.location, hops: hops,
                                trusted: trusted, now: now, locateStarted: started) {
                    statistics.routesLearned += 1
                }
            } else {
                // Not an answer to a LOCATE we know of: a claim like any other.
                claim(h.destination, a, hops: hops, trusted: trusted, replace: true)
            }
        }
        if ours {
            routeBecameKnown(h.destination, proven: proven)
            return
        }
        guard let back = routes.best(h.source, budget: h.actualHops, excluding: a.interface,
                                     trustedOnly: h.flags.contains(.security), now: now) else {
            statistics.drop(.noRoute)
            return
        }
        statistics.hereIsSent += 1
        reverse(h, data: counts(for: h.destination, excluding: back.interface).encoded()[...],
                interface: back.interface, location: back.location)
    }

    func handleUnidata(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival) {
        learnSource(h, a)
        let local = localEndpoints(listeningOn: h.destination)
        if !local.isEmpty {
            accept(h, data: data, for: local, multicast: false)
            return
        }
        let budget = h.maximumHops - h.actualHops
        let secure = h.flags.contains(.security)
        if let r = routes.best(h.destination, budget: budget, excluding: a.interface, trustedOnly: secure, now: now) {
            statistics.unidataForwarded += 1
            forward(h, data: data, via: r)
            return
        }
        if h.source.isNull {
            statistics.drop(.noRoute)
            return
        }
        var back = h
        if secure, routes.best(h.destination, budget: budget, excluding: a.interface, now: now) != nil {
            back.type = FLIPPacketType.untrusted.rawValue
            back.flags.insert(.unreachable)
            statistics.untrustedSent += 1
        } else {
            back.type = FLIPPacketType.notHere.rawValue
            statistics.notHereSent += 1
        }
        reverse(back, data: data, interface: a.interface, location: a.location)
    }

    func handleMultidata(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival) {
        if broadcasts.checkAndInsert(BroadcastKey(source: h.source, messageID: h.messageID, offset: h.offset)) {
            statistics.drop(.duplicateBroadcast)
            return
        }
        if h.offset == 0 { learnSource(h, a) }
        let members = localMembers(of: h.destination).filter { endpoints.publicAddress(of: $0.rawValue) != h.source }
        if !members.isEmpty { accept(h, data: data, for: members, multicast: true) }
        if h.actualHops < h.maximumHops {
            statistics.multidataForwarded += 1
            flood(h, data: data, except: a.interface,
                  to: h.destination.isNull ? .broadcast : .multicast(for: h.destination))
        }
    }

    func handleNotHere(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival) {
        statistics.notHereReceived += 1
        guard !h.source.isNull, !h.destination.isNull else {
            statistics.drop(.nullAddress)
            return
        }
        // The route stays as a candidate: the NOTHERE may be a stranger's.
        statistics.routesInvalidated += routes.demote(h.destination, interface: a.interface, location: a.location)
        bounce(h, data: data, a, reason: .notHere)
    }

    func handleUntrusted(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival) {
        statistics.untrustedReceived += 1
        guard !h.source.isNull, !h.destination.isNull else {
            statistics.drop(.nullAddress)
            return
        }
        // The route works, but not over trusted networks only.
        claim(h.destination, a, hops: max(h.actualHops, 1), trusted: false)
        bounce(h, data: data, a, reason: .unreachable)
    }

    /// A NOTHERE or UNTRUSTED: retry by another route, tell the local
    /// sender, or pass it back toward the source.
    func bounce(_ h: FLIPHeader, data: ArraySlice<UInt8>, _ a: Arrival, reason: FLIPUndeliverableReason) {
        let secure = h.flags.contains(.security) || reason == .unreachable
        let local = localEndpoints(listeningOn: h.source)
        if !local.isEmpty {
            let key = BroadcastKey(source: h.destination, messageID: h.messageID, offset: 0)
            if reported.contains(key) { return }
            reported.append(key)
            if reported.count > configuration.reportMemory { reported.removeFirst() }
            for e in local {
                events.append(.undeliverable(endpoint: e, destination: h.destination, messageID: h.messageID,
                                             reason: reason))
            }
            return
        }
        let budget = h.maximumHops - h.actualHops
        if let r = routes.best(h.destination, budget: budget, excluding: a.interface, trustedOnly: secure, now: now) {
            var again = h
            again.type = FLIPPacketType.unidata.rawValue
            statistics.unidataForwarded += 1
            forward(again, data: data, via: r)
            return
        }
        guard let back = routes.best(h.source, budget: h.actualHops, excluding: a.interface, now: now) else {
            statistics.drop(.noRoute)
            return
        }
        if reason == .notHere { statistics.notHereSent += 1 } else { statistics.untrustedSent += 1 }
        reverse(h, data: data, interface: back.interface, location: back.location)
    }

    /// A fragment for local endpoints: reassemble, and deliver when whole.
    func accept(_ h: FLIPHeader, data: ArraySlice<UInt8>, for receivers: some Sequence<EndpointID>, multicast: Bool) {
        // The usual case first, with nothing half reassembled: a message in
        // one frame, delivered as a view of it (what `reassembler.add`
        // answers nil for, without building its key).
        if h.offset == 0, UInt64(h.total) == UInt64(data.count), reassembler.partial.isEmpty,
           data.count <= reassembler.maxMessageSize {
            for e in receivers {
                deliver(FLIPDelivery(endpoint: e, source: h.source, destination: h.destination, payload: data,
                                     isMulticast: multicast))
            }
            statistics.reassembliesActive = 0
            return
        }
        let key = ReassemblyKey(source: h.source, destination: h.destination, messageID: h.messageID,
                                isMulticast: multicast)
        let before = reassembler.partial.count
        // A unicast message of several fragments is laid out as its
        // receiver takes it (Reassembly.swift); only a fragment that may
        // start one asks how.
        var split = 0
        if !multicast, h.length < h.total, let first = receivers.first(where: { _ in true }) {
            split = endpoints.headSize(of: first.rawValue)
        }
        var head: [UInt8] = []
        guard let outcome = reassembler.add(key, offset: h.offset, total: h.total, fragment: data, split: split,
                                            head: &head, now: now) else {
            // The message is this one frame: delivered as a view of it.
            for e in receivers {
                deliver(FLIPDelivery(endpoint: e, source: h.source, destination: h.destination, payload: data,
                                     isMulticast: multicast))
            }
            statistics.reassembliesActive = reassembler.partial.count
            return
        }
        switch outcome {
        case .complete(let message) where !head.isEmpty:
            // Kept split: `message` is what follows the head.
            for e in receivers {
                var d = FLIPDelivery(endpoint: e, source: h.source, destination: h.destination,
                                     message: head, isMulticast: multicast, wasFragmented: true)
                // Another endpoint on the same address may not take it split.
                if endpoints.headSize(of: e.rawValue) == head.count { d.body = message } else { d.message = head + message }
                deliver(d)
            }
        case .complete(let message):
            // The fragment that completes a message of several is shorter
            // than the whole; a message in one frame is all there is.
            let fragmented = h.length < h.total
            for e in receivers {
                deliver(FLIPDelivery(endpoint: e, source: h.source, destination: h.destination,
                                     message: message, isMulticast: multicast, wasFragmented: fragmented))
            }
        case .incomplete:
            if reassembler.partial.count > before { statistics.reassembliesStarted += 1 }
        case .refused(let reason):
            statistics.drop(reason)
        }
        statistics.reassembliesActive = reassembler.partial.count
    }
}
