// A real daemon's frames on a link it trusts and on one it does not. The
// test plays the other end of a udp: link, sends the daemon a packet for
// an address nobody has, and reads the NOTHERE that comes back: without
// UNSAFE from a trusted link, with it from an untrusted one, and never
// shorter than the Ethernet minimum. A keyed link is trusted by default.

import AmoebaCore
@testable import AmunixDaemon
import DaemonTestSupport
import FLIP
import Foundation
import Logging
import Testing

@Suite(.serialized) struct LinkTrustTests {
    func notHere(trusted: String?, keyed: Bool = false, portOffset: Int) throws -> [UInt8]? {
        let dir = NSTemporaryDirectory() + "amunix-trust-\(portOffset)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (base, peerPort) = FreeUDPPorts.pair()
        let keyPath = dir + "/segment.key"
        let option = (trusted.map { ",trusted=\($0)" } ?? "") + (keyed ? ",key=\(keyPath)" : "")
        var config = DaemonConfiguration(links: [try LinkSpec(parsing: "udp:\(base):127.0.0.1:\(peerPort)\(option)")],
                                         socketPath: dir + "/amunixd.sock", stateDirectory: dir, hostName: "t")
        config.seed = 5
        config.hostsServers = false
        let running = try RunningDaemon(config)
        defer { #expect(running.stop()) }
        let me = EthernetAddress(bytes: [2, 0, 0, 0, 0, 0x77])!
        let peer = try UDPLink(name: "peer", localPort: UInt16(peerPort), remoteHost: "127.0.0.1",
                               remotePort: UInt16(base), mac: me, keyPath: keyed ? keyPath : nil)
        defer { peer.close() }
        let h = FLIPHeader(type: .unidata, maximumHops: 6, destination: FLIPAddress(hex: "00112233445566aa")!,
                           source: FLIPAddress(hex: "0a0b0c0d0e0f1000")!, messageID: 9, length: 1, total: 1)
        let frame = EthernetFrame(destination: .broadcast, source: me, control: FragmentControl(type: .data),
                                  flip: h, data: [42]).encoded()
        for _ in 0..<400 {
            peer.send(frame)
            peer.flush()
            var answer: [UInt8]?
            for _ in 0..<10 {
                usleep(5000)
                peer.receiveAll { bytes in
                    if let f = try? EthernetFrame.decode(bytes), f.flip?.packetType == .notHere { answer = bytes }
                }
                if answer != nil { return answer }
            }
        }
        return nil
    }

    @Test(arguments: [("yes", 0, false), ("no", 1, true), (nil, 2, true)] as [(String?, Int, Bool)])
    func unsafeOnlyFromAnUntrustedLink(_ trusted: String?, _ offset: Int, _ unsafe: Bool) throws {
        let bytes = try #require(try notHere(trusted: trusted, portOffset: offset))
        #expect(bytes.count >= EthernetFrame.minimumSize)
        let f = try EthernetFrame.decode(bytes)
        #expect(f.flip!.flags.contains(.unsafe) == unsafe, "trusted=\(trusted ?? "default")")
        #expect(f.data == [42])
    }

    @Test(arguments: [(nil, 3, false), ("no", 4, true)] as [(String?, Int, Bool)])
    func aKeyedLinkIsTrustedUnlessTold(_ trusted: String?, _ offset: Int, _ unsafe: Bool) throws {
        let bytes = try #require(try notHere(trusted: trusted, keyed: true, portOffset: offset))
        let f = try EthernetFrame.decode(bytes)
        #expect(f.flip!.flags.contains(.unsafe) == unsafe, "keyed, trusted=\(trusted ?? "default")")
        #expect(f.data == [42])
    }
}
