// The local API codec: every message survives a round trip, frames cut at
// any point reassemble, and bad bytes give errors, never traps.

import AmoebaCore
import Amunix
import Testing

@Suite struct LocalMessageTests {
    static let header = Header(port: Port(hex: "0102030405ff")!, command: 1004, offset: -7, size: 300, extra: 9)

    static let samples: [LocalMessage] = [
        .trans(call: 1, timeoutMilliseconds: 250, header: header, data: [1, 2, 3]),
        .trans(call: .max, timeoutMilliseconds: 0, header: Header(), data: []),
        .getreq(call: 7, getPort: Port(hex: "aabbccddeeff")!),
        .putrep(call: 8, header: header, data: Array(repeating: 0x5a, count: 30000)),
        .cancel(call: 9),
        .reply(call: 10, status: .rpcNotFound, header: header, data: [9]),
        .request(call: 11, header: header, data: []),
        .done(call: 12, status: .rpcAborted),
        // The grp_* calls and their answers.
        .group(call: 13, .create(port: Port(hex: "a1a2a3a4a5a6")!, GroupParameters(resilience: 1, maxGroup: 5))),
        .group(call: 14, .join(header)),
        .group(call: 15, .leave(group: 3, header)),
        .group(call: 16, .send(group: 3, header, Array(repeating: 7, count: 12000))),
        .group(call: 17, .receive(group: 65535)),
        .group(call: 18, .reset(group: 3, minimum: 2, header)),
        .group(call: 19, .info(group: 0)),
        .groupAnswer(call: 20, .status(-21)),
        .groupAnswer(call: 21, .message(GroupMessage(sequence: 1234, kind: .reset, sender: 2, more: 5, header: header,
                                                     data: [1, 2]))),
        .groupAnswer(call: 22, .info(GroupState(expect: 9, me: 1, sequencer: 0, members: [0, 1, 4]))),
    ]

    @Test func roundTrip() throws {
        for m in Self.samples {
            let f = m.framed()
            #expect(Int(f[0]) | Int(f[1]) << 8 | Int(f[2]) << 16 | Int(f[3]) << 24 == f.count - 4)
            #expect(try LocalMessage.decode(body: Array(f[4...])) == m)
        }
    }

    @Test func streamCutAnywhere() throws {
        let stream = Self.samples.flatMap { $0.framed() }
        for chunk in [1, 3, 17, 4096] {
            var a = FrameAssembler()
            var out: [LocalMessage] = []
            var i = 0
            while i < stream.count {
                a.append(stream[i..<min(stream.count, i + chunk)])
                i += chunk
                while let m = try a.next() { out.append(m) }
            }
            #expect(out == Self.samples)
        }
    }

    @Test func refusesBadInput() {
        #expect(throws: LocalProtocolError.unknownKind(99)) { try LocalMessage.decode(body: [99, 0, 0, 0, 0]) }
        #expect(throws: LocalProtocolError.self) { try LocalMessage.decode(body: []) }
        #expect(throws: LocalProtocolError.self) { try LocalMessage.decode(body: [1, 1, 0, 0, 0, 5]) }
        #expect(throws: LocalProtocolError.self) { try LocalMessage.decode(body: [4, 1, 0, 0, 0, 5]) }
        // An unknown group call, and a group message of an unknown kind.
        #expect(throws: LocalProtocolError.self) { try LocalMessage.decode(body: [5, 1, 0, 0, 0, 99]) }
        #expect(throws: LocalProtocolError.self) { try LocalMessage.decode(body: [68, 1, 0, 0, 0, 2, 0, 0, 0, 0, 9]) }
        var a = FrameAssembler()
        a.append([0xff, 0xff, 0xff, 0x7f])
        #expect(throws: LocalProtocolError.self) { try a.next() }
        var b = FrameAssembler()
        b.append([0, 0, 0, 0])
        #expect(throws: LocalProtocolError.self) { try b.next() }
    }

    @Test func neverTrapsOnTruncations() {
        for m in Self.samples {
            let body = Array(m.framed()[4...])
            for n in 0..<min(body.count, 60) {
                _ = try? LocalMessage.decode(body: Array(body[0..<n]))
            }
        }
        var g = SeededBytes(seed: 42)
        for _ in 0..<2000 {
            let n = Int(g.next() % 80)
            let body = (0..<n).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            _ = try? LocalMessage.decode(body: body)
        }
    }
}

struct SeededBytes {
    var s: UInt64
    init(seed: UInt64) { s = seed }
    mutating func next() -> UInt64 {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return s >> 17
    }
}
