// One RPC machine: what Amoeba keeps per process in its FLIP RPC layer.
//
// It owns one FLIP endpoint (the process's address) and a table of protocol
// states indexed by the amp header's 16-bit dest/from: client transactions
// and server slots share the index space. Sans-I/O: the driver calls
// `trans`/`getreq`/`putrep`, feeds FLIP events to `handle` and time to
// `tick`, and drains `takeEvents()`; the node sends through its FLIP box.

import AmoebaCore
import FLIP

public struct RPCStatistics: Sendable {
    public var transactionsStarted = 0
    public var transactionsSucceeded = 0
    public var transactionsFailed = 0
    public var retransmissions = 0
    public var duplicatesRefused = 0
    public var staleReplies = 0
    /// HEREIS answers that echoed no locate of ours still out: ignored.
    public var unsolicitedHereIs = 0
    public var malformed = 0
    /// Unacknowledged putreps ended early so a getreq could listen.
    public var repliesReclaimed = 0
    /// Messages other than a LOCATE that came by broadcast or multicast.
    public var broadcastRefused = 0
    /// Queued requests failed because their port lost its last slot.
    public var orphansFailed = 0
    /// Messages received, by amp type (index = type value).
    public var received = [Int](repeating: 0, count: AmpTypeCounts.slots)
    /// Messages sent, by amp type.
    public var sent = [Int](repeating: 0, count: AmpTypeCounts.slots)
}

public final class RPCNode {
    public let kid: KernelID
    public let configuration: RPCConfiguration
    let box: FLIPBox
    /// The FLIP endpoint this machine listens on: a driver sharing the box
    /// with other users routes deliveries by it.
    public let endpoint: EndpointID
    public private(set) var address: FLIPAddress
    /// The counters; the counts by amp type are kept apart (AmpTypeCounts.swift).
    public var statistics: RPCStatistics {
        var s = counters
        s.received = receivedByType.array
        s.sent = sentByType.array
        return s
    }
    var counters = RPCStatistics()
    /// Putreps that have ended, and of those the ones whose client never
    /// acknowledged the reply (RPC_FAILURE: unreachable, or reclaimed).
    public internal(set) var replies = (ended: 0, unacknowledged: 0)
    let receivedByType = AmpTypeCounts()
    let sentByType = AmpTypeCounts()

    var clients = TimedTable<ClientCall>()
    var servers = TimedTable<ServerSlot>()
    var pending: [PendingRequest] = []
    /// Queued requests whose port has lost its last slot.
    var orphans = 0
    /// The port whose slot went last, and when (`portJustLeft`).
    var lastSlotLeft: (port: Port, at: Instant) = (.null, .zero)
    let portSlots = PortSlots()
    let serving: ServingIndex
    /// The state indices handed out and had back, a stack: the next call
    /// or slot takes the one freed last, whose table place and filed
    /// deadline are still warm (TimedTable.swift). In a block the machine
    /// alone holds (DenseBlock.swift): in an array, every index freed and
    /// taken was a write with a uniqueness check, four a transaction.
    let freeIndices = DenseBlock<UInt16>()
    private var nextIndex: UInt16 = 1
    private var nextTid: UInt32
    private var nextTransaction: UInt64 = 1
    var portCache: PortCache
    var ledger: TransactionLedger
    /// What the machine has to report, oldest first.
    @usableFromInline let events = EventQueue<RPCEvent>()
    /// Tids for port locates, unguessable by a blind sender.
    var locateTids: LocateIdentifiers
    /// Frame buffers whose messages are done ("frame buffers" below,
    /// SpareFrames.swift): reused for the next messages.
    let spareFrames = SpareFrames(limit: RPCNode.spareFrameLimit)
    private var putPorts: [Port: Port] = [:]
    private var lastPutPort: (get: Port, put: Port) = (.null, Port.null.putPort)

    /// A node listening on `privateAddress` (its public address is what
    /// clients reach). `kid` must be random per boot; `firstTid` lets a
    /// restarted node continue its tids.
    public init(box: FLIPBox, kid: KernelID, privateAddress: FLIPAddress,
                configuration: RPCConfiguration = .init(), firstTid: UInt32 = 1) {
        self.box = box
        self.kid = kid
        self.configuration = configuration
        // A long request or reply is reassembled with its data apart from
        // its headers: the data is then the message's array as it stands.
        self.endpoint = box.register(privateAddress: privateAddress, headSize: AmpHeader.size + Header.size)
        self.address = privateAddress.publicAddress
        self.nextTid = firstTid
        self.serving = ServingIndex(salt: kid.littleEndianBits ^ privateAddress.littleEndianBits)
        // One-way from the private address, tweaked to differ from the box's.
        self.locateTids = LocateIdentifiers(oneWayFrom: privateAddress.littleEndianBits ^ 0xA55A_3CC3_0FF0_6996)
        self.portCache = PortCache(capacity: configuration.portCacheSize)
        self.ledger = TransactionLedger(capacity: configuration.ledgerKernels,
                                        window: configuration.ledgerWindow,
                                        summaries: configuration.ledgerSummaries,
                                        quietTime: configuration.crashTimeout * 3)
    }

    /// Stops listening; transactions and slots in progress are abandoned.
    public func shutdown() {
        box.unregister(endpoint)
    }

    // MARK: the three calls

    /// Starts a transaction to the put-port in `request.header.port`.
    public func trans(_ request: consuming RPCMessage, now: Instant) -> TransactionID {
        let serial = nextTransaction
        nextTransaction += 1
        counters.transactionsStarted += 1
        let refused = TransactionID(serial: serial, stateIndex: 0)
        guard request.data.count <= configuration.maxDataSize else {
            complete(refused, .failure(.rpcBadAddress))
            return refused
        }
        let port = request.header.port
        guard !port.isNull else {
            complete(refused, .failure(.rpcBadPort))
            return refused
        }
        guard let index = allocateIndex() else {
            complete(refused, .failure(.rpcFailure))
            return refused
        }
        let id = TransactionID(serial: serial, stateIndex: index)
        let tid = nextTid
        nextTid &+= 1
        let server = portCache.lookup(port)
        // A request about to go out in one frame is built in a spare frame
        // buffer given to the call as it is made: stored over the call's
        // empty one when sent, the empty one was released first.
        let frame = server != nil && request.fitsOneFrame(of: box) ? takeSpareFrame() : []
        // The request moves into the call, which keeps it for resending.
        var call = ClientCall(id: id, index: index, tid: tid, request: consume request, frame: frame,
                              lastHeard: now, busyRetrials: configuration.maxRetrials, locateStarted: now,
                              locateInterval: configuration.locateInterval)
        if let server {
            call.server = server
            sendRequest(&call, now: now)
        } else {
            startLocate(&call, now: now)
        }
        clients.insert(consume call, at: index)
        return id
    }

    /// A server thread waits for a request on `getPort` (the secret port;
    /// clients address F(getPort)). nil when the state table is full of
    /// transactions, listening and serving slots. A table full of replies
    /// waiting for acknowledgement gives up the one waiting longest: a
    /// flood of requests whose clients never acknowledge (forged, or dead)
    /// must not stop a server from listening again.
    public func getreq(port getPort: Port, now: Instant? = nil) -> ServerSlotID? {
        guard !getPort.isNull, let index = allocateIndex() ?? reclaimReplyingSlot(now: now) else { return nil }
        let putPort = putPort(of: getPort)
        servers.insert(ServerSlot(index: index, getPort: getPort, putPort: putPort), at: index)
        // A slot that takes a queued request at once never listens.
        portSlots.add(putPort, listening: servePending(index, now: now) ? nil : index)
        slotCame(putPort)
        return ServerSlotID(rawValue: index)
    }

    /// Ends the putrep waiting longest for its acknowledgement (RPC_FAILURE
    /// to its owner; the client, if real, hears FAIL on its next probe) and
    /// hands back its index.
    private func reclaimReplyingSlot(now: Instant?) -> UInt16? {
        var oldest: ServerSlot?
        for (_, s) in servers {
            guard case .replying = s.phase else { continue }
            if oldest == nil || s.lastHeard < oldest!.lastHeard
                || (s.lastHeard == oldest!.lastHeard && s.index < oldest!.index) { oldest = s }
        }
        guard let victim = oldest else { return nil }
        counters.repliesReclaimed += 1
        completeReply(victim, .rpcFailure, now: now ?? victim.lastHeard)
        return freeIndices.popLast()
    }

    /// Sends the reply for the request `slot` received; `replies` counts
    /// how it ends. A slot that is not serving is ignored.
    public func putrep(_ slot: ServerSlotID, _ reply: consuming RPCMessage, now: Instant) {
        // Changed where it lies, not copied; the reply is built into the
        // slot and sent from there.
        servers.update(slot.rawValue) { (s: inout ServerSlot) -> Instant? in
            guard case .serving(let c) = s.phase else { return nil }
            let amp = AmpHeader(kid: kid, type: .reply, tid: c.tid, dest: c.slot, from: slot.rawValue)
            if reply.fitsOneFrame(of: box) {
                if s.reply.isEmpty { s.reply = takeSpareFrame() }
                reply.framed(after: amp, into: &s.reply)
            } else {
                s.reply = reply.framedHeaders(after: amp)
                s.replyData = reply.data
            }
            s.phase = .replying(c)
            s.lastHeard = now
            s.replyTimeout = replyTimeout(c.roundTrip)
            sendReply(&s, now: now)
            return s.deadline
        }
    }

    /// Withdraws a slot that is still listening. Requests queued for its
    /// port fail if no getreq for the port follows soon.
    public func cancelGetreq(_ slot: ServerSlotID, now: Instant) {
        guard let s = servers[slot.rawValue], s.phase == .listening else { return }
        servers[slot.rawValue] = nil
        freeIndices.append(slot.rawValue)
        portSlots.unlisten(slot.rawValue, s.putPort)
        portSlots.remove(s.putPort)
        slotLeft(s.putPort, now: now)
    }

    public func takeEvents() -> [RPCEvent] {
        var taken: [RPCEvent] = []
        events.drain(into: &taken)
        return taken
    }

    /// Appends the pending events to `buffer` and forgets them.
    public func takeEvents(into buffer: inout [RPCEvent]) {
        events.drain(into: &buffer)
    }

    /// Events waiting to be taken.
    @inlinable public var pendingEvents: Int { events.count }

    /// The oldest pending event, moved out (there must be one), for a driver that takes them
    /// one at a time.
    @inlinable public func takeEvent() -> RPCEvent { events.removeFirst() }

    /// Transactions in flight and server slots held.
    public var activeTransactions: Int { clients.count }
    public var activeSlots: Int { servers.count }
    /// The at-most-once ledger's size: full histories, summaries of evicted
    /// clients, and new clients it turned away for now.
    public var ledgerUsage: (histories: Int, summaries: Int, refusals: Int) {
        (ledger.historyCount, ledger.summaryCount, ledger.refusals)
    }

    // MARK: driving

    public func handle(_ event: FLIPEvent, now: Instant) {
        switch event {
        case .deliver(let d):
            guard d.endpoint == endpoint else { return }
            d.payload.withUnsafeBytes {
                receive($0, then: d.body, from: d.source, multicast: d.isMulticast, fragmented: d.wasFragmented,
                        now: now)
            }
        case .undeliverable(let ep, let destination, _, _):
            guard ep == endpoint else { return }
            clientUnreachable(destination, now: now)
        case .transmit:
            break
        }
    }

    /// A message that came whole in one unicast frame for this machine's
    /// endpoint, handed over at once by a driver that takes the common
    /// frame's delivery back from the box (`FLIPBox.receiveHandingBack`):
    /// what `handle` does with its `.deliver`, without the event. The
    /// message is `frame[range]`, read where it lies: a slice of the frame
    /// made for the call retained and released the frame, a few dozen
    /// instructions a frame for a view the caller already holds.
    // Inlined into the driver's hand-over: as a call of its own, a wrapper
    // of a few instructions cost a call and its frame for every message.
    @inlinable
    public func receive(common frame: [UInt8], at range: Range<Int>, from source: FLIPAddress, now: Instant) {
        frame.withUnsafeBytes {
            receiveWhole(UnsafeRawBufferPointer(rebasing: $0[range]), from: source, now: now)
        }
    }

    public var nextDeadline: Instant? {
        var d = earliest(clients.earliest, servers.earliest)
        if orphans > 0 { d = earliest(d, orphanDeadline) }
        return d
    }

    public func tick(now: Instant) {
        for index in clients.due(at: now) {
            guard var call = clients[index], let d = call.deadline, d <= now else { continue }
            call.deadline = nil
            if let error = clientTimeout(&call, now: now) {
                finish(call, .failure(error))
            } else {
                clients[index] = call
            }
        }
        for index in servers.due(at: now) {
            guard var slot = servers[index], let d = slot.deadline, d <= now else { continue }
            if serverTimeout(&slot, now: now) {
                completeReply(slot, .rpcFailure, now: now)
            } else {
                servers[index] = slot
            }
        }
        if orphans > 0 { failOrphans(now: now) }
    }

    // MARK: receiving

    /// `bytes` is a view of the frame (or reassembled buffer) the message
    /// came in: its headers are read in place and only the data is copied
    /// out, into the message handed up. A message reassembled from
    /// fragments comes as its headers, `bytes`, and its data, `body`, an
    /// array of its own (`register(privateAddress:headSize:)`), which is
    /// handed up as it is.
    // A raw view, good for the call: the caller keeps the frame alive.
    // `body` is consumed, so that it moves into the message handed up.
    @usableFromInline
    func receive(_ bytes: UnsafeRawBufferPointer, then body: consuming [UInt8], from source: FLIPAddress,
                 multicast: Bool, fragmented: Bool, now: Instant) {
        // Taken from here by the one call of the closure: moved, not copied.
        var held: [UInt8]? = consume body
        receive(bytes, then: { held.take() ?? [] }, from: source, multicast: multicast, fragmented: fragmented,
                now: now)
    }

    /// `receive` of a message that came whole in one unicast frame (`receive(common:)`).
    // The same body made for the common frame: with no body array to hand
    // on (or to release, when a control message leaves it unused) and no
    // multicast or fragments to consider.
    @usableFromInline
    func receiveWhole(_ bytes: UnsafeRawBufferPointer, from source: FLIPAddress, now: Instant) {
        receive(bytes, then: { [] }, from: source, multicast: false, fragmented: false, now: now)
    }

    /// `body` hands over the data that came apart from `bytes`, called
    /// only for a REQUEST or REPLY, once.
    @inline(__always)
    private func receive(_ bytes: UnsafeRawBufferPointer, then body: () -> [UInt8], from source: FLIPAddress,
                         multicast: Bool, fragmented: Bool, now: Instant) {
        var at = 0
        if multicast {
            guard bytes.count >= 4,
                  FixedOffsets.load32(bytes.baseAddress!, at: 0, .big) == BroadcastProtocol.rpc.rawValue else {
                counters.malformed += 1
                return
            }
            at = 4
        }
        guard bytes.count - at >= AmpHeader.size, let amp = AmpHeader.load(bytes.baseAddress!, at: at) else {
            counters.malformed += 1
            return
        }
        at += AmpHeader.size
        receivedByType.record(amp.type)
        if multicast, amp.type != .locate {
            // Only a port locate is broadcast. A REQUEST (or anything else)
            // sent to everyone proves nothing about who sent it and must
            // not reach the at-most-once state.
            counters.broadcastRefused += 1
            return
        }
        switch amp.type {
        case .locate:
            gotLocate(amp, from: source, now: now)
        case .hereIs:
            clientGotHereIs(amp, from: source, now: now)
        case .request:
            serverGotRequest(amp, RPCMessage.decode(bytes, at: at, then: body(), order: amp.byteOrder), from: source,
                             fragmented: fragmented, now: now)
        case .reply:
            clientGotReply(amp, RPCMessage.decode(bytes, at: at, then: body(), order: amp.byteOrder), from: source,
                           now: now)
        case .received:
            if amp.flags.contains(.reply) {
                // The server asks whether its reply arrived. Only a call
                // still waiting for it says no.
                if let call = clients[amp.dest], call.tid == amp.tid, call.server?.address == source,
                   call.phase != .locating {
                    clients[amp.dest]?.lastHeard = now
                    sendControl(.nak, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
                } else {
                    sendControl(.ack, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
                }
            } else {
                serverGotControl(amp, from: source, now: now)
            }
        case .ack, .nak:
            // Both ends use these: the dest index says whose they are.
            if clients.contains(amp.dest) {
                clientGotControl(amp, from: source, now: now)
            } else {
                serverGotControl(amp, from: source, now: now)
            }
        case .enquire:
            serverGotControl(amp, from: source, now: now)
        case .alive, .fail:
            clientGotControl(amp, from: source, now: now)
        case .forward:
            // Group forwarding is not implemented; a client waiting on this
            // transaction will time out into RPC_FAILURE.
            counters.malformed += 1
        }
    }

    /// A port is here while any slot of it is, listening or busy: a node
    /// whose every slot serves (a flooded kernel node) must still be found,
    /// or a new client of the port gives up with RPC_NOTFOUND while the
    /// server is working. A request that then finds no slot free and the
    /// queue full is NAKed ("no thread"), and its client backs off and
    /// resends. The HEREIS names a listening slot when there is one.
    private func gotLocate(_ amp: AmpHeader, from source: FLIPAddress, now: Instant) {
        guard portSlots.hasSlots(amp.port) else { return }
        var answering = portSlots.firstListening(amp.port)
        if answering == nil {
            for (index, s) in servers where s.putPort == amp.port {
                answering = index
                break
            }
        }
        guard let from = answering else { return }
        let reply = AmpHeader(port: amp.port, type: .hereIs, tid: amp.tid, dest: amp.from, from: from)
        record(sent: .hereIs)
        var frame = reply.framed()
        box.unicast(framed: &frame, from: endpoint, to: source, now: now)
    }

    // MARK: helpers

    func sendControl(_ type: AmpType, flags: AmpFlags = [], tid: UInt32, dest: UInt16, from: UInt16,
                     to address: FLIPAddress, now: Instant) {
        record(sent: type)
        let amp = AmpHeader(kid: kid, type: type, flags: flags, tid: tid, dest: dest, from: from)
        var frame = takeSpareFrame()
        amp.framed(into: &frame)
        box.unicast(framed: &frame, from: endpoint, to: address, now: now)
        // Moved: a plain `frame` is copied into the consuming parameter.
        recycle(consume frame)
    }

    // MARK: frame buffers
    //
    // Every message the machine sends is built in a buffer of its own,
    // which goes out as the frame itself (`FLIPBox.unicast(framed:)`). A
    // buffer whose message is done (a control sent, a request answered, a
    // reply acknowledged) is kept here and the next message is built in
    // it: by then the driver has usually let the frame go, so the buffer
    // is reused in place instead of a new one allocated and the old freed,
    // the largest single cost of a small message. One still held elsewhere
    // is simply replaced when reused (copy on write), so nothing a driver
    // holds ever changes. Only a few one-frame buffers are kept, so the
    // spares stay a few kilobytes.

    static let spareFrameLimit = 4
    static let spareFrameCapacity = FLIPBox.headroom + 1458 + 32

    func takeSpareFrame() -> [UInt8] {
        spareFrames.take()
    }

    @inline(__always)
    func recycle(_ frame: consuming [UInt8]) {
        guard frame.capacity <= RPCNode.spareFrameCapacity, !frame.isEmpty else { return }
        spareFrames.give(frame)
    }

    func record(sent type: AmpType) {
        sentByType.record(type)
    }

    /// Ends `call`, which is still in the table. (A reply ends its call
    /// where it lies: `clientGotReply`.) The result moves on into the
    /// event rather than being copied and its original released.
    func finish(_ call: ClientCall, _ result: consuming Result<RPCMessage, ErrorCode>) {
        clients[call.index] = nil
        recycle(call.frame)
        freeIndices.append(call.index)
        if case .failure = result, let server = call.server {
            portCache.remove(call.putPort, ifAt: server.address)
        }
        complete(call.id, result)
    }

    @inline(__always)
    func complete(_ id: TransactionID, _ result: consuming Result<RPCMessage, ErrorCode>) {
        switch result {
        case .success: counters.transactionsSucceeded += 1
        case .failure: counters.transactionsFailed += 1
        }
        events.append(.transactionCompleted(id, consume result))
    }

    @inline(__always)
    private func allocateIndex() -> UInt16? {
        if let i = freeIndices.popLast() { return i }
        guard Int(nextIndex) <= configuration.maxStates, nextIndex < UInt16.max else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }

    /// F(getPort), remembered: a server calls getreq once per request, and
    /// F is a 16-round cipher.
    // A server loops on getreq for one port: its last answer first, inlined,
    // the look-up apart.
    @inline(__always)
    private func putPort(of getPort: Port) -> Port {
        getPort == lastPutPort.get ? lastPutPort.put : lookUpPutPort(of: getPort)
    }

    @inline(never)
    private func lookUpPutPort(of getPort: Port) -> Port {
        let p: Port
        if let known = putPorts[getPort] {
            p = known
        } else {
            p = getPort.putPort
            if putPorts.count >= 64 { putPorts.removeAll() }
            putPorts[getPort] = p
        }
        lastPutPort = (getPort, p)
        return p
    }

    func milliseconds(_ t: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: t.microseconds / 1000)
    }

    func clampedMilliseconds(_ i: Interval) -> UInt16 {
        let ms = i.microseconds / 1000
        return UInt16(max(1, min(ms, 30_000)))
    }
}
