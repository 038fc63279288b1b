// The host's identity survives a restart (issue 10, item 9), and what
// amunixd writes to its state folder is its owner's alone (item 5).

import AmoebaCore
import Amunix
@testable import AmunixDaemon
import DaemonTestSupport
import Foundation
import Logging
import Testing

@Suite(.serialized) struct HostSecretTests {
    /// A daemon on a port of its own each time: what a restart must keep
    /// is the state folder's, not the port (a port closed and bound again
    /// at once can still be held a moment by a process another test of
    /// this runner starts, SocketReleaseTests' for one).
    func start(_ dir: String) throws -> Daemon {
        let port = FreeUDPPorts.take(1)[0]
        var c = DaemonConfiguration(links: [try LinkSpec(parsing: "udp:\(port):127.0.0.1:\(port + 1)")],
                                    socketPath: dir + "/amunixd.sock", stateDirectory: dir + "/state", hostName: "h")
        c.seed = nil
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return try Daemon(configuration: c, logger: logger)
    }

    func stop(_ d: Daemon) {
        d.requestStop()
        d.run()
    }

    func mode(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_mode & 0o777)
    }

    @Test func theHostCapabilityIsTheSameAfterARestart() throws {
        let dir = NSTemporaryDirectory() + "amunix-hostsecret-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try start(dir)
        let caps = HostedKind.allCases.map { first.hostServers.object($0).capability }
        #expect(mode(dir + "/state") == 0o700)
        #expect(mode(dir + "/state/hostsecret") == 0o600)
        #expect(mode(dir + "/state/host.cap") == 0o600)
        stop(first)
        let second = try start(dir)
        #expect(HostedKind.allCases.map { second.hostServers.object($0).capability } == caps)
        stop(second)
        // A malformed secret is replaced, not trusted.
        try "host zz:zz\n".write(toFile: dir + "/state/hostsecret", atomically: true, encoding: .utf8)
        let third = try start(dir)
        #expect(third.hostServers.object(.host).capability != caps[0])
        stop(third)
    }

    @Test func theSecretFileRoundTrips() {
        var g = SystemRandomNumberGenerator()
        let dir = NSTemporaryDirectory() + "amunix-hostsecret2-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ids = HostSecret.identities(in: dir, using: &g, warn: { _ in })
        #expect(HostSecret.parse(HostSecret.format(ids)) == ids)
        #expect(HostSecret.parse("host 010203040506:0a0b0c0d0e0f\n") == nil, "every server must be there")
    }

    /// Issue 10, item 9: a peer's route names the MAC; a restart that
    /// changed it made the peer's first call wait out its timeout (20 s).
    @Test func theLinkAddressesAreTheSameAfterARestart() throws {
        let dir = NSTemporaryDirectory() + "amunix-linkmac-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try start(dir)
        let macs = first.links.map(\.mac)
        stop(first)
        let second = try start(dir)
        #expect(second.links.map(\.mac) == macs)
        stop(second)
        #expect(mode(dir + "/state/mac") == 0o600)
        // A malformed file is replaced; a group or universal address is not taken.
        try "01:00:5e:00:00:01\n".write(toFile: dir + "/state/mac", atomically: true, encoding: .utf8)
        let third = try start(dir)
        #expect(third.links.map(\.mac) != macs)
        #expect(third.links.allSatisfy { $0.mac.bytes[0] & 0x03 == 0x02 })
        stop(third)
    }

    @Test func linkAddressesCountFromTheBase() {
        let base = LinkAddresses.parse("02:aa:bb:cc:dd:fe")!
        #expect(LinkAddresses.format(base) == "02:aa:bb:cc:dd:fe")
        #expect(LinkAddresses.format(LinkAddresses.address(base, link: 1)) == "02:aa:bb:cc:dd:ff")
        #expect(LinkAddresses.format(LinkAddresses.address(base, link: 2)) == "02:aa:bb:cc:dd:00")
        #expect(LinkAddresses.parse("02:aa:bb:cc:dd") == nil)
        #expect(LinkAddresses.parse("03:aa:bb:cc:dd:ee") == nil)
        #expect(LinkAddresses.parse("00:aa:bb:cc:dd:ee") == nil)
    }
}
