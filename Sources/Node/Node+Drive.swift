// Driving the node: frames and time in, outputs out, and the routing in
// between.
//
// Feeding the node hands the common frame's message to its machine at once
// and queues everything else in the box; `takeOutputs` then drains the box
// and both RPC machines until all are quiet, handing deliveries to
// the machine (or upper layer) whose endpoint they name and turning the
// machines' reports into outputs for owners. Draining follows every call,
// so a driver never routes anything itself.

import AmoebaCore
import FLIP
import RPC

extension Node {
    /// A frame arrived on `interface`. Drain with `takeOutputs` after one
    /// frame or a batch of them.
    public func receive(frame: [UInt8], on interface: InterfaceID, now time: Instant) {
        advance(to: time)
        // The common frame's message comes straight back when nothing
        // waits before it, and goes to its machine at once: a view of the
        // frame the caller holds, with no event made, moved and destroyed
        // (FLIPBox+HandBack.swift). What the machine then reports waits in
        // its queue for `route`, as after a queued delivery.
        if let d = box.receiveHandingBack(frame: frame, on: interface, now: now) { hand(d, in: frame) }
    }

    /// Hands the common frame's message to its machine (or the layers).
    // Apart from `receive`, which a driver's output handler inlines: there
    // these branches made the compiler copy each output it switches on and
    // destroy it through the generic enum's witness, not consume it. The
    // machines read the message in the frame itself, with no slice
    // of it made (a retain and a release of the frame).
    @inline(never)
    func hand(_ d: CommonDelivery, in frame: [UInt8]) {
        if d.endpoint == client.endpoint {
            clientChanged = true
            client.receive(common: frame, at: d.range, from: d.source, now: now)
        } else if d.endpoint == server.endpoint {
            serverChanged = true
            server.receive(common: frame, at: d.range, from: d.source, now: now)
        } else {
            handToLayers(d, in: frame)
        }
    }

    /// The common frame's message for an upper layer, as an event.
    // Apart from `hand`, whose machine branches then need no frame of
    // their own to build the event in (saving and restoring registers).
    @inline(never)
    func handToLayers(_ d: CommonDelivery, in frame: [UInt8]) {
        dispatch(.deliver(FLIPDelivery(endpoint: d.endpoint, source: d.source, destination: d.destination,
                                       payload: frame[d.range], isMulticast: false)))
    }

    /// The earliest time `tick` has something to do: a timer in the box,
    /// in either RPC machine or in an upper layer, or a transaction's
    /// deadline. nil when idle.
    public var nextDeadline: Instant? {
        clientChanged = false
        serverChanged = false
        var d = earliest(box.nextDeadline, earliest(client.nextDeadline, server.nextDeadline))
        d = earliest(d, transactionDeadline)
        if !layers.isEmpty { for layer in layers { d = earliest(d, layer.nextDeadline) } }
        return d
    }

    /// Runs whatever is due at `now`, and fails the transactions whose
    /// deadline has passed with RPC_FAILURE.
    public func tick(now time: Instant) {
        advance(to: time)
        clientChanged = true
        serverChanged = true
        // What already arrived is handled first: a reply that came in time
        // must not lose to its transaction's deadline.
        route()
        if let d = box.nextDeadline, d <= now { box.tick(now: now) }
        if let d = client.nextDeadline, d <= now { client.tick(now: now) }
        if let d = server.nextDeadline, d <= now { server.tick(now: now) }
        for (i, layer) in layers.enumerated() {
            if let d = layer.nextDeadline, d <= now {
                layer.tick(now: now)
                layersDriven[i] = true
            }
        }
        if let d = transactionDeadline, d <= now { expireTransactions() }
    }

    /// Everything the node has to say, oldest first, after draining the
    /// box and the machines until they are quiet.
    public func takeOutputs() -> [NodeOutput<Owner>] {
        var taken: [NodeOutput<Owner>] = []
        takeOutputs(into: &taken)
        return taken
    }

    /// As `takeOutputs()`, but into the caller's buffer: its old contents
    /// are dropped and its storage is reused for the next outputs, so a
    /// driver that keeps one buffer drains the node without allocating.
    public func takeOutputs(into buffer: inout [NodeOutput<Owner>]) {
        // Element by element: `removeAll(keepingCapacity:)` destroys through
        // the generic enum's runtime witness, several times the cost of the
        // specialised destroy each pop compiles to.
        while buffer.popLast() != nil {}
        drainOutputs { buffer.append($0) }
    }

    /// Hands `handle` everything the node has to say, oldest first, after
    /// draining the box and the machines until they are quiet; returns how
    /// many outputs it handed. Each output is moved out of the node, not
    /// copied: a driver that consumes it (`switch consume output`) passes
    /// its frame or message on with no retain and release, and keeps no
    /// buffer of its own. What the handler's own calls on the node cause
    /// waits for the next drain, as it would after `takeOutputs`.
    @discardableResult @inline(__always)
    public func drainOutputs(_ handle: (consuming NodeOutput<Owner>) -> Void) -> Int {
        // A frame alone in the box's queue with no output waiting (a null
        // transaction's request, reply and acknowledgement each are) goes
        // straight to `handle`: routing would have put it first in
        // `outputs`, only to take it out again. What the machines report
        // is routed before it is handed, and reserved for this drain, as
        // routing it with the frame would have done.
        if handing == 0, outputs.isEmpty, box.pendingEvents == 1, box.nextEventIsTransmit {
            let frame = NodeOutput<Owner>(transmitting: box.takeEvent())
            route()
            let n = outputs.count
            handing = n
            handle(consume frame)
            for _ in 0..<n {
                handing &-= 1
                handle(outputs.removeFirst())
            }
            return n &+ 1
        }
        route()
        let reserved = handing
        let n = outputs.count &- reserved
        guard n > 0 else { return 0 }
        if reserved > 0 { putBehind(reserved) }
        handing = reserved &+ n
        for _ in 0..<n {
            handing &-= 1
            handle(outputs.removeFirst())
        }
        return n
    }

    /// A handler that drains the node itself (SimNet's `flush`) is handed
    /// only what came after the batch it is part of, as with
    /// `takeOutputs`: what the outer drains still have to hand is at the
    /// front of `outputs`, and goes behind what came after it.
    @inline(never)
    func putBehind(_ reserved: Int) {
        for _ in 0..<reserved { outputs.append(outputs.removeFirst()) }
    }

    // MARK: routing

    func advance(to time: Instant) {
        if now < time { now = time }
    }

    /// Drains the box and both machines into `outputs` until all are quiet.
    // Inlined into the drains and `tick`: most drains of a turn find the
    // box and both machines quiet (the node fed nothing since the last),
    // and then cost these few loads, not the call and the loop's frame.
    @inline(__always)
    func route() {
        if box.pendingEvents == 0, client.pendingEvents == 0, server.pendingEvents == 0, layersDriven.isEmpty {
            return
        }
        routeEvents()
    }

    @inline(never)
    func routeEvents() {
        while true {
            // Each event is moved out of its machine's queue, oldest first,
            // not copied: a frame or message changes hands without being
            // retained and released on the way. A round takes the events
            // there were when it began; what handling them causes waits
            // for the next round, so reports keep their order. Only an
            // event handed to a machine or a layer can cause more: a round
            // that moved frames alone and left no reports is the last.
            var n = box.pendingEvents
            var handed = false
            while n > 0 {
                n -= 1
                if dispatch(box.takeEvent()) { handed = true }
            }
            var c = client.pendingEvents, s = server.pendingEvents
            if c + s == 0 {
                if handed { continue }
                break
            }
            while c > 0 {
                c -= 1
                report(client.takeEvent())
            }
            while s > 0 {
                s -= 1
                report(server.takeEvent())
            }
        }
        for i in layersDriven.indices where layersDriven[i] {
            layersDriven[i] = false
            if layers[i].hasOutputs { outputs.append(.upperLayerReady(NodeUpperLayerID(rawValue: i))) }
        }
    }

    /// Sends a box event where it belongs: whether it went to a machine or
    /// the layers (which may then have more to say), not to the outputs.
    /// Consumed: a frame moves on into the outputs with no copy.
    @discardableResult
    func dispatch(_ event: consuming FLIPEvent) -> Bool {
        guard let endpoint = event.endpoint else {
            if case .transmit(let interface, let frame) = consume event { outputs.append(.transmit(interface, frame)) }
            return false
        }
        if endpoint == client.endpoint {
            clientChanged = true
            client.handle(event, now: now)
        } else if endpoint == server.endpoint {
            serverChanged = true
            server.handle(event, now: now)
        } else {
            for (i, layer) in layers.enumerated() {
                layer.handle(event, now: now)
                layersDriven[i] = true
            }
        }
        return true
    }

    /// Turns a machine's report into an output for the owner, if one waits.
    func report(_ event: consuming RPCEvent) {
        switch consume event {
        case .transactionCompleted(let id, let result):
            // Missing: its owner left or its deadline passed first.
            guard let t = transactions.remove(id) else { return }
            outputs.append(.transactionCompleted(t.owner, result))
        case .requestArrived(let slot, let request):
            guard let owner = slots.startServing(slot) else {
                refuse(slot)
                return
            }
            outputs.append(.requestArrived(owner, slot, request))
        }
    }

    /// Fails every transaction whose deadline has passed, in the order they
    /// were started, and finds the next deadline.
    func expireTransactions() {
        var next: Instant?
        for t in transactions.entries {
            guard let d = t.deadline else { continue }
            if d <= now {
                _ = transactions.remove(t.id)
                outputs.append(.transactionCompleted(t.owner, .failure(.rpcFailure)))
            } else {
                next = earliest(next, d)
            }
        }
        transactionDeadline = next
    }
}

extension Node {
    /// Hands back a frame the driver is done with (a `.transmit` frame the
    /// link has copied, or a frame given to `receive`): its storage may
    /// carry a later frame of this node (FLIPBox.recycle(frame:)).
    /// Optional: a driver that never hands frames back works as before.
    public func recycle(frame: consuming [UInt8]) {
        box.recycle(frame: consume frame)
    }
}
