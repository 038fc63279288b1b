// One node body: a FLIP box, the two RPC machines on it, the upper layers
// beside them, and the record of who owns each transaction and each served
// slot. amunixd, the kernel, the simulated network and rpc_bench all drive
// this one class instead of each gluing box and RPC together themselves.
//
// Two RPC machines, because a machine does not hear its own port locates
// and a program here may call a server here: `client` runs the
// transactions this node starts, `server` the getreq slots it opens. The
// owner is whatever the driver needs to find the waiting party again (a
// program's connection and call, a kernel thread, a test's tag), so the
// class is generic over it and does nothing with it but hand it back.
//
// Sans-I/O like the machines it holds: the driver feeds frames (`receive`)
// and time (`tick`), makes the calls, and drains `takeOutputs()`. This file
// holds the state and the node's identity; the calls are in
// Node+Calls.swift, the driving and routing in Node+Drive.swift.

import AmoebaCore
import FLIP
import RPC

public final class Node<Owner> {
    public let configuration: NodeConfiguration
    public let box: FLIPBox
    let client: RPCNode
    let server: RPCNode
    var layers: [any NodeUpperLayer] = []
    /// Layers handed an event or a tick since outputs were last taken.
    var layersDriven: [Bool] = []
    /// Places of removed layers, given to the next layers added.
    var freeLayerPlaces: [Int] = []

    /// The latest time any call gave; events drained later happen then.
    var now = Instant.zero

    var transactions = TransactionBook<Owner>()
    /// No transaction deadline lies before this (nil: none has one). It may
    /// be early when that transaction finished first; the next sweep fixes it.
    var transactionDeadline: Instant?

    /// Whether each RPC machine was handed a call or an event since the
    /// driver last asked for deadlines (Node+Deadlines.swift).
    var clientChanged = true
    var serverChanged = true

    /// Slots with an owner. A slot the RPC machine still holds but that is
    /// missing here lost its owner: a request for it is refused.
    var slots = SlotTable<Owner>()
    /// Replies handed to the server machine; those it has not yet ended
    /// (`RPCNode.replies`) are in flight.
    var repliesHanded = 0

    /// What the driver has not taken yet, oldest first. A ring rather than
    /// an array: appending needs no uniqueness check, and each output is
    /// moved out to the driver once (`drainOutputs`), so a frame changes
    /// hands without a retain and a release. It keeps its storage, so a
    /// frame's trip through the node does not allocate once it has grown.
    let outputs = EventQueue<NodeOutput<Owner>>()
    /// How many of `outputs`, at its front, drains in progress still have
    /// to hand (see `drainOutputs`).
    var handing = 0

    /// A node with fresh random identities: each machine's kid (random per
    /// boot) and private FLIP address come from `random`, in that order.
    // Convenience: Embedded Swift refuses a designated initialiser of a
    // generic class that is generic itself.
    public convenience init(configuration: NodeConfiguration = .init(),
                            using random: inout some RandomNumberGenerator) {
        let clientKid = FLIPAddress.random(using: &random)
        let clientAddress = FLIPAddress.random(using: &random)
        let serverKid = FLIPAddress.random(using: &random)
        let serverAddress = FLIPAddress.random(using: &random)
        self.init(configuration: configuration, clientKid: clientKid, clientAddress: clientAddress,
                  serverKid: serverKid, serverAddress: serverAddress)
    }

    init(configuration: NodeConfiguration, clientKid: KernelID, clientAddress: FLIPAddress,
         serverKid: KernelID, serverAddress: FLIPAddress) {
        self.configuration = configuration
        box = FLIPBox(configuration: configuration.flip)
        box.seedLocateIdentifiers(oneWayFrom: Node.locateSecret(clientAddress, serverAddress))
        client = RPCNode(box: box, kid: clientKid, privateAddress: clientAddress, configuration: configuration.rpc)
        server = RPCNode(box: box, kid: serverKid, privateAddress: serverAddress, configuration: configuration.rpc)
    }

    /// The secret behind the box's LOCATE ids (a blind stranger must not
    /// guess them): the two private addresses mixed (byte i of the first
    /// with byte i+3 of the second), so that the caller's generator is drawn
    /// exactly as before; the box takes it one-way, so neither address can
    /// be read back from the ids.
    static func locateSecret(_ a: FLIPAddress, _ b: FLIPAddress) -> UInt64 {
        let rotated = b.littleEndianBits >> 24 | b.littleEndianBits << 40
        return a.littleEndianBits ^ rotated ^ 0x5A5A_5A5A_5A5A_5A5A
    }

    /// Adds a network interface. `weight` is the hop cost of its network
    /// (3 for Ethernet); a trusted network may carry secure traffic.
    @discardableResult
    public func addInterface(mac: EthernetAddress, weight: UInt16 = 3, trusted: Bool = false) -> InterfaceID {
        box.addInterface(mac: mac, weight: weight, trusted: trusted)
    }

    /// Puts `layer` beside RPC on the box. The node holds it until it is
    /// removed or the node shuts down.
    @discardableResult
    public func add(upperLayer layer: some NodeUpperLayer) -> NodeUpperLayerID {
        if let i = freeLayerPlaces.popLast() {
            layers[i] = layer
            layersDriven[i] = false
            return NodeUpperLayerID(rawValue: i)
        }
        layers.append(layer)
        layersDriven.append(false)
        return NodeUpperLayerID(rawValue: layers.count - 1)
    }

    /// Takes a layer off the box (a group member whose program left or
    /// went away), so that a long-lived node does not hand every event to
    /// layers that are done. Its id may name a later layer.
    public func remove(upperLayer id: NodeUpperLayerID) {
        let i = id.rawValue
        guard i >= 0, i < layers.count, !freeLayerPlaces.contains(i) else { return }
        layers[i] = RemovedLayer()
        layersDriven[i] = false
        freeLayerPlaces.append(i)
    }

    /// The public FLIP address transactions leave from.
    public var address: FLIPAddress { client.address }
    /// The public FLIP address requests for this node's ports arrive at.
    public var serverAddress: FLIPAddress { server.address }
    /// Server slots held (listening, serving, replying) and the most the
    /// table may hold with transactions: a driver keeps room for its own
    /// servers by refusing programs' getreqs near the top.
    public var serverSlotsInUse: Int { server.activeSlots + client.activeTransactions }
    public var maxStates: Int { configuration.rpc.maxStates }
    /// The kernel id this node's transactions carry.
    public var clientKid: KernelID { client.kid }
    /// The server machine's at-most-once ledger: how full it is.
    public var serverLedgerUsage: (histories: Int, summaries: Int, refusals: Int) { server.ledgerUsage }

    public var statistics: NodeStatistics {
        let (waiting, serving) = slots.counts
        return NodeStatistics(flip: box.statistics, client: client.statistics, server: server.statistics,
                              transactionsInFlight: transactions.count, slotsWaiting: waiting,
                              requestsBeingServed: serving,
                              repliesInFlight: repliesHanded - server.replies.ended,
                              repliesUnacknowledged: server.replies.unacknowledged,
                              clientStates: client.activeTransactions, serverStates: server.activeSlots)
    }

    /// Stops listening: both machines leave the box, and nothing owned is
    /// reported any more. Upper layers keep their own endpoints.
    public func shutdown() {
        clientChanged = true
        serverChanged = true
        client.shutdown()
        server.shutdown()
        transactions.removeAll()
        transactionDeadline = nil
        slots.removeAll()
    }
}

/// What stands in a removed layer's place until another takes it.
final class RemovedLayer: NodeUpperLayer {
    func handle(_ event: FLIPEvent, now: Instant) {}
    func tick(now: Instant) {}
    var nextDeadline: Instant? { nil }
}
