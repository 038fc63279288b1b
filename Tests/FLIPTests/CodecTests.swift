// Known-answer tests for the FLIP codecs: DES and the address one-way
// function, the multicast MAC, the FLIP header in both byte orders, the
// fragment control pair, the HEREIS trailer and whole frames.

import Testing
import AmoebaCore
@testable import FLIP
import TestSupport

@Suite struct AddressTests {
    @Test func desKnownAnswer() {
        let key = Hex.decode("133457799bbcdff1")!
        let plain = Hex.decode("0123456789abcdef")!
        #expect(Hex.encode(DES.encrypt(block: plain, key: key)) == "85e813540f0ab405")
    }

    @Test func desZeroKeyZeroBlock() {
        let zero = [UInt8](repeating: 0, count: 8)
        #expect(Hex.encode(DES.encrypt(block: zero, key: zero)) == "8ca64de9c1b123a7")
    }

    @Test func flipOneWayVector() {
        let priv = FLIPAddress(hex: "0102030405060700")!
        #expect(priv.publicAddress.hex == "d70d52d1b9d01900")
    }

    @Test func oneWayKeepsSpaceByte() {
        let priv = FLIPAddress(hex: "0102030405060705")!
        #expect(priv.publicAddress.space == 5)
        #expect(priv.space == 5)
        // The key includes the space byte's high bits, so the rest differs.
        var spaced = FLIPAddress(hex: "01020304050607f0")!
        #expect(spaced.publicAddress.space == 0xf0)
        spaced.space = 0
        #expect(spaced == FLIPAddress(hex: "0102030405060700")!)
    }

    @Test func nullCasesMapToThemselves() {
        #expect(FLIPAddress.null.publicAddress == .null)
        let onlySpace = FLIPAddress(hex: "0000000000000007")!
        #expect(onlySpace.publicAddress == onlySpace)
    }

    @Test func randomAddressesAreSpaceZeroAndDistinct() {
        var g = SeededRandom(seed: 3)
        var seen = Set<FLIPAddress>()
        for _ in 0..<100 {
            let a = FLIPAddress.random(using: &g)
            #expect(!a.isNull)
            #expect(a.space == 0)
            #expect(!a.publicAddress.isNull)
            seen.insert(a.publicAddress)
        }
        #expect(seen.count == 100)
    }

    @Test func addressParsing() {
        #expect(FLIPAddress(hex: "01:02:03:04:05:06:07:00")!.hex == "0102030405060700")
        #expect(FLIPAddress(hex: "0102") == nil)
        #expect(FLIPAddress(hex: "zz02030405060700") == nil)
        #expect(FLIPAddress(bytes: [1, 2, 3]) == nil)
        #expect(FLIPAddress(bytes: [1, 2, 3, 4, 5, 6, 7, 8])!.bytes == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func multicastMAC() {
        let a = FLIPAddress(hex: "a0a1a2a3a4a5a6a7")!
        #expect(EthernetAddress.multicast(for: a).bytes == [0x55, 0x55, 0xa2, 0xa3, 0xa4, 0xa5])
        #expect(EthernetAddress.multicast(for: a).isGroup)
        #expect(EthernetAddress.broadcast.bytes == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(EthernetAddress(bytes: [1, 2, 3]) == nil)
    }
}

@Suite struct HeaderCodecTests {
    static let sample = FLIPHeader(
        type: .unidata, flags: [.security], actualHops: 3, maximumHops: 6,
        destination: FLIPAddress(hex: "1112131415161718")!, source: FLIPAddress(hex: "2122232425262728")!,
        messageID: 0x0102_0304, length: 0x0506, offset: 0x0708, total: 0x0A0B_0C0D)

    @Test func littleEndianBytes() {
        let b = Self.sample.encoded(.little)
        #expect(Hex.encode(b) ==
            "01030400" + "0300" + "0600" + "1112131415161718" + "2122232425262728"
            + "04030201" + "06050000" + "08070000" + "0d0c0b0a")
    }

    @Test func bigEndianBytes() {
        let b = Self.sample.encoded(.big)
        #expect(Hex.encode(b) ==
            "01030500" + "0003" + "0006" + "1112131415161718" + "2122232425262728"
            + "01020304" + "00000506" + "00000708" + "0a0b0c0d")
    }

    @Test func bothOrdersDecodeToTheSameHeader() throws {
        for order in [ByteOrder.little, .big] {
            let d = try FLIPHeader.decode(Self.sample.encoded(order))
            #expect(d.header == Self.sample)
            #expect(d.order == order)
        }
    }

    @Test func badHeadersAreRefused() {
        var b = Self.sample.encoded()
        #expect(throws: FLIPHeaderError.truncated(available: 39)) { try FLIPHeader.decode(Array(b.prefix(39))) }
        b[0] = 2
        #expect(throws: FLIPHeaderError.badVersion(2)) { try FLIPHeader.decode(b) }
        #expect(throws: FLIPHeaderError.self) { try FLIPHeader.decode(b, at: 100) }
        #expect(throws: FLIPHeaderError.self) { try FLIPHeader.decode(b, at: -1) }
    }

    @Test func fragmentControlVectors() throws {
        #expect(FragmentControl(type: .credit, count: 8).encoded == [2, 8])
        #expect(try FragmentControl.decode([6, 3]) == FragmentControl(type: .absoluteCredit, count: 3))
        #expect(try FragmentControl.decode([9, 9, 0, 1], at: 2) == FragmentControl(type: .data, count: 1))
        #expect(throws: FragmentControlError.unknownType(9)) { try FragmentControl.decode([9, 0]) }
        #expect(throws: FragmentControlError.truncated(available: 1)) { try FragmentControl.decode([0]) }
    }

    @Test func hereIsTrailerVectors() throws {
        let t = HereIsTrailer(count: 2, trustedCount: 1)
        #expect(t.encoded(.little) == [2, 0, 1, 0])
        #expect(t.encoded(.big) == [0, 2, 0, 1])
        #expect(try HereIsTrailer.decode([0, 2, 0, 1], order: .big) == t)
        #expect(try HereIsTrailer.decode([2, 0, 1, 0], order: .little) == t)
        #expect(throws: HereIsTrailerError.wrongLength(3)) { try HereIsTrailer.decode([1, 0, 0], order: .little) }
        #expect(throws: HereIsTrailerError.inconsistentCounts) { try HereIsTrailer.decode([1, 0, 2, 0], order: .little) }
        #expect(throws: HereIsTrailerError.inconsistentCounts) { try HereIsTrailer.decode([0, 0, 0, 0], order: .little) }
    }

    @Test func wholeFrameRoundTripAndPaddingTrim() throws {
        let mac1 = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        var h = Self.sample
        h.length = 3
        h.total = 3
        let f = EthernetFrame(destination: .broadcast, source: mac1, control: FragmentControl(type: .data),
                              flip: h, data: [7, 8, 9])
        var bytes = f.encoded()
        // 59 bytes of frame, padded to the Ethernet minimum.
        #expect(bytes.count == EthernetFrame.minimumSize)
        #expect(bytes.last == 0)
        #expect(Array(bytes[12..<16]) == [0x81, 0x46, 0, 0])
        bytes += [0, 0, 0, 0]   // more padding, as a NIC may add
        let d = try EthernetFrame.decode(bytes)
        #expect(d.data == [7, 8, 9])
        #expect(d.flip == h)
        #expect(d.source == mac1)
        // A frame shorter than its header claims is refused.
        #expect(throws: FLIPFrameError.badLength(claimed: 3, available: 2)) {
            try EthernetFrame.decode(Array(f.encoded().prefix(14 + 2 + 40 + 2)))
        }
        var wrongType = f.encoded()
        wrongType[12] = 0x08
        #expect(throws: FLIPFrameError.notFLIP(etherType: 0x0846)) { try EthernetFrame.decode(wrongType) }
    }

    /// Amoeba pads every frame to the Ethernet minimum: a bare control pair
    /// and a data frame with a few bytes go out as 60 bytes, a full one
    /// unchanged, and the padding reads back as nothing.
    @Test func everyFrameReachesTheEthernetMinimum() throws {
        let mac1 = EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!
        let credit = EthernetFrame(destination: mac1, source: mac1, control: FragmentControl(type: .credit, count: 8))
        let c = credit.encoded()
        #expect(c.count == 60)
        #expect(c[14] == FragmentControlType.credit.rawValue && c[15] == 8)
        #expect(c[16...].allSatisfy { $0 == 0 })
        let back = try EthernetFrame.decode(c)
        #expect(back.control == FragmentControl(type: .credit, count: 8) && back.flip == nil)

        var h = Self.sample
        h.length = 0
        h.total = 0
        let empty = EthernetFrame(destination: .broadcast, source: mac1, control: FragmentControl(type: .data), flip: h)
        let e = empty.encoded()
        #expect(e.count == 60)
        #expect(try EthernetFrame.decode(e).data.isEmpty)

        h.length = UInt32(EthernetFrame.maxData)
        h.total = h.length
        let full = EthernetFrame(destination: .broadcast, source: mac1, control: FragmentControl(type: .data),
                                 flip: h, data: [UInt8](repeating: 5, count: EthernetFrame.maxData))
        #expect(full.encoded().count == 14 + EthernetFrame.mtu)
    }
}
