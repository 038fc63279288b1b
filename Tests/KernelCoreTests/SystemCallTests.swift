// The system call numbers are the ABI between every user binary ever built
// (Amoeba binaries in /bin included) and the kernel: they may grow, never move.
import Testing
@testable import KernelCore

@Test func systemCallNumbersNeverMove() {
    let numbers: [(SystemCall, UInt32)] = [
        (.exit, 1), (.trans, 2), (.yield, 3), (.sleep, 4), (.allocateSegment, 5), (.getRequest, 6),
        (.putReply, 7), (.createThread, 8), (.exitThread, 9), (.awaitInterrupt, 10), (.replyAndReceive, 11),
        (.createSegment, 20), (.mapSegment, 21), (.unmapSegment, 22), (.allocateStack, 23),
        (.catchSignal, 30), (.raiseSignal, 31), (.returnFromSignal, 32),
        (.createSync, 40), (.waitSync, 41), (.postSync, 42), (.destroySync, 43),
    ]
    for (call, number) in numbers { #expect(call.rawValue == number, "\(call)") }
    #expect(SystemCall.allCases.count == numbers.count)
    // What the fuzzer and the fault test use as "no such call".
    #expect(SystemCall(rawValue: 0) == nil)
    #expect(SystemCall(rawValue: 99) == nil)
    #expect((33...39).allSatisfy { SystemCall(rawValue: $0) == nil })
    #expect((44...232).allSatisfy { SystemCall(rawValue: $0) == nil })
}
