// get's output: every byte arrives in order, a regular file has its
// writeback started as it grows (so a sync at the end has little left),
// and a pipe takes the bytes and nothing else.

import AmoebaCore
import Foundation
import ShellSupport
import Testing

private func pieces() -> [[UInt8]] {
    (0..<7).map { k in (0..<(1000 + k * 333)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ k) } }
}

@Test func aFileGetsEveryPieceAndItsWritebackStartedAsItGrows() throws {
    let path = NSTemporaryDirectory() + "streaming-output-\(getpid())"
    defer { unlink(path) }
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    #expect(fd >= 0)
    defer { close(fd) }
    var out = StreamingOutput(descriptor: fd, writebackChunk: 4096)
    for p in pieces() { try out.write(p) }
    let all = pieces().flatMap { $0 }
    #expect(out.written == all.count)
    // Every whole chunk's worth was handed to the disk; only the tail waits.
    #expect(out.writebackStarted > 0)
    #expect(all.count - out.writebackStarted < 4096 + 3000)
    #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == all)
}

@Test func aPipeGetsTheBytesAndNoWriteback() throws {
    var ends: [Int32] = [0, 0]
    #expect(pipe(&ends) == 0)
    defer { close(ends[0]) }
    var out = StreamingOutput(descriptor: ends[1], writebackChunk: 16)
    let piece: [UInt8] = Array(0..<200)
    try out.write(piece)
    close(ends[1])
    var got = [UInt8](repeating: 0, count: 400)
    let n = read(ends[0], &got, 400)
    #expect(n == 200)
    #expect(Array(got[0..<200]) == piece)
    #expect(out.writebackStarted == 0)
}

@Test func aClosedOutputIsASystemErrorNotACrash() throws {
    var ends: [Int32] = [0, 0]
    #expect(pipe(&ends) == 0)
    close(ends[0])
    defer { close(ends[1]) }
    // Ignored here, so that the write fails with EPIPE rather than end the
    // test runner (get itself, like cat, ends by the signal in `get | head`).
    let old = signal(SIGPIPE, SIG_IGN)
    defer { signal(SIGPIPE, old) }
    var out = StreamingOutput(descriptor: ends[1])
    #expect(throws: ErrorCode.systemError) { try out.write([1, 2, 3]) }
}
