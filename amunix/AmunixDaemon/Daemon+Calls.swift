// How the loop routes calls between programs, the node body and the host's
// own servers.
//
// A program's trans becomes a transaction owned by (connection, call), so
// its completion goes back to the program's call number; a program's
// getreq becomes a server slot, so several threads waiting on one port are
// several slots, and a request that finds every slot busy is held or
// refused by the RPC layer exactly as in Amoeba. When a program
// disconnects the node abandons what it owned, so nothing it left behind
// hangs a remote client: its waiting slots are withdrawn and every request
// it was serving is answered with RPC_FAILURE.

import AmoebaCore
import Amunix
import FLIP
import Node
import RPC

/// Who waits for a transaction's result or a server slot's request.
enum DaemonOwner: Equatable {
    /// A program's call on its local connection.
    case program(connection: Int, call: UInt32)
    /// One of the host's own servers.
    case hosted(HostedKind)

    var connection: Int? {
        if case .program(let c, _) = self { return c }
        return nil
    }
}

extension Daemon {
    func handleLocal(_ message: LocalMessage, from conn: LocalConnection, now: Instant) {
        switch message {
        case .trans(let call, let timeout, let header, let data):
            if draining {
                local.send(.reply(call: call, status: .rpcAborted, header: Header(), data: []), to: conn)
                return
            }
            // One program may hold a quarter of the state table in
            // transactions; more fail at once (STD_NOSPACE), and only for it.
            guard conn.transactionsInFlight < node.maxStates / 4 else {
                local.send(.reply(call: call, status: .noSpace, header: Header(), data: []), to: conn)
                return
            }
            conn.transactionsInFlight += 1
            metrics.transactionStarted()
            let deadline: Instant? = timeout == 0 ? nil : now + .milliseconds(Int64(timeout))
            node.trans(RPCMessage(header: header, data: data), owner: .program(connection: conn.id, call: call),
                       deadline: deadline, now: now)
        case .getreq(let call, let port):
            // The last states are kept for the host's own servers, so a
            // program holding thousands of getreqs cannot silence them.
            guard node.serverSlotsInUse < node.maxStates - Daemon.statesKeptForHostServers,
                  node.getreq(port: port, owner: .program(connection: conn.id, call: call)) != nil else {
                local.send(.done(call: call, status: .rpcFailure), to: conn)
                return
            }
        case .putrep(let call, let header, let data):
            let key = ConnectionCall(connection: conn.id, call: call)
            guard let slot = serving.removeValue(forKey: key) else {
                logger.debug("putrep for call \(call) that holds no request: ignored")
                return
            }
            node.putrep(slot, RPCMessage(header: header, data: data), now: now)
        case .cancel(let call):
            let mine = DaemonOwner.program(connection: conn.id, call: call)
            for _ in node.cancelGetreqs(where: { $0 == mine }) {
                local.send(.done(call: call, status: .rpcAborted), to: conn)
            }
        case .group(let call, let g):
            handleGroup(call, g, from: conn, now: now)
        case .reply, .request, .done, .groupAnswer:
            logger.warning("program on connection \(conn.id) sent a daemon-only message: ignored")
        }
    }

    func transactionCompleted(_ owner: DaemonOwner, _ result: Result<RPCMessage, ErrorCode>) {
        metrics.transactionFinished(result)
        guard case .program(let connection, let call) = owner,
              let conn = local.connections[connection] else { return }
        conn.transactionsInFlight -= 1
        switch result {
        case .success(let m):
            local.send(.reply(call: call, status: .ok, header: m.header, data: m.data), to: conn)
        case .failure(let code):
            local.send(.reply(call: call, status: code, header: Header(), data: []), to: conn)
        }
    }

    func requestArrived(_ owner: DaemonOwner, _ slot: ServerSlotID, _ request: RPCMessage, now: Instant) {
        switch owner {
        case .hosted(let kind):
            let object = hostServers.object(kind)
            let reply = hostServers.handle(request, for: object, statistics: { statusText(now: now) },
                                           wallClock: systemWallClock, random: &random)
            node.putrep(slot, reply, now: now)
            listen(for: kind)
        case .program(let connection, let call):
            guard let conn = local.connections[connection] else {
                // Nobody is left to answer: say so rather than go silent.
                var h = Header()
                h.status = .rpcFailure
                node.putrep(slot, RPCMessage(header: h), now: now)
                return
            }
            serving[ConnectionCall(connection: connection, call: call)] = slot
            local.send(.request(call: call, header: request.header, data: request.data), to: conn)
        }
    }

    /// States a program's getreq may not take.
    static let statesKeptForHostServers = 64

    /// One more slot listening for a host server. If the table is full the
    /// slot is owed and retried on every turn of the loop until it is
    /// opened: a host server never stops listening for good.
    func listen(for kind: HostedKind) {
        guard node.getreq(port: hostServers.object(kind).getPort, owner: .hosted(kind)) != nil else {
            if listensOwed.isEmpty {
                logger.error("no RPC state left for the \(kind.rawValue) server: retrying")
            }
            listensOwed.append(kind)
            metrics.listenRetried()
            return
        }
    }

    /// Opens the slots `listen` could not; stops at the first refusal.
    func retryOwedListens() {
        while let kind = listensOwed.first {
            guard node.getreq(port: hostServers.object(kind).getPort, owner: .hosted(kind)) != nil else { return }
            listensOwed.removeFirst()
            if listensOwed.isEmpty { logger.info("host servers listening again") }
        }
    }

    /// Forgets a program that went away, leaving no remote client hanging.
    func drop(_ conn: LocalConnection) {
        local.close(conn)
        metrics.connectionClosed()
        for key in serving.keys where key.connection == conn.id { serving[key] = nil }
        let now = MonotonicClock.now
        node.abandon(where: { $0.connection == conn.id }, now: now)
        dropGroups(of: conn.id, now: now)
        pump(now: now)
    }
}
