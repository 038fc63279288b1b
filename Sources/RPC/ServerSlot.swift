// The server half: getreq hands out a slot, a request fills it, putrep
// sends the reply and holds it until the client acknowledges.
//
//   listening ──REQUEST──▶ serving ──putrep──▶ replying ──ACK──▶ (free)
//                                                 │ silence: RECEIVED?
//                                                 │ NAK: resend reply
//
// A request that finds every slot on its port busy waits in a short queue
// (it is already "being served" for at-most-once purposes) and goes to the
// next getreq; past the queue's limit it is NAKed and the client backs off.

import AmoebaCore
import FLIP

struct ServedClient: Equatable {
    var address: FLIPAddress
    var slot: UInt16
    var tid: UInt32
    var kid: KernelID
    /// The client's round-trip estimate, which paces our reply timer.
    var roundTrip: Interval
}

struct ServerSlot: Timed {
    enum Phase: Equatable {
        case listening
        case serving(ServedClient)
        case replying(ServedClient)
    }

    let index: UInt16
    let getPort: Port
    let putPort: Port
    var phase: Phase = .listening
    /// The reply's FLIP payload, `FLIPBox.headroom` bytes into the buffer
    /// (the box sends it in place; it is kept for resending). For a reply
    /// of several frames, its headers alone, the data in `replyData`.
    var reply: [UInt8] = []
    var replyData: [UInt8] = []
    var deadline: Instant?
    /// The last sign of life from the client; silence for crashTimeout
    /// ends the putrep.
    var lastHeard = Instant.zero
    /// Doubles with each unanswered probe, so a slow or lossy path is not
    /// flooded and a long silence is covered by few probes.
    var replyTimeout = Interval(microseconds: 0)
    /// The FLIP message id of the last copy of the reply sent.
    var lastMessage: UInt32?
    var resends = 0

    var client: ServedClient? {
        switch phase {
        case .listening: return nil
        case .serving(let c), .replying(let c): return c
        }
    }
}

/// A request waiting for a server slot on its port.
struct PendingRequest {
    var client: ServedClient
    var putPort: Port
    var message: RPCMessage
    /// When its port lost its last slot (see PendingRequest+Orphans.swift).
    var orphanedAt: Instant?
    /// Held between its port's slots: when it came. Not yet in the ledger,
    /// so that a NAK, should no getreq come, leaves it new to a resend.
    var heldSince: Instant? = nil
}

extension RPCNode {
    /// Is (address, slot, tid) being served, here or in the queue? The
    /// slot serving it, or 0 while it waits in the queue.
    func isServing(_ address: FLIPAddress, slot: UInt16, tid: UInt32) -> UInt16? {
        serving.state(serving: address, slot: slot, tid: tid)
    }

    /// `fragmented`: the request came in several frames. Once it is taken
    /// the client hears ACK at once, as from Amoeba when reassembly ends:
    /// otherwise it waits out its serve timer and asks RECEIVED about a
    /// request that arrived long ago. A request in one frame gets no ACK;
    /// the reply acknowledges it. A request waiting for a slot names slot
    /// 0, as the answer to RECEIVED does: the reply will name the real one.
    func serverGotRequest(_ amp: AmpHeader, _ message: consuming RPCMessage?, from source: FLIPAddress,
                          fragmented: Bool, now: Instant) {
        let who = TransactionLedger.Client(address: source, kid: amp.kid)
        if amp.flags.contains(.retransmission) {
            if let index = isServing(source, slot: amp.from, tid: amp.tid) {
                sendControl(.ack, tid: amp.tid, dest: amp.from, from: index, to: source, now: now)
                return
            }
            switch ledger.verdictInPlace(who, tid: amp.tid) {
            case .new: break
            case .executed, .unknown:
                counters.duplicatesRefused += 1
                sendControl(.fail, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
                return
            }
        } else if ledger.verdictInPlace(who, tid: amp.tid) != .new
                    || isServing(source, slot: amp.from, tid: amp.tid) != nil {
            // A copy of a request already taken: the network duplicated it.
            // (The ledger may have let an unproven client go while its
            // request is served: the slot still knows it.)
            counters.duplicatesRefused += 1
            return
        }
        guard let message = consume message, message.data.count <= configuration.maxDataSize else {
            // Truncated or oversized: as if it never arrived.
            counters.malformed += 1
            return
        }
        guard ledger.canAdmitInPlace(who, now: now) else {
            // Remembering this client would mean forgetting one that may
            // still retransmit: not now. The client backs off and retries.
            ledger.noteRefusal()
            sendControl(.nak, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
            return
        }
        var rtMs = Int64(amp.dest)
        if rtMs <= 0 || rtMs > 30_000 { rtMs = 30_000 }
        let client = ServedClient(address: source, slot: amp.from, tid: amp.tid, kid: amp.kid,
                                  roundTrip: .milliseconds(rtMs))
        if let index = portSlots.takeListening(amp.port) {
            ledger.record(who, tid: amp.tid, now: now)
            if fragmented { sendControl(.ack, tid: amp.tid, dest: amp.from, from: index, to: source, now: now) }
            deliver(message, from: client, to: index)
        } else if hasSlots(for: amp.port), pending.count < configuration.pendingRequestLimit {
            ledger.record(who, tid: amp.tid, now: now)
            if fragmented { sendControl(.ack, tid: amp.tid, dest: amp.from, from: 0, to: source, now: now) }
            pending.append(PendingRequest(client: client, putPort: amp.port, message: message))
            serving.set(client.address, slot: client.slot, tid: client.tid, state: 0)
        } else if portJustLeft(amp.port, now: now), pending.count < configuration.pendingRequestLimit {
            if fragmented { sendControl(.ack, tid: amp.tid, dest: amp.from, from: 0, to: source, now: now) }
            hold(PendingRequest(client: client, putPort: amp.port, message: message), now: now)
        } else {
            sendControl(.nak, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
        }
    }

    func deliver(_ message: consuming RPCMessage, from client: ServedClient, to index: UInt16) {
        // Changed where it lies, not copied: the slot holds its last reply.
        // Untimed while it serves: nothing to file.
        guard servers.update(index, { (slot: inout ServerSlot) -> Instant? in
            slot.phase = .serving(client)
            slot.deadline = nil
            return nil
        }) else { return }
        serving.set(client.address, slot: client.slot, tid: client.tid, state: index)
        events.append(.requestArrived(ServerSlotID(rawValue: index), consume message))
    }

    /// A listening slot just appeared: hand it the oldest waiting request.
    /// false if none waits for its port.
    // The test inlined, the search apart: nearly always nothing is queued.
    @inline(__always)
    func servePending(_ index: UInt16, now: Instant?) -> Bool {
        pending.isEmpty ? false : serveQueued(index, now: now)
    }

    // A request held between getreqs was found admissible when it came,
    // but it enters the ledger only now: if the ledger has filled since,
    // recording it would forget a client that may still retransmit. It is
    // then refused as it would have been on arrival (NAK: the client backs
    // off and resends), unrecorded, and the slot looks further.
    @inline(never)
    private func serveQueued(_ index: UInt16, now: Instant?) -> Bool {
        guard let slot = servers[index] else { return false }
        while let i = pending.firstIndex(where: { $0.putPort == slot.putPort }) {
            let p = pending.remove(at: i)
            if p.orphanedAt != nil { orphans -= 1 }
            if let since = p.heldSince {
                let who = TransactionLedger.Client(address: p.client.address, kid: p.client.kid)
                // Judged at the time it came, as its record will be.
                guard ledger.canAdmitInPlace(who, now: since) else {
                    ledger.noteRefusal()
                    serving.remove(p.client.address, slot: p.client.slot, tid: p.client.tid)
                    sendControl(.nak, tid: p.client.tid, dest: p.client.slot, from: 0, to: p.client.address, now: now ?? since)
                    continue
                }
                ledger.record(who, tid: p.client.tid, now: since)
            }
            deliver(p.message, from: p.client, to: index)
            return true
        }
        return false
    }

    func sendReply(_ slot: inout ServerSlot, now: Instant) {
        guard case .replying(let c) = slot.phase else { return }
        record(sent: .reply)
        if let previous = slot.lastMessage { box.cancel(messageID: previous, from: endpoint) }
        if slot.replyData.isEmpty {
            slot.lastMessage = box.unicast(framed: &slot.reply, from: endpoint, to: c.address, now: now)
        } else {
            slot.lastMessage = box.unicast(framed: &slot.reply, then: slot.replyData[...], from: endpoint,
                                           to: c.address, now: now)
        }
        slot.deadline = now + slot.replyTimeout
    }

    func replyTimeout(_ clientRoundTrip: Interval) -> Interval {
        let t = clientRoundTrip * 16
        if t < configuration.minReplyTimeout { return configuration.minReplyTimeout }
        return t > configuration.maxReplyTimeout ? configuration.maxReplyTimeout : t
    }

    func serverTimeout(_ slot: inout ServerSlot, now: Instant) -> Bool {
        guard case .replying(let c) = slot.phase else {
            slot.deadline = nil
            return false
        }
        if now - slot.lastHeard >= configuration.crashTimeout { return true }
        sendControl(.received, flags: .reply, tid: c.tid, dest: c.slot, from: slot.index, to: c.address, now: now)
        // Back off, but keep a dozen or more probes inside the silence
        // that ends the putrep, so a lossy path is not mistaken for a dead one.
        let cap = Interval(microseconds: configuration.crashTimeout.microseconds / 16)
        slot.replyTimeout = min(slot.replyTimeout * 2, min(cap, configuration.maxReplyTimeout))
        slot.deadline = now + slot.replyTimeout
        return false
    }

    func serverGotControl(_ amp: AmpHeader, from source: FLIPAddress, now: Instant) {
        switch amp.type {
        case .locate:
            break
        case .received where amp.flags.contains(.request):
            // The client asks whether its request arrived.
            if let index = isServing(source, slot: amp.from, tid: amp.tid) {
                sendControl(.ack, tid: amp.tid, dest: amp.from, from: index, to: source, now: now)
            } else if ledger.verdictInPlace(.init(address: source, kid: amp.kid), tid: amp.tid) == .new {
                // The REQUEST flag tells our clients "not received" apart
                // from "no free thread"; Amoeba's ignore flags on a NAK.
                sendControl(.nak, flags: .request, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
            } else {
                sendControl(.fail, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
            }
        case .enquire:
            if let index = isServing(source, slot: amp.from, tid: amp.tid) {
                sendControl(.alive, tid: amp.tid, dest: amp.from, from: index, to: source, now: now)
            } else {
                sendControl(.fail, tid: amp.tid, dest: amp.from, from: amp.dest, to: source, now: now)
            }
        case .ack:
            // Looked at and ended where it lies, its reply buffer moved out
            // for the next message: taken out of the table first, the
            // slot was copied whole only to be destroyed.
            guard let (c, putPort, reply) = servers.take(from: amp.dest, {
                (slot: inout ServerSlot) -> (ServedClient, Port, [UInt8])? in
                guard case .replying(let c) = slot.phase,
                      c.tid == amp.tid, c.address == source, c.slot == amp.from else { return nil }
                var reply: [UInt8] = []
                swap(&reply, &slot.reply)
                return (c, slot.putPort, reply)
            }) else { return }
            // The client received at the address it claimed: its
            // at-most-once history is worth keeping.
            ledger.prove(.init(address: c.address, kid: c.kid), tid: c.tid, now: now)
            servers.discard(amp.dest)
            recycle(reply)
            slotEnded(amp.dest, putPort, c, replying: true, .ok, now: now)
        case .nak:
            // Moved out, not copied (a copy retains and releases the
            // reply it holds); put back if the answer is not for it.
            guard var slot = servers.remove(amp.dest) else { return }
            guard case .replying(let c) = slot.phase,
                  c.tid == amp.tid, c.address == source, c.slot == amp.from else {
                servers[amp.dest] = slot
                return
            }
            slot.lastHeard = now
            slot.replyTimeout = replyTimeout(c.roundTrip)
            slot.resends += 1
            if slot.resends > configuration.maxResends {
                completeReply(removed: slot, .rpcFailure, now: now)
                return
            }
            sendReply(&slot, now: now)
            servers[amp.dest] = slot
        default:
            break
        }
    }

    /// Ends the putrep of `slot`, which is still in the table.
    func completeReply(_ slot: ServerSlot, _ status: ErrorCode, now: Instant) {
        servers[slot.index] = nil
        completeReply(removed: slot, status, now: now)
    }

    /// Ends the putrep of `slot`, already taken out of the table (as a NAK
    /// past the resend limit takes it): clearing the empty place again
    /// would cost the table's deadline filing.
    func completeReply(removed slot: ServerSlot, _ status: ErrorCode, now: Instant) {
        recycle(slot.reply)
        var replying = false
        if case .replying = slot.phase { replying = true }
        slotEnded(slot.index, slot.putPort, slot.client, replying: replying, status, now: now)
    }

    /// What is left to do when the slot at `index` of `putPort`, serving
    /// `client` if any, has gone from the table, its reply buffer dealt
    /// with; `replying`: it held a reply, which ended with `status`.
    func slotEnded(_ index: UInt16, _ putPort: Port, _ client: ServedClient?, replying: Bool, _ status: ErrorCode,
                   now: Instant) {
        freeIndices.append(index)
        if replying {
            replies.ended &+= 1
            if status != .ok { replies.unacknowledged &+= 1 }
        }
        if let c = client {
            serving.remove(c.address, slot: c.slot, tid: c.tid)
        } else {
            portSlots.unlisten(index, putPort)
        }
        portSlots.remove(putPort)
        slotLeft(putPort, now: now)
    }

    func hasSlots(for putPort: Port) -> Bool {
        portSlots.hasSlots(putPort)
    }
}
