// The initial stack against Amoeba's layout worked out by hand, the exec
// plan's refusals (what a proc server answers STD_ARGBAD), and the binary
// file acv writes.

import AmoebaCore
import ProcessDescriptor
import Testing

@Suite struct InitialStackTests {
    func word(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    @Test func layoutByHand() throws {
        // 128 bytes at 0x1000. Top down: the capability (16) at 0x70, its
        // name "ROOT\0" at 0x6B; pointers below: 0x6B & 3 = 3 pad -> 0x68,
        // two NULLs -> 0x60, the pair {name, cap} -> 0x58 = capv.
        // envp: "E=1\0" at 0x54, pad 0, NULL at 0x50, pointer at 0x4C = envp.
        // argv: "b\0" at 0x4A, "a\0" at 0x48, pad 0, NULL 0x44, ptrs 0x3C = argv.
        // Then capv, envp, argv pointers and argc: sp = 0x2C.
        let cap = Capability(bytes: Array(1...16))!
        let s = try InitialStack(start: 0x1000, length: 128, arguments: ["a", "b"], environment: ["E=1"],
                                 capabilities: [("ROOT", cap)])
        let b = s.bytes
        #expect(s.stackPointer == 0x102C)
        #expect(word(b, 0x2C) == 2)
        #expect(word(b, 0x30) == 0x103C)
        #expect(word(b, 0x34) == 0x104C)
        #expect(word(b, 0x38) == 0x1058)
        #expect(word(b, 0x3C) == 0x1048 && word(b, 0x40) == 0x104A && word(b, 0x44) == 0)
        #expect(Array(b[0x48..<0x4C]) == [0x61, 0, 0x62, 0])
        #expect(word(b, 0x4C) == 0x1054 && word(b, 0x50) == 0)
        #expect(Array(b[0x54..<0x58]) == Array("E=1".utf8) + [0])
        #expect(word(b, 0x58) == 0x106B && word(b, 0x5C) == 0x1070)
        #expect(word(b, 0x60) == 0 && word(b, 0x64) == 0)
        #expect(Array(b[0x6B..<0x70]) == Array("ROOT".utf8) + [0])
        #expect(Array(b[0x70..<0x80]) == cap.bytes)
    }

    @Test func tooSmallIsRefused() {
        #expect(throws: InitialStack.BuildError.tooSmall) {
            try InitialStack(start: 0, length: 32, arguments: ["a long argument"], environment: [], capabilities: [])
        }
    }
}

@Suite struct ExecPlanTests {
    static let good = ProcessDescriptor(
        segments: [
            ProcessSegment(capability: Capability(bytes: Array(1...16))!, offset: 192, address: 0x4000_0000,
                           length: 0x1234, type: .binaryText),
            ProcessSegment(address: 0x4000_2000, length: 0x1000, type: .binaryBSS),
            ProcessSegment(address: 0, length: 0, type: .binaryStack),
            ProcessSegment(address: 0x4000_9000, length: 0x1000, type: .symbolTable),
        ],
        threads: [.idle(pc: 0x4000_0000, sp: 0x7FFF_FF00)])

    func plan(_ pd: ProcessDescriptor, pages: Int = 100) throws(ExecRefusal) -> ExecPlan {
        try ExecPlan(pd, userBase: 0x4000_0000, userEnd: 0x8000_0000, maximumPages: pages)
    }

    @Test func mapsWhatTheKernelShould() throws {
        let p = try plan(Self.good)
        // The empty stack and the symbol table are not mapped; text is rounded up and read-only.
        #expect(p.pieces.map(\.segment) == [0, 1])
        #expect(p.pieces[0].length == 0x2000 && !p.pieces[0].writable && p.pieces[0].sourceLength == 0x1234)
        #expect(p.pieces[1].writable && p.pieces[1].source == .null)
        #expect(p.pc == 0x4000_0000 && p.sp == 0x7FFF_FF00 && p.pages == 3)
    }

    @Test func continuedThreadsKeepTheirRegisters() throws {
        var pd = Self.good
        var frame = I386ThreadState()
        frame.eip = 0x4000_0123
        frame.esp = 0x7FFE_FF00
        let stunned = ThreadDescriptor(state: [.stunned], extra: [.kernelState, .userState], userState: frame.bytes)
        pd.threads = [stunned, stunned]
        let p = try plan(pd)
        #expect(p.continued == [frame, frame] && p.pieces.map(\.segment) == [0, 1])
        #expect(try plan(Self.good).continued.isEmpty)
        // With the floating-point image after the frame.
        let withFPU = I386ThreadState(words: frame.words, floatingPoint: (0..<288).map { UInt8($0 & 0xFF) })
        pd.threads = [ThreadDescriptor(state: [.stunned], extra: [.kernelState, .userState], userState: withFPU.bytes)]
        #expect(try plan(pd).continued == [withFPU] && pd.threads[0].length == 400)
        #expect(try ProcessDescriptor.decode(pd.encoded()) == pd)
        // A frame of the wrong size, an idle part beside it, or too many threads.
        pd.threads = [ThreadDescriptor(extra: [.kernelState, .userState], userState: [1, 2, 3])]
        #expect(throws: ExecRefusal.badThread) { try plan(pd) }
        pd.threads = [ThreadDescriptor(extra: [.idle, .kernelState, .userState], userState: frame.bytes)]
        #expect(throws: ExecRefusal.badThread) { try plan(pd) }
        pd.threads = [ThreadDescriptor](repeating: stunned, count: ExecPlan.maximumContinuedThreads + 1)
        #expect(throws: ExecRefusal.badThread) { try plan(pd) }
    }

    @Test func refusals() {
        var pd = Self.good
        pd.architecture = "mc68000"
        #expect(throws: ExecRefusal.wrongArchitecture) { try plan(pd) }
        pd = Self.good; pd.threads = []
        #expect(throws: ExecRefusal.badThread) { try plan(pd) }
        pd = Self.good; pd.threads[0].extra = [.kernelState, .userState]
        #expect(throws: ExecRefusal.badThread) { try plan(pd) }
        pd = Self.good; pd.segments = []
        #expect(throws: ExecRefusal.noSegments) { try plan(pd) }
        pd = Self.good; pd.segments[1].address = 0x4000_2010
        #expect(throws: ExecRefusal.misaligned(segment: 1)) { try plan(pd) }
        pd = Self.good; pd.segments[1].address = 0x1000
        #expect(throws: ExecRefusal.outsideUserSpace(segment: 1)) { try plan(pd) }
        pd = Self.good; pd.segments[1].address = 0x7FFF_F000; pd.segments[1].length = 0x2000
        #expect(throws: ExecRefusal.outsideUserSpace(segment: 1)) { try plan(pd) }
        pd = Self.good; pd.segments[1].address = 0x4000_1000
        #expect(throws: ExecRefusal.overlapping(segment: 1)) { try plan(pd) }
        pd = Self.good; pd.segments[1].length = 0x3FFF_0000
        #expect(throws: ExecRefusal.tooBig) { try plan(pd) }
    }
}

@Suite struct AmoebaBinaryTests {
    @Test func descriptorThenTextThenData() throws {
        let text = [UInt8](repeating: 0x90, count: 5000)
        let data: [UInt8] = [1, 2, 3] + [UInt8](repeating: 0, count: 100)   // trailing zeros are not stored
        let file = try AmoebaBinary.build(entry: 0x4000_0010, textAddress: 0x4000_0000, text: text,
                                          dataAddress: 0x4000_2000, data: data, dataMemorySize: 0x3000, extraBSS: 0x1000)
        #expect(file.count == 192 + 5000 + 3)
        let cap = Capability(bytes: Array(1...16))!
        let pd = try AmoebaBinary.descriptor(of: file, file: cap)
        #expect(pd.segments.count == 4 && pd.threads == [.idle(pc: 0x4000_0010, sp: 0)])
        #expect(pd.segments[0] == ProcessSegment(capability: cap, offset: 192, address: 0x4000_0000, length: 5000, type: .binaryText))
        #expect(pd.segments[1] == ProcessSegment(capability: cap, offset: 5192, address: 0x4000_2000, length: 3, type: .binaryData))
        // BSS from the page after the data's first page to the end of its memory, plus the extra.
        #expect(pd.segments[2] == ProcessSegment(address: 0x4000_3000, length: 0x2000 + 0x1000, type: .binaryBSS))
        #expect(pd.segments[3].type == .binaryStack && pd.segments[3].capability == .null)
        #expect(Array(file[192..<5192]) == text && Array(file[5192...]) == [1, 2, 3])
        #expect((try? ExecPlan(pd, userBase: 0x4000_0000, userEnd: 0x8000_0000, maximumPages: 100)) != nil)
    }
}
