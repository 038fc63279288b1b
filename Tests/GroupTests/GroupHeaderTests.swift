// The group header codec: Amoeba's 20-byte layout in the sender's order,
// both orders read, and damaged input reported rather than trapped on.

import Testing
import AmoebaCore
@testable import Group

@Suite struct GroupHeaderTests {
    let sample = GroupHeader(type: .broadcast, sender: MemberIndex(0x0102), incarnation: Incarnation(rawValue: 0x0304),
                             sequence: SequenceNumber(0x0506_0708), messageID: GroupMessageID(0x090a_0b0c),
                             expect: SequenceNumber(0x0d0e_0f10))

    @Test func littleEndianLayout() throws {
        let b = sample.encoded(order: .little)
        #expect(b == [7, 0, 0, 0, 0x02, 0x01, 0x04, 0x03, 0x08, 0x07, 0x06, 0x05,
                      0x0c, 0x0b, 0x0a, 0x09, 0x10, 0x0f, 0x0e, 0x0d])
        let (h, order) = try GroupHeader.decode(b)
        #expect(h == sample)
        #expect(order == .little)
    }

    @Test func bigEndianSenderIsFlaggedAndRead() throws {
        let b = sample.encoded(order: .big)
        #expect(b[1] == GroupHeader.bigEndianFlag)
        #expect(Array(b[4...7]) == [0x01, 0x02, 0x03, 0x04])
        #expect(Array(b[8...11]) == [0x05, 0x06, 0x07, 0x08])
        let (h, order) = try GroupHeader.decode(b)
        #expect(h == sample)
        #expect(order == .big)
    }

    @Test func everyTypeHasAmoebasNumber() {
        #expect(GroupMessageType.allCases.count == 19)
        #expect(GroupMessageType.locate.rawValue == 0)
        #expect(GroupMessageType.broadcastRequest.rawValue == 6)
        #expect(GroupMessageType.retransmit.rawValue == 9)
        #expect(GroupMessageType.sync.rawValue == 10)
        #expect(GroupMessageType.dead.rawValue == 18)
    }

    @Test func shortOrUnknownInputIsAnError() {
        let b = sample.encoded()
        for n in 0..<GroupHeader.size {
            #expect(throws: GroupHeaderError.truncated(available: n)) { try GroupHeader.decode(Array(b.prefix(n))) }
        }
        var bad = b
        bad[0] = 19
        #expect(throws: GroupHeaderError.unknownType(19)) { try GroupHeader.decode(bad) }
        #expect(throws: GroupHeaderError.self) { try GroupHeader.decode(b, at: 5) }
        #expect(throws: GroupHeaderError.self) { try GroupHeader.decode(b, at: -1) }
    }

    @Test func payloadsRoundTripInBothOrders() throws {
        for order in [ByteOrder.little, .big] {
            let here = HereIsBody(maxGroup: 8, logHistory: 7, logMessageSize: 14, resilience: 1, large: 10000,
                                  yourIndex: MemberIndex(3), sequencer: MemberIndex(0),
                                  groupAddress: .init(hex: "0102030405060700")!, groupAllAddress: .init(hex: "1112131415161700")!)
            var w: [UInt8] = []
            here.encode(into: &w, order: order)
            #expect(w.count == 2 * 4 + 4 + 2 * 2 + 16)
            var r = WireReader(w, from: 0, order: order)
            #expect(HereIsBody.decode(&r) == here)
            let row = MemberRow(address: .init(hex: "2122232425262700")!, rpcAddress: .null, state: .member,
                                expect: SequenceNumber(9), messageID: GroupMessageID(4))
            let join = JoinBody(newMember: .init(hex: "3132333435363700")!, rows: [row, .unused, .unused],
                                groupAllAddress: here.groupAllAddress, total: 1, sequencer: MemberIndex(0),
                                nextSequence: SequenceNumber(10), incarnation: Incarnation(rawValue: 2), resilience: 0,
                                large: 10000)
            w = []
            join.encode(into: &w, order: order)
            #expect(w.count == 8 + 3 * 28 + 8 + 2 + 2 + 4 + 2 + 2 + 4)
            r = WireReader(w, from: 0, order: order)
            #expect(JoinBody.decode(&r, maxGroup: 3) == join)
            for n in 0..<w.count {
                var short = WireReader(Array(w.prefix(n)), from: 0, order: order)
                #expect(JoinBody.decode(&short, maxGroup: 3) == nil)
            }
        }
    }

    @Test func locateStartsWithTheGroupProtocolID() {
        let l = LocateBody(header: GroupHeader(type: .locate, sender: MemberIndex(0)), amoebaHeader: Header(port: Port(hex: "a1a2a3a4a5a6")!),
                           rpcAddress: .null, memberAddress: .init(hex: "4142434445464700")!)
        let b = l.encoded(order: .big)
        #expect(Array(b.prefix(4)) == [0, 0, 0, 2])
        #expect(b.count == 4 + 20 + 32 + 16)
        #expect(LocateBody.decode(b)?.memberAddress == l.memberAddress)
        var rpc = b
        rpc[3] = 1
        #expect(LocateBody.decode(rpc) == nil)
    }
}
