// fuzz-modules: AmoebaCore FLIP RPC
// Arbitrary messages, unicast and broadcast, into an RPC node that has a
// server slot, a request being served and a transaction in flight, with
// time moving on between them. Nothing may trap.

private var state: (box: FLIPBox, node: RPCNode, ep: EndpointID)?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let box = FLIPBox()
    _ = box.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
    let node = RPCNode(box: box, kid: FLIPAddress(hex: "1111111111111100")!,
                       privateAddress: FLIPAddress(hex: "2222222222222200")!)
    let getPort = Port(hex: "010203040506")!
    _ = node.getreq(port: getPort)
    _ = node.getreq(port: getPort)
    var now = Instant(microseconds: 1_000_000)
    _ = node.trans(RPCMessage(header: Header(port: getPort.putPort, command: 1)), now: now)
    let peer = FLIPAddress(hex: "3333333333333300")!
    // Split the input into messages at each 0xFE byte; the byte after it
    // picks unicast or broadcast delivery and a time step.
    var chunks: [[UInt8]] = [[]]
    for b in bytes {
        if b == 0xFE { chunks.append([]) } else { chunks[chunks.count - 1].append(b) }
    }
    for chunk in chunks {
        let control = chunk.first ?? 0
        let message = Array(chunk.dropFirst())
        let delivery = FLIPDelivery(endpoint: EndpointID(rawValue: 0), source: peer,
                                    destination: node.address, message: message,
                                    isMulticast: control & 1 == 1)
        node.handle(.deliver(delivery), now: now)
        now = now + .milliseconds(Int64(control >> 1) * 40)
        node.tick(now: now)
        for e in node.takeEvents() {
            if case .requestArrived(let slot, let m) = e { node.putrep(slot, m, now: now) }
        }
        _ = box.takeEvents()
    }
    return 0
}
