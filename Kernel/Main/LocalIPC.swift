// Local transactions: trans/getreq/putrep between threads on this node,
// with the same header and error codes as network RPC.
//
// A server thread listens on its secret get-port; clients address the
// put-port F(get-port), so knowing where to send a request does not let
// anyone receive requests. The fast path is a direct hand-off: when a
// server thread is already waiting in getreq, trans gives it the request
// and blocks, and the scheduler switches straight to the server; putrep
// wakes the client the same way. No copies beyond the message itself, no
// queueing when nobody is late. A request to a port nobody listens on
// fails at once with RPC_NOTFOUND (the network locate comes later).
import AmoebaCore
import KernelCore

final class Transaction {
    let request: Message
    var reply: Message = .status(.rpcFailure)
    let client: KThread
    var answered = false

    init(request: Message, client: KThread) {
        self.request = request
        self.client = client
    }
}

final class PortListener {
    let putPort: Port
    var idleServers: [KThread] = []
    var pending: [Transaction] = []
    init(putPort: Port) { self.putPort = putPort }
}

enum LocalIPC {
    static var byPutPort: [Port: PortListener] = [:]
    static var putPortOf: [Port: Port] = [:]   // get-port -> put-port, F computed once
    static var transactions: UInt64 = 0

    /// Server side: waits for the next request on `getPort`.
    static func getRequest(on getPort: Port) -> Transaction {
        Interrupts.withDisabled {
            let listener = listen(getPort)
            if !listener.pending.isEmpty { return listener.pending.removeFirst() }
            let me = Scheduler.current!
            me.transaction = nil
            listener.idleServers.append(me)
            while me.transaction == nil { Scheduler.block() }
            let t = me.transaction!
            me.transaction = nil
            return t
        }
    }

    /// Server side: answers a request taken with `getRequest`.
    static func putReply(_ t: Transaction, _ reply: Message) {
        Interrupts.withDisabled {
            t.reply = reply
            t.answered = true
            Scheduler.wake(t.client)
        }
    }

    /// Client side: sends `request` to the server its header's port names and waits.
    static func trans(_ request: Message) -> Message {
        Interrupts.withDisabled {
            transactions &+= 1
            guard let listener = byPutPort[request.header.port] else { return .status(.rpcNotFound) }
            let t = Transaction(request: request, client: Scheduler.current!)
            if listener.idleServers.isEmpty {
                listener.pending.append(t)
            } else {
                let server = listener.idleServers.removeFirst()
                server.transaction = t
                Scheduler.wake(server)
            }
            while !t.answered { Scheduler.block() }
            return t.reply
        }
    }

    private static func listen(_ getPort: Port) -> PortListener {
        if let put = putPortOf[getPort], let l = byPutPort[put] { return l }
        let put = getPort.putPort
        putPortOf[getPort] = put
        let l = PortListener(putPort: put)
        byPutPort[put] = l
        return l
    }

    /// Starts a thread serving `getPort` with `handler` (a kernel server).
    static func serve(_ name: String, getPort: Port, priority: Priority = Priority(process: .high),
                      _ handler: @escaping (Message) -> Message) {
        Interrupts.withDisabled { _ = listen(getPort) }
        Scheduler.spawn(name, priority: priority) {
            while true {
                let t = getRequest(on: getPort)
                putReply(t, handler(t.request))
            }
        }
    }
}
