// Bounded state: a stream of strangers (new sources, new Ethernet
// addresses, huge messages) cannot make a box hold unbounded memory.

import Testing
import AmoebaCore
@testable import FLIP

@Suite struct LimitTests {
    func box(_ configure: (inout FLIPConfiguration) -> Void) -> (FLIPBox, InterfaceID, FLIPAddress) {
        var c = FLIPConfiguration()
        configure(&c)
        let b = FLIPBox(configuration: c)
        let i = b.addInterface(mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        let e = b.register(privateAddress: FLIPAddress(hex: "0102030405060700")!)
        return (b, i, b.address(of: e)!)
    }

    func mac(_ n: Int) -> EthernetAddress {
        EthernetAddress(bytes: [2, 1, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), 0])!
    }

    func source(_ n: Int) -> FLIPAddress {
        FLIPAddress(bytes: [9, 1, UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), 0, 0, 0])!
    }

    @Test func routingTableStaysBounded() {
        let (b, i, me) = box { $0.maxRoutedAddresses = 100 }
        for n in 0..<1000 {
            let h = FLIPHeader(type: .unidata, actualHops: 3, maximumHops: 3, destination: me, source: source(n),
                               messageID: 1, length: 1, total: 1)
            let f = EthernetFrame(destination: .broadcast, source: mac(n), control: FragmentControl(type: .data),
                                  flip: h, data: [1])
            b.receive(frame: f.encoded(), on: i, now: Instant(microseconds: Int64(n)))
            #expect(b.routedAddressCount <= 100)
        }
        // The most recent sources are the ones kept.
        #expect(b.routeHops(to: source(999)) == 3)
        #expect(b.routeHops(to: source(0)) == nil)
    }

    @Test func flowControlStateStaysBounded() {
        let (b, i, _) = box { $0.maxPeers = 50 }
        for n in 0..<500 {
            let f = EthernetFrame(destination: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!, source: mac(n),
                                  control: FragmentControl(type: .credit, count: 3))
            b.receive(frame: f.encoded(), on: i, now: .zero)
            #expect(b.peerCount <= 50)
        }
    }

    @Test func reassemblyMemoryStaysBounded() {
        let (b, i, me) = box { $0.maxReassemblyBytes = 1 << 20 }
        for n in 0..<10 {
            // The first fragment of a 300 KB message from a new source.
            let h = FLIPHeader(type: .unidata, actualHops: 3, maximumHops: 3, destination: me, source: source(n),
                               messageID: 1, length: 8, total: 300_000)
            let f = EthernetFrame(destination: .broadcast, source: mac(n), control: FragmentControl(type: .data),
                                  flip: h, data: [UInt8](repeating: 1, count: 8))
            b.receive(frame: f.encoded(), on: i, now: .zero)
        }
        #expect(b.pendingReassemblies == 3)
        #expect(b.statistics.dropped(.tooManyReassemblies) == 7)
        // Once they time out, the memory is free for new messages.
        b.tick(now: .zero + .seconds(10))
        #expect(b.pendingReassemblies == 0)
        #expect(b.reassembler.bytesHeld == 0)
    }
}
