// How the loop routes calls between programs, the RPC node and the host's
// own servers.
//
// A program's trans becomes an RPC transaction whose completion goes back
// to the program's call number; a program's getreq becomes an RPC server
// slot, so several threads waiting on one port are several slots, and a
// request that finds every slot busy is held or refused by the RPC layer
// exactly as in Amoeba. When a program disconnects, nothing it left behind
// may hang a remote client: its waiting slots are withdrawn and every
// request it was serving is answered with RPC_FAILURE.

import AmoebaCore
import Amunix
import FLIP
import RPC

extension Daemon {
    func handleLocal(_ message: LocalMessage, from conn: LocalConnection, now: Instant) {
        switch message {
        case .trans(let call, let timeout, let header, let data):
            if draining {
                local.send(.reply(call: call, status: .rpcAborted, header: Header(), data: []), to: conn)
                return
            }
            metrics.transactionStarted()
            let id = rpc.trans(RPCMessage(header: header, data: data), now: now)
            let deadline: Instant? = timeout == 0 ? nil : now + .milliseconds(Int64(timeout))
            transactions[id] = (conn.id, call, deadline)
        case .getreq(let call, let port):
            guard let slot = serverRPC.getreq(port: port) else {
                local.send(.done(call: call, status: .rpcFailure), to: conn)
                return
            }
            slotOwners[slot] = .program(connection: conn.id, call: call)
        case .putrep(let call, let header, let data):
            let key = ConnectionCall(connection: conn.id, call: call)
            guard let slot = serving.removeValue(forKey: key) else {
                logger.debug("putrep for call \(call) that holds no request: ignored")
                return
            }
            repliesInFlight += 1
            serverRPC.putrep(slot, RPCMessage(header: header, data: data), now: now)
        case .cancel(let call):
            for (slot, owner) in slotOwners where owner == .program(connection: conn.id, call: call) {
                serverRPC.cancelGetreq(slot)
                slotOwners[slot] = nil
                local.send(.done(call: call, status: .rpcAborted), to: conn)
            }
        case .reply, .request, .done:
            logger.warning("program on connection \(conn.id) sent a daemon-only message: ignored")
        }
    }

    func handleRPC(_ event: RPCEvent, now: Instant) {
        switch event {
        case .transactionCompleted(let id, let result):
            guard let t = transactions.removeValue(forKey: id) else { return }
            metrics.transactionFinished(result)
            guard let conn = local.connections[t.connection] else { return }
            switch result {
            case .success(let m):
                local.send(.reply(call: t.call, status: .ok, header: m.header, data: m.data), to: conn)
            case .failure(let code):
                local.send(.reply(call: t.call, status: code, header: Header(), data: []), to: conn)
            }
        case .requestArrived(let slot, let request):
            guard let owner = slotOwners[slot] else {
                // Nobody is left to answer: say so rather than go silent.
                repliesInFlight += 1
                var h = Header()
                h.status = .rpcFailure
                serverRPC.putrep(slot, RPCMessage(header: h), now: now)
                return
            }
            switch owner {
            case .hosted(let kind):
                slotOwners[slot] = nil
                let object = hostServers.object(kind)
                let reply = hostServers.handle(request, for: object, statistics: { statusText(now: now) },
                                               wallClock: systemWallClock, random: &random)
                repliesInFlight += 1
                serverRPC.putrep(slot, reply, now: now)
                listen(for: kind)
            case .program(let connection, let call):
                slotOwners[slot] = nil
                guard let conn = local.connections[connection] else {
                    repliesInFlight += 1
                    var h = Header()
                    h.status = .rpcFailure
                    serverRPC.putrep(slot, RPCMessage(header: h), now: now)
                    return
                }
                serving[ConnectionCall(connection: connection, call: call)] = slot
                local.send(.request(call: call, header: request.header, data: request.data), to: conn)
            }
        case .replyCompleted(let slot, let status):
            repliesInFlight = max(0, repliesInFlight - 1)
            if status != .ok { logger.debug("reply on slot \(slot.rawValue) not acknowledged: \(status.name)") }
        }
    }

    func listen(for kind: HostedKind) {
        guard let slot = serverRPC.getreq(port: hostServers.object(kind).getPort) else {
            logger.error("no RPC state left for the \(kind.rawValue) server")
            return
        }
        slotOwners[slot] = .hosted(kind)
    }

    /// Transactions past their program's timeout fail now; if the RPC layer
    /// finishes them later, the late result is dropped.
    func expireTransactions(now: Instant) {
        var expired: [TransactionID] = []
        for (id, t) in transactions { if let d = t.deadline, d <= now { expired.append(id) } }
        for id in expired {
            guard let t = transactions.removeValue(forKey: id) else { continue }
            metrics.transactionFinished(.failure(.rpcFailure))
            if let conn = local.connections[t.connection] {
                local.send(.reply(call: t.call, status: .rpcFailure, header: Header(), data: []), to: conn)
            }
        }
    }

    /// Forgets a program that went away, leaving no remote client hanging.
    func drop(_ conn: LocalConnection) {
        local.close(conn)
        metrics.connectionClosed()
        for (slot, owner) in slotOwners {
            if case .program(let c, _) = owner, c == conn.id {
                serverRPC.cancelGetreq(slot)
                slotOwners[slot] = nil
            }
        }
        let now = MonotonicClock.now
        for (key, slot) in serving where key.connection == conn.id {
            serving[key] = nil
            repliesInFlight += 1
            var h = Header()
            h.status = .rpcFailure
            serverRPC.putrep(slot, RPCMessage(header: h), now: now)
        }
        for (id, t) in transactions where t.connection == conn.id {
            // The transaction runs to its end in the RPC layer (it cannot be
            // recalled from the network); its result has nobody to go to.
            transactions[id] = nil
        }
        pump(now: now)
    }
}
