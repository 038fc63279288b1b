// rpc_bench scale, curve a: a port locate among many nodes.
//
// One network per point: N hosts dealt round-robin over S segments joined
// by gateways (SimTopology), a server listening on a fresh port on the
// segment farthest from the client, every other host idle but listening,
// as a real node's RPC machines are. The client runs one null transaction
// to the port, so it must locate it by broadcast, then a second one, which
// finds the port in its cache: the difference between the two is what the
// locate cost the network.

import AmoebaCore
import FLIP
import Foundation
import Node
import RPC
import SimNet

struct LocatePoint {
    var layout: GatewayLayout
    var hosts: Int
    var segments: Int
    var gateways: Int
    var ethernetHops: Int
    /// Virtual time from the first trans to the client's first HEREIS, and
    /// the locate round (hop budget) that found it.
    var found: Interval?
    var foundAtHops: UInt16?
    var transactionOK: Bool
    /// Frames sent and received network-wide by the first transaction
    /// (with its locate) and by the second (without), each until quiet.
    var framesFirst: Int
    var framesSecond: Int
    var receptionsFirst: Int
    var receptionsSecond: Int
    /// Host CPU of building the network, and of the first transaction.
    var setupCPU: Int64
    var locateCPU: Int64

    var framesPerLocate: Int { framesFirst - framesSecond }
    var receptionsPerLocate: Int { receptionsFirst - receptionsSecond }
}

enum LocateBench {
    static func run(hosts: Int, segments: Int, layout: GatewayLayout, seed: UInt64) -> LocatePoint {
        let setupStart = cpuMicroseconds()
        let net = SimNetwork(seed: seed)
        let topology = SimTopology(on: net, segments: segments, layout: layout)
        var g = SimRandom(seed: seed &+ 0x5EED)  // seeded: runs repeat
        let getPort = AmoebaCore.Port.random(using: &g)
        // Host 0 is the client (on `near`); the server is the first host
        // dealt to `far` (host 0 itself when there is one segment: then
        // host 1, so the locate still crosses the wire).
        let serverIndex = (1..<hosts).first { topology.segment(forHost: $0) == topology.far } ?? 1
        var client: SimNode!
        var server: SimNode!
        for i in 0..<hosts {
            let n = net.addNode(name: "h\(i)", on: [topology.segment(forHost: i)])
            if i == 0 { client = n }
            if i == serverIndex { server = n }
        }
        _ = server.node.getreq(port: getPort, owner: 0)
        net.flush(server)
        // The driver's view of the client: its results, in order.
        var results: [Result<RPCMessage, ErrorCode>] = []
        client.onOutput = { o in
            if case .transactionCompleted(_, let r) = o { results.append(r) }
        }
        server.onOutput = { o in
            if case .requestArrived(_, let slot, _) = o {
                var h = Header()
                h.status = .ok
                server.node.putrep(slot, RPCMessage(header: h), now: net.now)
                _ = server.node.getreq(port: getPort, owner: 0)
            }
        }
        // Which hop budget the answered locate carried.
        var lastLocateHops: UInt16 = 0
        net.onTransmit = { node, _, bytes in
            guard node === client, let f = try? EthernetFrame.decode(bytes), let h = f.flip,
                  h.packetType == .multidata else { return }
            lastLocateHops = h.maximumHops
        }
        let setupCPU = cpuMicroseconds() - setupStart

        let request = RPCMessage(header: Header(port: getPort.putPort, command: 0))
        let hereIs = Int(AmpType.hereIs.rawValue)
        let cpuStart = cpuMicroseconds()
        let start = net.now
        client.node.trans(request, owner: 1, deadline: nil, now: net.now)
        net.flush(client)
        var found: Interval?
        if net.run(until: { client.node.statistics.client.received[hereIs] > 0 }, limit: .seconds(10)) {
            found = net.now - start
        }
        let foundAtHops = found == nil ? nil : lastLocateHops
        net.run(until: { !results.isEmpty }, limit: .seconds(30))
        net.run(for: .seconds(1))   // floods, acknowledgements: until quiet
        let locateCPU = cpuMicroseconds() - cpuStart
        let framesFirst = net.framesSent, receptionsFirst = net.framesDelivered
        let firstOK = results.first.map { if case .success = $0 { true } else { false } } ?? false

        client.node.trans(request, owner: 2, deadline: nil, now: net.now)
        net.flush(client)
        net.run(until: { results.count >= 2 }, limit: .seconds(30))
        net.run(for: .seconds(1))
        let secondOK = results.count >= 2 && { if case .success = results[1] { true } else { false } }()

        return LocatePoint(layout: layout, hosts: hosts, segments: segments, gateways: topology.gateways.count,
                           ethernetHops: topology.ethernetHops, found: found, foundAtHops: foundAtHops,
                           transactionOK: firstOK && secondOK,
                           framesFirst: framesFirst, framesSecond: net.framesSent - framesFirst,
                           receptionsFirst: receptionsFirst, receptionsSecond: net.framesDelivered - receptionsFirst,
                           setupCPU: setupCPU, locateCPU: locateCPU)
    }
}
