// The three calls, and what happens when their owners leave.
//
// Every transaction and every slot is booked under its owner, so results
// find their way back and an owner that goes away leaves nothing hanging:
// its waiting slots are withdrawn, each request it was serving is answered
// with RPC_FAILURE at once (the remote client need not wait out a crash
// timeout), and its transactions run on in RPC, which cannot recall them
// from the network, with their results dropped.

import AmoebaCore
import FLIP
import RPC

extension Node {
    /// Starts a transaction to the put-port in `request.header.port`. Its
    /// result comes back as `.transactionCompleted(owner, ...)`; at
    /// `deadline` (if any) it fails with RPC_FAILURE if not done before.
    public func trans(_ request: consuming RPCMessage, owner: Owner, deadline: Instant?, now time: Instant) {
        advance(to: time)
        clientChanged = true
        let id = client.trans(consume request, now: now)
        transactions.book(id, owner: owner, deadline: deadline)
        if let d = deadline { transactionDeadline = earliest(transactionDeadline, d) }
    }

    /// Opens a slot waiting for a request on `getPort` (the secret port;
    /// clients call F(getPort)). nil when the server table is full.
    public func getreq(port getPort: Port, owner: Owner) -> ServerSlotID? {
        serverChanged = true
        guard let slot = server.getreq(port: getPort, now: now) else { return nil }
        slots[slot] = .waiting(owner)
        return slot
    }

    /// Answers the request `slot` received. A slot that holds no request
    /// (never had one, answered already, or refused after its owner left)
    /// is ignored.
    public func putrep(_ slot: ServerSlotID, _ reply: consuming RPCMessage, now time: Instant) {
        advance(to: time)
        guard case .serving? = slots[slot] else { return }
        slots[slot] = nil
        repliesHanded += 1
        serverChanged = true
        server.putrep(slot, reply, now: now)
    }

    /// Withdraws the waiting slots of the owners `matches` picks and returns
    /// those owners, in slot order. Requests already being served stay.
    public func cancelGetreqs(where matches: (Owner) -> Bool) -> [Owner] {
        var withdrawn: [Owner] = []
        for slot in slots.slots(where: { if case .waiting(let o) = $0 { matches(o) } else { false } }) {
            if let s = slots.remove(slot) { withdrawn.append(s.owner) }
            serverChanged = true
            server.cancelGetreq(slot, now: now)
        }
        return withdrawn
    }

    /// The owners `matches` picks went away: their waiting slots are
    /// withdrawn, every request they were serving is answered RPC_FAILURE,
    /// and their transactions' results are dropped.
    public func abandon(where matches: (Owner) -> Bool, now time: Instant) {
        advance(to: time)
        for slot in slots.slots(where: { matches($0.owner) }) {
            switch slots.remove(slot) {
            case .waiting?:
                serverChanged = true
                server.cancelGetreq(slot, now: now)
            case .serving?: refuse(slot)
            case nil: break
            }
        }
        for t in transactions.entries where matches(t.owner) { _ = transactions.remove(t.id) }
    }

    /// Answers a request nobody here will serve, rather than go silent.
    func refuse(_ slot: ServerSlotID) {
        var h = Header()
        h.status = .rpcFailure
        repliesHanded += 1
        serverChanged = true
        server.putrep(slot, RPCMessage(header: h), now: now)
    }
}
