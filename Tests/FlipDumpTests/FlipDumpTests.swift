// flipdump's decoding and printing, on frames built by the project's own
// encoders: what a REQUEST, a REPLY, a port locate, a later fragment, a
// control frame and garbage look like; the sender's byte order honoured;
// frames found inside Ethernet/IPv4/UDP; the filters; the pcap writer.

import AmoebaCore
import FLIP
import FlipDump
import Foundation
import RPC
import Testing

private let src = FLIPAddress(hex: "1111111111111100")!
private let dst = FLIPAddress(hex: "2222222222222200")!
private let port = Port(bytes: [0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])!
private let macA = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
private let macB = EthernetAddress(bytes: [2, 0, 0, 0, 0, 2])!

private func frame(_ type: FLIPPacketType, to: FLIPAddress = dst, data: [UInt8], offset: UInt32 = 0,
                   total: UInt32? = nil, order: ByteOrder = .little) -> [UInt8] {
    let h = FLIPHeader(type: type, maximumHops: 25, destination: to, source: src, messageID: 9,
                       length: UInt32(data.count), offset: offset, total: total ?? UInt32(data.count))
    return EthernetFrame(destination: macB, source: macA, control: FragmentControl(type: .data),
                         flip: h, order: order, data: data).encoded()
}

private func rpc(_ type: AmpType, command: UInt16, order: ByteOrder = .little, body: [UInt8] = []) -> [UInt8] {
    let amp = AmpHeader(kid: src, port: port, type: type, tid: 77, dest: 0, from: 5)
    var w = BufferWriter(reservingCapacity: 64)
    try! amp.encode(into: &w, order: order)
    let cap = Capability(port: port, private: PrivatePart(object: ObjectNumber(7)!, rights: Rights(rawValue: 0xFF), check: .null))
    var header = Header(capability: cap, command: command)
    header.size = 3
    try! header.encode(into: &w, order: order)
    try! w.write(bytes: body)
    return w.bytes
}

@Test func requestIsNamedWithItsCommand() {
    let d = DecodedFrame(frame: frame(.unidata, data: rpc(.request, command: StandardCommand.info)))
    #expect(d.problem == nil)
    #expect(d.summary == "UNIDATA 1111111111111100 > 2222222222222200 RPC REQUEST tid=77 port=aabbccddeeff STD_INFO")
    #expect(d.fields == "3\t1111111111111100\t2222222222222200\t9\t56\t0\t56\t3\t77\t1004")
}

@Test func replyIsNamedWithItsStatus() {
    let d = DecodedFrame(frame: frame(.unidata, data: rpc(.reply, command: UInt16(bitPattern: -1008), body: Array("x".utf8))))
    #expect(d.summary.hasSuffix("RPC REPLY tid=77 port=aabbccddeeff STD_NOTFOUND +1"))
    #expect(d.fields.hasSuffix("\t4\t77\t-1008"))
}

@Test func bigEndianSenderIsReadInItsOwnOrder() {
    let d = DecodedFrame(frame: frame(.unidata, data: rpc(.request, command: StandardCommand.status, order: .big), order: .big))
    #expect(d.order == .big)
    #expect(d.amp?.tid == 77)
    #expect(d.amp?.from == 5)
    #expect(d.header?.command == StandardCommand.status)
    #expect(d.header?.size == 3)
    #expect(d.header?.private.object.value == 7)
}

@Test func portLocateShowsItsProtocol() {
    let body = [0, 0, 0, 1] + AmpHeader(kid: src, port: port, type: .locate, tid: 0, dest: 0, from: 0).encoded()
    let d = DecodedFrame(frame: frame(.multidata, to: .null, data: body))
    #expect(d.locateProtocol == .rpc)
    #expect(d.summary.contains("MULTIDATA 1111111111111100 > 0000000000000000 RPC locate RPC LOCATE tid=0"))
}

@Test func laterFragmentIsNotReadAsAnAmpHeader() {
    let d = DecodedFrame(frame: frame(.unidata, data: rpc(.request, command: 1004), offset: 1458, total: 4000))
    #expect(d.amp == nil)
    #expect(d.summary.hasSuffix("fragment 1458+56 of 4000 (message 9)"))
}

@Test func controlFramesAndGarbageAreSaidPlainly() {
    let credit = EthernetFrame(destination: macB, source: macA, control: FragmentControl(type: .credit, count: 8)).encoded()
    #expect(DecodedFrame(frame: credit).summary == "CREDIT 8")
    var short = frame(.unidata, data: rpc(.request, command: 1004))
    short.removeLast(20)   // the header claims more than the frame holds
    let d = DecodedFrame(frame: short)
    #expect(d.flip == nil)
    #expect(d.summary.hasPrefix("malformed FLIP frame: "))
    #expect(DecodedFrame(frame: [1, 2, 3]).summary.hasPrefix("malformed: "))
}

@Test func framesInsideUDPAreFound() {
    let inner = frame(.unidata, data: rpc(.request, command: 1004))
    var ip: [UInt8] = [0x45, 0, 0, 0, 0, 0, 0x40, 0, 1, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]
    let udp: [UInt8] = [0x1B, 0x59, 0x1B, 0x5A, 0, 0, 0, 0]
    ip[2] = UInt8((20 + 8 + inner.count) >> 8); ip[3] = UInt8((20 + 8 + inner.count) & 0xFF)
    let outer = [UInt8](repeating: 0, count: 12) + [0x08, 0x00] + ip + udp + inner
    #expect(Capture.flipFrame(in: outer) == inner)
    #expect(Capture.flipFrame(in: inner) == inner)
    var notFLIP = outer
    notFLIP[14 + 20 + 8 + 12] = 0x08   // inner EtherType IPv4
    #expect(Capture.flipFrame(in: notFLIP) == nil)
}

@Test func filtersSelectByTypePortAndAddress() {
    let request = DecodedFrame(frame: frame(.unidata, data: rpc(.request, command: 1004)))
    let locate = DecodedFrame(frame: frame(.locate, data: []))
    #expect(FrameFilter(flipTypes: [FrameFilter.flipType(named: "UNIDATA")!]).accepts(request))
    #expect(!FrameFilter(flipTypes: [3]).accepts(locate))
    #expect(FrameFilter(port: port).accepts(request))
    #expect(!FrameFilter(port: .null).accepts(request))
    #expect(FrameFilter(address: dst).accepts(locate))
    #expect(!FrameFilter(address: FLIPAddress(hex: "3333333333333300")!).accepts(locate))
    #expect(FrameFilter.flipType(named: "bogus") == nil)
}

@Test func pcapWriterWritesWhatTcpdumpReads() throws {
    let path = NSTemporaryDirectory() + "flipdump-\(getpid()).pcap"
    defer { unlink(path) }
    let f = frame(.unidata, data: rpc(.request, command: 1004))
    let w = try #require(PcapWriter(path: path))
    w.write(frame: f, seconds: 1_700_000_000, microseconds: 42)
    w.close()
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(bytes.count == 24 + 16 + f.count)
    #expect(Array(bytes[0..<4]) == [0xD4, 0xC3, 0xB2, 0xA1])
    #expect(Array(bytes[20..<24]) == [1, 0, 0, 0])        // Ethernet
    #expect(Array(bytes[40...]) == f)
    var st = stat()
    #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600, "a capture holds capabilities: owner only")
}
