// A daemon on a keyed link and a peer whose clock is wrong: the peer's
// datagrams are refused, and the daemon says why in its log (otherwise the
// peer would just be silent).

import AmoebaCore
@testable import AmunixDaemon
import DaemonTestSupport
import FLIP
import Foundation
import Logging
import SegmentSeal
import Testing

/// The warnings a daemon logs, kept for the test to read.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String] = []
    func add(_ line: String) { lock.lock(); kept.append(line); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return kept }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLog
    var logLevel: Logger.Level = .warning
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        sink.add(message.description)
    }
}

@Suite struct SealedLinkDaemonTests {
    @Test func aPeerOffTheClockIsRefusedAndTheLogSaysWhy() throws {
        let dir = NSTemporaryDirectory() + "amunix-sealed-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (base, peerPort) = FreeUDPPorts.pair()
        let keyPath = dir + "/segment.key"
        var config = DaemonConfiguration(links: [try LinkSpec(parsing: "udp:\(base):127.0.0.1:\(peerPort),key=\(keyPath)")],
                                         socketPath: dir + "/amunixd.sock", stateDirectory: dir, hostName: "t")
        config.seed = 5
        config.hostsServers = false
        let captured = CapturedLog()
        let logger = Logger(label: "test") { _ in CapturingLogHandler(sink: captured) }
        let running = try RunningDaemon(config, logger: logger)
        defer { #expect(running.stop()) }
        // The peer seals by hand, with a clock 40 s behind, and sends the
        // datagrams as they are on an unkeyed socket.
        let key = try SegmentKey.load(path: keyPath)
        let behind = SealClock.microseconds - 40_000_000
        var skewed = SegmentSeal(segmentKey: key.bytes, senderID: 77, now: behind)
        let me = EthernetAddress(bytes: [2, 0, 0, 0, 0, 0x78])!
        let peer = try UDPLink(name: "peer", localPort: UInt16(peerPort), remoteHost: "127.0.0.1",
                               remotePort: UInt16(base), mac: me)
        defer { peer.close() }
        let h = FLIPHeader(type: .unidata, maximumHops: 6, destination: FLIPAddress(hex: "00112233445566aa")!,
                           source: FLIPAddress(hex: "0a0b0c0d0e0f1000")!, messageID: 9, length: 1, total: 1)
        let frame = EthernetFrame(destination: .broadcast, source: me, control: FragmentControl(type: .data),
                                  flip: h, data: [42]).encoded()
        var told: String?
        for _ in 0..<300 where told == nil {
            peer.send(skewed.seal(frame, now: behind))
            peer.flush()
            usleep(10000)
            told = captured.lines.first { $0.contains("more than 30 s off this host's clock") }
        }
        let line = try #require(told)
        #expect(line.hasPrefix("udp:\(base):127.0.0.1:\(peerPort),key="))
        // Told once, not once per datagram.
        #expect(captured.lines.filter { $0.contains("30 s off") }.count == 1)
    }
}
