// The client half of a transaction: trans().
//
//   locating ──HEREIS──▶ sending ──ACK──▶ awaiting reply ──REPLY──▶ done
//       │                  │  ▲                │
//       └─ timeout:        │  └─NAK─ RECEIVED? │ ENQUIRE / ALIVE
//          RPC_NOTFOUND    └─silence: RECEIVED?┘ silence: RPC_FAILURE
//
// A REPLY is accepted in either sending or awaiting (the ACK may be lost)
// and is always acknowledged, even when it is stale, so the server's putrep
// can finish. A server is declared dead when nothing has been heard from it
// for `crashTimeout`, however many probes that took; answers that show it
// alive but without our request spend only `resends`, so a large request
// under heavy loss keeps trying while the server lives. A server with no
// free thread spends `busyRetrials`: the call tries it again after a
// back-off, and after a few refusals in a row locates the port again
// (another server of it, a replica, may take the request).

import AmoebaCore
import FLIP

struct ClientCall: Timed {
    enum Phase: Equatable {
        case locating
        /// The request is out; no answer yet. `probing`: we asked RECEIVED.
        case sending(probing: Bool)
        /// The server acknowledged the request and is working on it.
        case awaitingReply
    }

    let id: TransactionID
    let index: UInt16
    let tid: UInt32
    let request: RPCMessage
    /// The request as last sent, in its frame buffer: kept so that the next
    /// copy, and after the call the next message, is built in it.
    var frame: [UInt8] = []
    var phase: Phase = .locating
    var server: ServerLocation?
    var deadline: Instant?
    /// The last sign of life from the server (or when we began to wait).
    var lastHeard: Instant
    var busyRetrials: Int
    var relocations = 0
    var resends = 0
    /// The request may have reached a server: later copies carry RETRANS.
    var mayHaveArrived = false
    /// The FLIP message id of the last copy sent, withdrawn before a resend.
    var lastMessage: UInt32?
    /// Something said the server is not there (NAK for no thread, or FLIP
    /// could not deliver): failing now means RPC_NOTFOUND.
    var refused = false
    /// "No thread" answers in a row from the server at hand.
    var naksInARow = 0

    // Locate schedule.
    /// The tids of this call's last two locate rounds and when each went
    /// out: a HEREIS is believed only if it echoes one of them.
    var locateRounds = LocateRounds()
    var locateStarted: Instant
    var locateHops: UInt16 = 1
    var locateInterval: Interval

    var putPort: Port { request.header.port }

    /// Refusals in a row after which a call looks for another server: a
    /// server that is only busy gets a few direct retries first, since a
    /// locate costs every host on the segment an answer.
    static let naksBeforeRelocating = 3
}

/// A call's last two locate rounds, held in the call: as an array they
/// were a buffer of their own, which every call, located or not (most
/// find their server in the port cache), released when it ended.
struct LocateRounds {
    private var lastTid: UInt32 = 0
    private var previousTid: UInt32 = 0
    /// When each went out, in microseconds; `Int64.min`: no such round.
    private var lastAt = Int64.min
    private var previousAt = Int64.min

    /// A round went out; the one before the last is forgotten.
    mutating func add(tid: UInt32, sentAt: Instant) {
        previousTid = lastTid
        previousAt = lastAt
        lastTid = tid
        lastAt = sentAt.microseconds
    }

    /// When the round with `tid` went out, if it is one of the two.
    func sentAt(tid: UInt32) -> Instant? {
        if previousAt != Int64.min, previousTid == tid { return Instant(microseconds: previousAt) }
        if lastAt != Int64.min, lastTid == tid { return Instant(microseconds: lastAt) }
        return nil
    }
}

extension RPCNode {
    // MARK: starting

    func startLocate(_ call: inout ClientCall, now: Instant) {
        call.phase = .locating
        call.server = nil
        call.locateStarted = now
        call.locateHops = 1
        call.locateInterval = configuration.locateInterval
        sendLocate(&call, now: now)
    }

    /// Whether the server has been silent too long to be alive.
    func serverSeemsDead(_ call: ClientCall, now: Instant) -> Bool {
        now - call.lastHeard >= configuration.crashTimeout
    }

    func sendLocate(_ call: inout ClientCall, now: Instant) {
        record(sent: .locate)
        // The tid of a locate is echoed by HEREIS. Amoeba puts a timestamp
        // there; ours is unpredictable, so that a stranger who does not see
        // our broadcasts cannot answer for a port (and draw its requests).
        // The round trip comes from when the echoed round went out.
        let tid = locateTids.next()
        call.locateRounds.add(tid: tid, sentAt: now)
        let amp = AmpHeader(port: call.putPort, type: .locate, tid: tid, dest: 0, from: call.index)
        var w = BufferWriter(reservingCapacity: 4 + AmpHeader.size)
        try! w.write(BroadcastProtocol.rpc.rawValue, .big)  // no limit: cannot fail
        try! amp.encode(into: &w)
        box.multicast(w.bytes, from: endpoint, to: .null, maxHop: call.locateHops, now: now)
        let giveUp = call.locateStarted + configuration.locateTimeout
        // A round that reaches no network (Amoeba's first, one hop, where
        // Ethernet weighs three) asks only this box's own servers, and
        // they have answered by the time the box is drained: waiting the
        // round's interval out could bring nothing more. The next round
        // goes as soon as the node is next driven (a microsecond on: the
        // call's table files a deadline only when it changes, and the
        // timer that led here may have been due at this very instant).
        // Amoeba waits here, but
        // its box is a kernel's, full of servers and with a port cache
        // every process shares; a program's own box starts empty, and
        // each run of it paid 100 ms before its first frame.
        let onlyHere = !box.reachesNetwork(within: call.locateHops)
            && box.reachesNetwork(within: configuration.maxLocateHops)
        call.deadline = min(now + (onlyHere ? .microseconds(1) : call.locateInterval), giveUp)
    }

    func sendRequest(_ call: inout ClientCall, now: Instant) {
        guard let server = call.server else { return }
        record(sent: .request)
        if call.mayHaveArrived { counters.retransmissions += 1 }
        let rtt = clampedMilliseconds(server.roundTrip)
        let amp = AmpHeader(kid: kid, port: call.putPort, type: .request,
                            flags: call.mayHaveArrived ? .retransmission : [],
                            tid: call.tid, dest: rtt, from: call.index)
        if let previous = call.lastMessage { box.cancel(messageID: previous, from: endpoint) }
        if call.request.fitsOneFrame(of: box) {
            if call.frame.isEmpty { call.frame = takeSpareFrame() }
            call.request.framed(after: amp, into: &call.frame)
            call.lastMessage = box.unicast(framed: &call.frame, from: endpoint, to: server.address, now: now)
        } else {
            var head = call.request.framedHeaders(after: amp)
            call.lastMessage = box.unicast(framed: &head, then: call.request.data[...], from: endpoint,
                                           to: server.address, now: now)
        }
        if call.phase == .locating { call.lastHeard = now }
        call.mayHaveArrived = true
        call.phase = .sending(probing: false)
        call.deadline = now + server.roundTrip + configuration.serveTimeout
    }

    // MARK: timers

    func clientTimeout(_ call: inout ClientCall, now: Instant) -> ErrorCode? {
        switch call.phase {
        case .locating:
            if now - call.locateStarted >= configuration.locateTimeout { return .rpcNotFound }
            if call.locateHops < configuration.maxLocateHops {
                call.locateHops = min(2 * call.locateHops + 1, configuration.maxLocateHops)
            } else {
                call.locateInterval = call.locateInterval * 2
            }
            sendLocate(&call, now: now)
        case .sending:
            if serverSeemsDead(call, now: now) { return call.refused ? .rpcNotFound : .rpcFailure }
            if call.refused {
                // Backed off after "no thread": try the same server again,
                // or after a few refusals in a row find a server again
                // (another server of the port, a replica, may take the
                // request; a busy host answers too, and may refuse again).
                if call.naksInARow >= ClientCall.naksBeforeRelocating {
                    call.naksInARow = 0
                    startLocate(&call, now: now)
                } else {
                    sendRequest(&call, now: now)
                }
                return nil
            }
            // Ask before resending: the request may be large.
            guard let server = call.server else { return .rpcFailure }
            sendControl(.received, flags: .request, tid: call.tid, dest: server.slot,
                        from: call.index, to: server.address, now: now)
            call.phase = .sending(probing: true)
            call.deadline = now + server.roundTrip + configuration.serveTimeout
        case .awaitingReply:
            if serverSeemsDead(call, now: now) { return .rpcFailure }
            guard let server = call.server else { return .rpcFailure }
            sendControl(.enquire, tid: call.tid, dest: server.slot, from: call.index,
                        to: server.address, now: now)
            call.deadline = now + configuration.enquireInterval
        }
        return nil
    }

    // MARK: answers from the server

    /// HEREIS for a port some of our calls are locating.
    func clientGotHereIs(_ amp: AmpHeader, from source: FLIPAddress, now: Instant) {
        // Only an answer to a locate of ours that is still out counts.
        var sentAt: Instant?
        for (_, call) in clients where call.phase == .locating && call.putPort == amp.port {
            if let at = call.locateRounds.sentAt(tid: amp.tid) { sentAt = at }
        }
        guard let sentAt else {
            counters.unsolicitedHereIs += 1
            return
        }
        var rttMs = (now - sentAt).microseconds / 1000
        if rttMs < 1 || rttMs > 1000 { rttMs = rttMs < 1 ? 1 : 1000 }
        let location = ServerLocation(address: source, slot: amp.from, roundTrip: .milliseconds(rttMs))
        portCache.install(amp.port, location)
        for index in clientIndices(locating: amp.port) {
            guard var call = clients[index] else { continue }
            call.server = location
            call.refused = false
            call.naksInARow = 0
            sendRequest(&call, now: now)
            clients[index] = call
        }
    }

    /// `message` is consumed: the reply moves on into the result, where a
    /// borrowed one was copied and its original destroyed by the caller.
    func clientGotReply(_ amp: AmpHeader, _ message: consuming RPCMessage?, from source: FLIPAddress, now: Instant) {
        // Acknowledge every reply, stale or not, so the server's putrep ends.
        sendControl(.ack, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
        // Looked at where it lies, and ended there: the call taken out of
        // the table and then ended was copied whole on the way (a call is
        // some two hundred bytes), only to be destroyed. Its frame buffer
        // is moved out for the next message.
        guard let reply = consume message else {
            // Truncated: the call waits on, as if the reply never came.
            if !isOurs(amp, from: source) { counters.staleReplies += 1 }
            return
        }
        guard let (id, frame) = clients.take(from: amp.dest, {
            (call: inout ClientCall) -> (TransactionID, [UInt8])? in
            guard call.tid == amp.tid, call.server?.address == source, call.phase != .locating else { return nil }
            var frame: [UInt8] = []
            swap(&frame, &call.frame)
            return (call.id, frame)
        }) else {
            counters.staleReplies += 1
            return
        }
        clients.discard(amp.dest)
        recycle(frame)
        freeIndices.append(amp.dest)
        complete(id, .success(reply))
    }

    /// Whether a reply that `amp` heads, from `source`, answers a call of ours.
    private func isOurs(_ amp: AmpHeader, from source: FLIPAddress) -> Bool {
        guard let call = clients[amp.dest] else { return false }
        return call.tid == amp.tid && call.server?.address == source && call.phase != .locating
    }

    func clientGotControl(_ amp: AmpHeader, from source: FLIPAddress, now: Instant) {
        guard var call = clients[amp.dest], call.tid == amp.tid,
              let server = call.server, server.address == source else { return }
        call.lastHeard = now
        switch (amp.type, call.phase) {
        case (.ack, .sending):
            call.phase = .awaitingReply
            call.server?.slot = amp.from
            call.deadline = now + configuration.enquireInterval
        case (.nak, .sending(let probing)):
            if amp.flags.contains(.request) {
                // The server is there but never got the request: resend now,
                // once per probe (a duplicated NAK must not double the load).
                guard probing else { break }
                call.resends += 1
                if call.resends > configuration.maxResends {
                    finish(call, .failure(.rpcFailure))
                    return
                }
                call.refused = false
                sendRequest(&call, now: now)
            } else {
                // No server thread was free, or no server is left there (a
                // host keeps answering for a port whose server died): back
                // off and try again; refused again and again, locate again
                // (see `clientTimeout`), and forget the cached place, or
                // every later call would be sent there.
                call.naksInARow += 1
                if call.naksInARow >= ClientCall.naksBeforeRelocating { portCache.remove(call.putPort, ifAt: source) }
                call.refused = true
                call.busyRetrials -= 1
                if call.busyRetrials <= 0 {
                    finish(call, .failure(.rpcNotFound))
                    return
                }
                call.deadline = now + busyPause(call)
            }
        case (.alive, .awaitingReply):
            break
        case (.fail, .sending), (.fail, .awaitingReply):
            portCache.remove(call.putPort, ifAt: source)
            finish(call, .failure(.rpcFailure))
            return
        default:
            break
        }
        clients[amp.dest] = call
    }

    /// The pause after a "no thread": `busyBackoff`, doubling with each
    /// refusal the call has had, up to 32 times it. A busy server answers
    /// locates, so a call that only relocated and resent at one pace would
    /// spend its retrials in half a second against a server flooded by
    /// others; doubling spreads ten refusals over about eight seconds, in
    /// which a slot frees, and puts less load on the busy server.
    func busyPause(_ call: ClientCall) -> Interval {
        let refusals = max(1, configuration.maxRetrials - call.busyRetrials)
        return configuration.busyBackoff * Int64(1 << min(refusals - 1, 5))
    }

    /// FLIP could not deliver to `address`: the server moved or died.
    func clientUnreachable(_ address: FLIPAddress, now: Instant) {
        for (index, var call) in clients where call.server?.address == address {
            portCache.remove(call.putPort, ifAt: address)
            call.refused = true
            call.relocations += 1
            if call.relocations > configuration.maxRetrials {
                finish(call, .failure(.rpcNotFound))
                continue
            }
            startLocate(&call, now: now)
            clients[index] = call
        }
    }

    private func clientIndices(locating port: Port) -> [UInt16] {
        var out = [UInt16]()
        for (index, call) in clients where call.phase == .locating && call.putPort == port {
            out.append(index)
        }
        return out
    }
}
