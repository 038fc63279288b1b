// fuzz-modules: AmoebaCore FLIP
// Arbitrary frames into a FLIP box with two interfaces (a gateway), a
// registered endpoint that has joined a group, and a learned route, with
// the clock advanced and `tick` called as the input says. The box must
// never trap, must only deliver to its endpoint, and every frame it sends
// must decode and respect the hop limit.
//
// Input: a sequence of records `[control, length, frame bytes...]`. Bit 0
// of control picks the interface, bit 1 asks for a tick after the frame,
// bits 2-7 advance the clock by that many 100 ms steps; length is the
// frame's byte count (the rest of the input if shorter).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var config = FLIPConfiguration()
    config.maxMessageSize = 64 * 1024
    config.maxReassemblies = 8
    let box = FLIPBox(configuration: config)
    let i0 = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
    let i1 = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!)
    let e = box.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
    box.join(e, group: FLIPAddress(hex: "6162636465666700")!)
    var now = Instant.zero
    // Teach the box a route and start a locate, so the forwarding and
    // locate paths are live too.
    let peer = EthernetFrame(destination: .broadcast, source: EthernetAddress(bytes: [2, 9, 9, 9, 9, 9])!,
                             control: FragmentControl(type: .data),
                             flip: FLIPHeader(type: .locate, actualHops: 3, maximumHops: 3,
                                              destination: FLIPAddress(hex: "d70d52d1b9d01900")!,
                                              source: FLIPAddress(hex: "1111111111111100")!,
                                              messageID: 1, length: 0, total: 0))
    box.receive(frame: peer.encoded(), on: i1, now: now)
    box.unicast([1, 2, 3], from: e, to: FLIPAddress(hex: "2222222222222200")!, now: now)
    check(box, e)

    var i = 0
    while i < bytes.count {
        let control = bytes[i]
        let length = i + 1 < bytes.count ? Int(bytes[i + 1]) * 8 : 0
        let start = min(i + 2, bytes.count)
        let end = min(start + length, bytes.count)
        let frame = Array(bytes[start..<end])
        i = end
        now = now + .milliseconds(Int64(control >> 2) * 100)
        box.receive(frame: frame, on: control & 1 == 0 ? i0 : i1, now: now)
        if control & 2 != 0 { box.tick(now: now) }
        check(box, e)
    }
    box.tick(now: now + .seconds(60))
    check(box, e)
    if box.pendingReassemblies != 0 { fatalError("flip_box: reassembly state outlived its timeout") }
    return 0
}

private func check(_ box: FLIPBox, _ endpoint: EndpointID) {
    for event in box.takeEvents() {
        switch event {
        case .deliver(let d):
            if d.endpoint != endpoint { fatalError("flip_box: delivered to an unknown endpoint") }
        case .undeliverable(let e, _, _, _):
            if e != endpoint { fatalError("flip_box: reported for an unknown endpoint") }
        case .transmit(_, let frame):
            guard let f = try? EthernetFrame.decode(frame) else { fatalError("flip_box: sent an undecodable frame") }
            if let h = f.flip, h.actualHops > h.maximumHops { fatalError("flip_box: sent a frame over its hop limit") }
        }
    }
}
