// A request or reply reassembled from fragments reaches RPC as its headers
// and its data in an array of its own (FLIP's head size, 56 bytes for an
// RPC endpoint): the data must become the message's data as it stands,
// not a copy, and decode to what the joined bytes decode to.

import Testing
import AmoebaCore
import FLIP
@testable import RPC

@Suite struct SplitMessageTests {
    func sample(_ size: Int) -> (wire: [UInt8], message: RPCMessage) {
        var h = Header(port: Port(hex: "a0b0c0d0e0f0")!, command: 7)
        h.offset = 1234
        let m = RPCMessage(header: h, data: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 5) })
        let amp = AmpHeader(kid: KernelID(littleEndianBits: 3), type: .request, tid: 9, dest: 0, from: 1)
        return (m.encoded(after: amp), m)
    }

    @Test func theDataIsTheBodyItself() {
        let (wire, m) = sample(30_000)
        let head = wire[..<(AmpHeader.size + Header.size)]
        let body = Array(wire[(AmpHeader.size + Header.size)...])
        let decoded = RPCMessage.decode(head, at: AmpHeader.size, then: body, order: .little)
        #expect(decoded == m)
        #expect(decoded?.data.withUnsafeBufferPointer { $0.baseAddress }
                == body.withUnsafeBufferPointer { $0.baseAddress })
    }

    @Test(arguments: [30, 56, 100])
    func anyOtherCutDecodesAsTheJoinedBytes(cut: Int) {
        let (wire, m) = sample(3_000)
        let decoded = RPCMessage.decode(wire[..<cut], at: AmpHeader.size, then: Array(wire[cut...]), order: .little)
        #expect(decoded == m)
        #expect(RPCMessage.decode(wire[..<30], at: AmpHeader.size, order: .little) == nil)
    }
}
