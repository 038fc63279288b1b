// rpc_bench seal: what a keyed link's seal costs per frame, alone.
//
// One sender seals frames of the given size and one receiver opens them,
// as two daemons on a keyed segment do; the figure is the CPU time of both
// together per frame, the price a keyed link adds to every frame on top of
// the socket's. Each datagram is opened once, in order, so the replay
// window is on the path too.

import ArgumentParser
import Foundation
import SegmentSeal

struct Seal: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time sealing and opening one keyed-segment datagram (no I/O).")
    @Option(help: "Bytes per frame.") var size: Int = 1514
    @Option(help: "Frames in all.") var count: Int = 200_000
    @Flag(help: "Print one machine-readable line: ns_per_frame.") var brief = false

    func validate() throws {
        guard size > 0, size <= 65_000 else { throw ValidationError("--size must be 1 to 65000") }
        guard count > 0 else { throw ValidationError("--count must be positive") }
    }

    func run() throws {
        let key = [UInt8](repeating: 0x42, count: 32)
        var now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        var sender = SegmentSeal(segmentKey: key, senderID: 1, now: now)
        var receiver = SegmentSeal(segmentKey: key, senderID: 2, now: now)
        let frame = (0..<size).map { UInt8(truncatingIfNeeded: $0) }
        var check = 0
        let start = cpuMicroseconds()
        for _ in 0..<count {
            now += 1
            let d = sender.seal(frame, now: now)
            guard let opened = try? receiver.open(d, now: now) else { throw CoreBenchError(description: "a datagram did not open") }
            check &+= Int(opened[opened.count - 1])
        }
        let nanoseconds = Double(cpuMicroseconds() - start) * 1000 / Double(count)
        guard check == count * Int(frame[size - 1]) else { throw CoreBenchError(description: "a frame came back wrong") }
        if brief {
            print(String(format: "%.0f", nanoseconds))
        } else {
            print(String(format: "%d frames of %d bytes: %.0f ns CPU each to seal and open (%.2f ns a byte)",
                         count, size, nanoseconds, nanoseconds / Double(size)))
        }
    }
}
