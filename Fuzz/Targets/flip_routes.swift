// fuzz-modules: AmoebaCore FLIP
// The routing and flow-control tables under adversarial sequences: a
// stranger on the segment sends HEREIS (with guessed ids), LOCATEs from
// and for any address, UNIDATA and first halves of two-frame messages,
// with any source MAC (from a small set, so they collide), any claimed
// address (the peer's among them), any hop counts. The peer speaks only
// when the input says so, and may stay silent far beyond the answer
// window; alive, it answers every LOCATE for it that the box sends (a
// probe or a locate), from its own MAC. Whatever the order: the box never
// uses a route to the peer through another MAC, the peer's route list
// stays within its cap, the tables within theirs, and a multi-frame
// message to the peer always leaves, to the peer's MAC only.
// (Routes live for an hour here: an address nobody has used or claimed
// for a whole lifetime is believed from its first claim again, a limit
// stated in SECURITY.md and not what this target checks.)
//
// Input: records of 4 bytes: kind (low 2 bits: what; bit 2: a LOCATE is
// for the peer; bit 3: the peer speaks; high 4 bits: time step), stranger
// MAC, claimed source, hops.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var config = FLIPConfiguration()
    config.maxPeers = 8
    config.maxRoutedAddresses = 16
    config.routeLifetime = .seconds(3600)
    let box = FLIPBox(configuration: config)
    let myMAC = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
    let peerMAC = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!
    let i = box.addInterface(mac: myMAC)
    let e = box.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
    let me = box.address(of: e)!
    let peer = FLIPAddress(hex: "5151515151515100")!
    var now = Instant(microseconds: 1_000_000)

    func frame(_ type: FLIPPacketType, from mac: EthernetAddress, source: FLIPAddress, destination: FLIPAddress,
               act: UInt16, max: UInt16, data: [UInt8], total: UInt32? = nil) -> [UInt8] {
        let h = FLIPHeader(type: type, actualHops: act, maximumHops: max, destination: destination, source: source,
                           messageID: UInt32(truncatingIfNeeded: now.microseconds), length: UInt32(data.count),
                           total: total ?? UInt32(data.count))
        return EthernetFrame(destination: myMAC, source: mac, control: FragmentControl(type: .data), flip: h,
                             data: data).encoded()
    }
    func peerSpeaks() {
        box.receive(frame: frame(.unidata, from: peerMAC, source: peer, destination: me, act: 3, max: 3, data: [1]),
                    on: i, now: now)
    }
    // Drains the box's frames: the peer answers each LOCATE for it (the
    // LOCATE turned around, its id echoed); returns the data frames' MACs.
    func drain() -> [EthernetAddress] {
        var data: [EthernetAddress] = []
        var pending = box.takeEvents()
        while !pending.isEmpty {
            for ev in pending {
                guard case .transmit(_, let bytes) = ev, let f = try? EthernetFrame.decode(bytes), let h = f.flip else { continue }
                if h.packetType == .unidata { data.append(f.destination) }
                guard h.packetType == .locate, h.destination == peer else { continue }
                let answer = FLIPHeader(type: .hereIs, actualHops: 0, maximumHops: h.actualHops, destination: peer,
                                        source: h.source, messageID: h.messageID, length: 4, total: 4)
                box.receive(frame: EthernetFrame(destination: myMAC, source: peerMAC, control: FragmentControl(type: .data),
                                                 flip: answer, data: [1, 0, 1, 0]).encoded(), on: i, now: now)
            }
            pending = box.takeEvents()
        }
        return data
    }
    func checkPeerRoute() {
        if let r = box.routes.best(peer, budget: UInt16.max, now: now), r.location != peerMAC {
            fatalError("flip_routes: the peer's route was moved to a stranger")
        }
    }
    // We located the peer once (a box that has sent to an address has
    // proven it); a peer only ever heard can be pushed out of a full table
    // by a flood of new addresses and then claimed afresh, a limit stated
    // in SECURITY.md.
    box.unicast([0], from: e, to: peer, now: now)
    if drain() != [peerMAC] { fatalError("flip_routes: the peer was not located") }
    var k = 0
    var step = 0
    while k + 4 <= bytes.count {
        let kind = bytes[k], m = bytes[k + 1], s = bytes[k + 2], hops = UInt16(bytes[k + 3] % 26)
        k += 4
        // Time always moves: a stranger's claim is never as old as the
        // route it contests (at one instant the shorter claim wins, as it
        // must between two real paths found together).
        now = now + .milliseconds(1 + Int64(kind >> 4) * 300)
        let mac = EthernetAddress(bytes: [6, 0, 0, 0, 0, m % 32])!
        let source = s % 4 == 0 ? peer : FLIPAddress(bytes: [9, s, 0, 0, 0, 0, 0, 0])!
        switch kind % 4 {
        case 0:
            box.receive(frame: frame(.hereIs, from: mac, source: me, destination: source, act: 0, max: hops,
                                     data: [1, 0, 1, 0]), on: i, now: now)
        case 1:
            let located = kind & 4 != 0 ? peer : FLIPAddress(bytes: [7, s, 0, 0, 0, 0, 0, 0])!
            box.receive(frame: frame(.locate, from: mac, source: source, destination: located,
                                     act: 0, max: hops, data: []), on: i, now: now)
        case 2:
            box.receive(frame: frame(.unidata, from: mac, source: source, destination: me, act: 0, max: max(hops, 1),
                                     data: [2]), on: i, now: now)
        default:
            box.receive(frame: frame(.unidata, from: mac, source: source, destination: me, act: 0, max: 25,
                                     data: [UInt8](repeating: 3, count: 8), total: 3000), on: i, now: now)
        }
        step += 1
        if kind & 8 != 0 { peerSpeaks() }
        checkPeerRoute()
        box.tick(now: now)
        _ = drain()
        checkPeerRoute()
        if (box.routes.routes[peer]?.count ?? 0) > config.maxRoutesPerAddress { fatalError("flip_routes: route list over its cap") }
        if box.routedAddressCount > config.maxRoutedAddresses { fatalError("flip_routes: routing table over its cap") }
        if box.peerCount > config.maxPeers { fatalError("flip_routes: flow table over its cap") }
    }
    _ = drain()
    box.unicast([UInt8](repeating: 4, count: 3000), from: e, to: peer, now: now)
    var sent = drain()
    // A probe in progress holds the message until it ends.
    now = now + .seconds(1)
    box.tick(now: now)
    sent += drain()
    for mac in sent where mac != peerMAC { fatalError("flip_routes: traffic to the peer went elsewhere") }
    if sent.isEmpty { fatalError("flip_routes: nothing left for the peer") }
    return 0
}
