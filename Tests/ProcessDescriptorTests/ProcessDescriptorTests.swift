// process_d, segment_d and thread_d against byte vectors written out by
// hand from the layout in AMOEBA-FACTS §1.4 (little-endian integers,
// capabilities raw, the magic NUL-padded to 8), and the decoder's refusals.

import AmoebaCore
import ProcessDescriptor
import Testing

func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
func words(_ vs: UInt32...) -> [UInt8] {
    var b: [UInt8] = []
    for v in vs { b += le32(v) }
    return b
}

@Suite struct ProcessDescriptorTests {
    /// A capability whose 16 bytes are `first, first+1, ...`.
    static func cap(_ first: UInt8) -> Capability {
        Capability(bytes: (0..<16).map { first &+ UInt8($0) })!
    }

func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }

    /// acv's shape: text, data, bss, stack; one idle thread.
    static let binary = ProcessDescriptor(
        me: .null, owner: cap(0x40),
        segments: [
            ProcessSegment(capability: cap(0x10), offset: 0xB4, address: 0x4000_0000, length: 0x3000, type: .binaryText),
            ProcessSegment(offset: 0x30B4, address: 0x4000_3000, length: 0x1000, type: .binaryData),
            ProcessSegment(address: 0x4000_4000, length: 0x5000, type: .binaryBSS),
            ProcessSegment(address: 0, length: 0, type: .binaryStack),
        ],
        threads: [.idle(pc: 0x4000_0010, sp: 0x7FFF_FFF0)])

    static var binaryBytes: [UInt8] {
        var b: [UInt8] = Array("i80386".utf8) + [0, 0]
        b += [UInt8](repeating: 0, count: 16)                 // pd_self: null
        b += (0..<16).map { 0x40 + UInt8($0) }                // pd_owner
        b += [4, 0, 1, 0]                                     // nseg 4, nthread 1
        let zero = [UInt8](repeating: 0, count: 16)
        b += (0..<16).map { 0x10 + UInt8($0) } + words(0xB4, 0x4000_0000, 0x3000, 0x110)
        b += zero + words(0x30B4, 0x4000_3000, 0x1000, 0x320)
        b += zero + words(0, 0x4000_4000, 0x5000, 0x321)
        b += zero + words(0, 0, 0, 0x8000_0322)
        b += words(0, 20, 1, 0x4000_0010, 0x7FFF_FFF0)
        return b
    }

    @Test func encodesByteForByte() {
        let bytes = Self.binary.encoded()
        #expect(bytes == Self.binaryBytes)
        #expect(bytes.count == 44 + 4 * 32 + 20)
        #expect(Self.binary.size == bytes.count)
    }

    @Test func decodesTheHandBuiltVector() throws {
        let pd = try ProcessDescriptor.decode(Self.binaryBytes)
        #expect(pd == Self.binary)
        #expect(pd.architecture == "i80386")
        #expect(pd.segments[3].type.mapped == SegmentType(rawValue: 0x322))
        #expect(pd.threads[0].pc == 0x4000_0010)
    }

    @Test func checkpointedThreadWithI386Frame() throws {
        var frame = I386ThreadState()
        frame.trap = 14
        frame.errorCode = 6
        frame.eip = 0x4000_1234
        frame.faultAddress = 0
        frame.esp = 0x7FFF_FF00
        let t = ThreadDescriptor(state: [.exception], extra: [.kernelState, .userState],
                                 kernelState: ThreadKernelState(signal: -4), userState: frame.bytes)
        #expect(t.length == 112)
        let pd = ProcessDescriptor(segments: [], threads: [t])
        var expected: [UInt8] = Array("i80386".utf8) + [0, 0] + [UInt8](repeating: 0, count: 32) + [0, 0, 1, 0]
        expected += words(0x4, 112, 0x10002)
        expected += words(0, 0, 0, 0xFFFF_FFFC, 0)
        var words = [UInt32](repeating: 0, count: 20)
        words[13] = 14; words[14] = 6; words[15] = 0x4000_1234; words[18] = 0x7FFF_FF00
        for w in words { expected += le32(w) }
        #expect(pd.encoded() == expected)
        let back = try ProcessDescriptor.decode(expected)
        #expect(back == pd)
        #expect(back.threads[0].i386State?.eip == 0x4000_1234)
        #expect(back.threads[0].i386State?.trap == 14)
    }

    @Test func refusesWhatAKernelMustNotRun() {
        let good = Self.binaryBytes
        // Every proper prefix is truncated.
        for n in [0, 7, 43, 44, 60, good.count - 1] {
            #expect(throws: DescriptorError.self) { try ProcessDescriptor.decode(Array(good.prefix(n))) }
        }
        #expect(throws: DescriptorError.trailingBytes(1)) { try ProcessDescriptor.decode(good + [0]) }
        #expect((try? ProcessDescriptor.decode(good + [0], exact: false)) == Self.binary)
        var badMagic = good
        badMagic[6] = 0x41   // "i80386A\0": printable, still NUL-terminated: allowed
        #expect((try? ProcessDescriptor.decode(badMagic))?.architecture == "i80386A")
        badMagic[7] = 0x41   // no NUL in 8 bytes
        #expect(throws: DescriptorError.badMagic) { try ProcessDescriptor.decode(badMagic) }
        var gap = good
        gap[3] = 0           // "i80\0" then "86": a character after the padding
        #expect(throws: DescriptorError.badMagic) { try ProcessDescriptor.decode(gap) }
        // A thread length under 12, over 544, or short of its parts.
        let lengthAt = 44 + 4 * 32 + 4
        for bad: UInt32 in [11, 545, 16, 0xFFFF_FFFF] {
            var b = good
            b.replaceSubrange(lengthAt..<lengthAt + 4, with: le32(bad))
            #expect(throws: DescriptorError.self) { try ProcessDescriptor.decode(b) }
        }
        // Huge counts are refused before anything is read or allocated.
        var huge = good
        huge[40] = 0xFF; huge[41] = 0xFF
        #expect(throws: DescriptorError.truncated) { try ProcessDescriptor.decode(huge) }
    }

    @Test func commandNumbers() {
        #expect(ProcessCommand.stun.rawValue == 2300)
        #expect(ProcessCommand.exec.rawValue == 2303)
        #expect(ProcessCommand.checkpoint.rawValue == 2308)
        #expect(ProcessCommand.serverGetLoad.rawValue == 2312)
        #expect(ProcessCommand.allCases.count == 13)
        #expect(ExceptionNumber.memory.rawValue == -4)
        #expect(SegmentType.execStack.rawValue == 0x0200_0322)
    }
}
