// fuzz-modules: AmoebaCore FLIP RPC Group Node
// The node body as a whole: arbitrary frames on either of its two
// interfaces, interleaved with trans, getreq, putrep, cancelled getreqs,
// abandoned owners and time moving on, all as the input says. Nothing may
// trap, and the bookkeeping must hold: an owner hears about a transaction
// at most once and only while it waits, a request goes only to a slot's
// waiting owner, every frame sent decodes, and once every owner has gone
// and time has run on, nothing is left in flight.
//
// Input: records `[op, a, b, bytes...]`. op & 7 picks the action:
//   0 frame: a * 4 bytes follow; op bit 3 picks the interface
//   1 trans: a picks the port (served, unknown, null), b the deadline
//   2 getreq on the served port (a & 1: on an unknown port)
//   3 putrep to the (a % count)th request held, b bytes of reply data
//   4 time: advance a * 10 ms, then tick
//   5 cancel the getreqs of owners with owner % 4 == a % 4
//   6 abandon owners with owner % 4 == a % 4
//   7 drain the outputs
// Owners are numbered as they are made.

private let clientPrivate = FLIPAddress(hex: "1111111111111100")!
private let serverPrivate = FLIPAddress(hex: "2222222222222200")!
private let servedGetPort = Port(hex: "010203040506")!
private let unknownPort = Port(hex: "0a0b0c0d0e0f")!
private let servedPutPort = servedGetPort.putPort

private final class Run {
    let node: Node<Int>
    let interfaces: [InterfaceID]
    var now = Instant(microseconds: 1_000_000)
    var nextOwner = 1
    /// Transactions whose owner still waits: nothing else may complete.
    var waitingTransactions: Set<Int> = []
    /// Slots with a waiting owner, and requests held by their owner.
    var waitingSlots: [Int: ServerSlotID] = [:]
    var held: [(owner: Int, slot: ServerSlotID)] = []
    var outputs: [NodeOutput<Int>] = []

    init() {
        var c = NodeConfiguration()
        c.flip.maxMessageSize = 64 * 1024
        c.flip.maxReassemblies = 8
        c.rpc.locateTimeout = .seconds(1)
        c.rpc.crashTimeout = .seconds(2)
        c.rpc.enquireInterval = .milliseconds(300)
        c.rpc.serveTimeout = .milliseconds(200)
        c.rpc.maxStates = 32
        c.rpc.pendingRequestLimit = 4
        // Small tables: each input builds a fresh node, and these are what
        // it allocates.
        c.rpc.ledgerKernels = 4
        c.rpc.ledgerWindow = 256
        c.rpc.ledgerSummaries = 4
        c.rpc.portCacheSize = 8
        c.flip.broadcastMemory = 64
        c.flip.maxRoutedAddresses = 64
        c.flip.maxPeers = 16
        c.flip.reportMemory = 16
        node = Node(configuration: c, clientKid: FLIPAddress(hex: "3333333333333300")!, clientAddress: clientPrivate,
                    serverKid: FLIPAddress(hex: "4444444444444400")!, serverAddress: serverPrivate)
        interfaces = [node.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!),
                      node.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)]
    }

    func owner() -> Int {
        defer { nextOwner += 1 }
        return nextOwner
    }

    func drain() {
        node.takeOutputs(into: &outputs)
        for o in outputs {
            switch o {
            case .transmit(_, let frame):
                if (try? EthernetFrame.decode(frame)) == nil { fatalError("node: sent an undecodable frame") }
            case .transactionCompleted(let owner, _):
                if waitingTransactions.remove(owner) == nil {
                    fatalError("node: a transaction completed for an owner not waiting on one")
                }
            case .requestArrived(let owner, let slot, _):
                guard let s = waitingSlots.removeValue(forKey: owner) else {
                    fatalError("node: a request went to an owner not waiting in getreq")
                }
                if s != slot { fatalError("node: a request arrived on another slot than its owner's") }
                held.append((owner, slot))
            case .upperLayerReady:
                fatalError("node: an upper layer reported, but there is none")
            }
        }
    }

    func forget(where matches: (Int) -> Bool) {
        waitingTransactions = waitingTransactions.filter { !matches($0) }
        waitingSlots = waitingSlots.filter { !matches($0.key) }
        held.removeAll { matches($0.owner) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let run = Run()
    let node = run.node
    var i = 0
    func byte() -> UInt8 {
        guard i < bytes.count else { return 0 }
        defer { i += 1 }
        return bytes[i]
    }
    while i < bytes.count {
        let op = byte()
        let a = byte()
        let b = byte()
        switch op & 7 {
        case 0:
            let end = min(i + Int(a) * 4, bytes.count)
            let frame = Array(bytes[i..<end])
            i = end
            node.receive(frame: frame, on: run.interfaces[Int(op >> 3) & 1], now: run.now)
        case 1:
            let port: Port = [servedPutPort, unknownPort, .null][Int(a) % 3]
            let owner = run.owner()
            let deadline: Instant? = b == 0 ? nil : run.now + .milliseconds(Int64(b) * 10)
            node.trans(RPCMessage(header: Header(port: port, command: 1), data: [UInt8](repeating: a, count: Int(b))),
                       owner: owner, deadline: deadline, now: run.now)
            run.waitingTransactions.insert(owner)
        case 2:
            let owner = run.owner()
            if let slot = node.getreq(port: a & 1 == 0 ? servedGetPort : unknownPort, owner: owner) {
                run.waitingSlots[owner] = slot
            }
        case 3:
            guard !run.held.isEmpty else { break }
            let k = Int(a) % run.held.count
            let r = run.held.remove(at: k)
            var h = Header()
            h.status = .ok
            node.putrep(r.slot, RPCMessage(header: h, data: [UInt8](repeating: b, count: Int(b) * 8)), now: run.now)
        case 4:
            run.now = run.now + .milliseconds(Int64(a) * 10)
            node.tick(now: run.now)
        case 5:
            let pick = Int(a) % 4
            let before = run.waitingSlots.keys.filter { $0 % 4 == pick }.sorted()
            let withdrawn = node.cancelGetreqs(where: { $0 % 4 == pick })
            // Only waiting slots are withdrawn, and all of them.
            if withdrawn.sorted() != before { fatalError("node: cancelGetreqs withdrew the wrong owners") }
            for o in withdrawn { run.waitingSlots[o] = nil }
        case 6:
            let pick = Int(a) % 4
            node.abandon(where: { $0 % 4 == pick }, now: run.now)
            run.forget(where: { $0 % 4 == pick })
        default:
            break
        }
        run.drain()
    }
    // Everyone leaves; then nothing may stay in flight for long.
    node.abandon(where: { _ in true }, now: run.now)
    run.forget(where: { _ in true })
    run.drain()
    for n in 0..<10_000 {
        if n % 64 == 63 {
            let s = node.statistics
            if s.clientStates == 0 && s.serverStates == 0 && s.transactionsInFlight == 0 { break }
        }
        guard let d = node.nextDeadline, d < run.now + .seconds(600) else { break }
        if run.now < d { run.now = d }
        node.tick(now: run.now)
        run.drain()
    }
    let s = node.statistics
    if s.transactionsInFlight != 0 || s.slotsWaiting != 0 || s.requestsBeingServed != 0 {
        fatalError("node: an owner's work outlived its owner")
    }
    if s.clientStates != 0 || s.serverStates != 0 {
        fatalError("node: RPC state left after every owner went and time ran on")
    }
    return 0
}
