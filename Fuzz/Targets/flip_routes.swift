// fuzz-modules: AmoebaCore FLIP
// The routing and flow-control tables under adversarial sequences: a
// stranger on the segment sends HEREIS, LOCATE, UNIDATA and first halves
// of two-frame messages with any source MAC (from a small set, so they
// collide), any claimed address (the peer's among them), any hop counts,
// while the real peer speaks every few steps. Whatever the order:
// traffic to the peer goes to the peer's MAC (it answers), the peer's
// route list stays within its cap, the tables within theirs, and a
// multi-frame message to the peer always leaves.
//
// Input: records of 4 bytes: kind, stranger MAC, claimed source, hops.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var config = FLIPConfiguration()
    config.maxPeers = 8
    config.maxRoutedAddresses = 16
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
    peerSpeaks()
    var k = 0
    var step = 0
    while k + 4 <= bytes.count {
        let kind = bytes[k], m = bytes[k + 1], s = bytes[k + 2], hops = UInt16(bytes[k + 3] % 26)
        k += 4
        // Time always moves: a stranger's claim is never as old as the
        // route it contests (at one instant the shorter claim wins, as it
        // must between two real paths found together).
        now = now + .milliseconds(1 + Int64(kind >> 4) * 10)
        let mac = EthernetAddress(bytes: [6, 0, 0, 0, 0, m % 32])!
        let source = s % 4 == 0 ? peer : FLIPAddress(bytes: [9, s, 0, 0, 0, 0, 0, 0])!
        switch kind % 4 {
        case 0:
            box.receive(frame: frame(.hereIs, from: mac, source: me, destination: source, act: 0, max: hops,
                                     data: [1, 0, 1, 0]), on: i, now: now)
        case 1:
            box.receive(frame: frame(.locate, from: mac, source: source, destination: FLIPAddress(bytes: [7, s, 0, 0, 0, 0, 0, 0])!,
                                     act: 0, max: hops, data: []), on: i, now: now)
        case 2:
            box.receive(frame: frame(.unidata, from: mac, source: source, destination: me, act: 0, max: max(hops, 1),
                                     data: [2]), on: i, now: now)
        default:
            box.receive(frame: frame(.unidata, from: mac, source: source, destination: me, act: 0, max: 25,
                                     data: [UInt8](repeating: 3, count: 8), total: 3000), on: i, now: now)
        }
        step += 1
        if step % 3 == 0 { peerSpeaks() }
        box.tick(now: now)
        _ = box.takeEvents()
        if (box.routes.routes[peer]?.count ?? 0) > config.maxRoutesPerAddress { fatalError("flip_routes: route list over its cap") }
        if box.routedAddressCount > config.maxRoutedAddresses { fatalError("flip_routes: routing table over its cap") }
        if box.peerCount > config.maxPeers { fatalError("flip_routes: flow table over its cap") }
    }
    // The peer spoke within the last three steps: it answers.
    peerSpeaks()
    _ = box.takeEvents()
    box.unicast([UInt8](repeating: 4, count: 3000), from: e, to: peer, now: now)
    var toPeer = 0
    for ev in box.takeEvents() {
        guard case .transmit(_, let bytes) = ev, let f = try? EthernetFrame.decode(bytes), f.flip != nil else { continue }
        if f.destination != peerMAC { fatalError("flip_routes: traffic to a live peer went elsewhere") }
        toPeer += 1
    }
    if toPeer == 0 { fatalError("flip_routes: nothing left for the peer") }
    return 0
}
