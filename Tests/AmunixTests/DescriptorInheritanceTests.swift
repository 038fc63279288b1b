// A program started while a link is open does not inherit the link's
// socket. Without close-on-exec every descriptor of ours went to each
// child a process spawned (a test runner's other tests, a tool starting
// a program), and a closed link's port stayed bound for the child's whole
// life: a daemon restarted on the same port then failed with EADDRINUSE.

import AmunixDaemon
import FLIP
import DaemonTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct DescriptorInheritanceTests {
    /// Starts `sleep` with every descriptor the process has that is not
    /// close-on-exec (posix_spawn with no file actions, as a careless
    /// program would).
    func spawnSleeper() throws -> pid_t {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("30"), nil]
        defer { for a in argv { free(a) } }
        let r = posix_spawn(&pid, "/bin/sleep", nil, nil, &argv, environ)
        try #require(r == 0)
        return pid
    }

    func bindUDP(_ port: UInt16) -> Int32 {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 {
            close(s)
            return -1
        }
        return s
    }

    @Test func aClosedLinksPortIsFreeWhileAChildStartedMeanwhileLives() throws {
        let port = UInt16(FreeUDPPorts.take(1)[0])
        let link = try UDPLink(name: "a", localPort: port, remoteHost: "127.0.0.1", remotePort: port + 1,
                               mac: EthernetAddress(bytes: [2, 0, 0, 0, 0, 1])!)
        #expect(fcntl(link.pollDescriptor, F_GETFD) & FD_CLOEXEC != 0)
        let child = try spawnSleeper()
        defer {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
        }
        link.close()
        // A process another test of this runner starts without exec (a
        // clone: SocketReleaseTests') holds a copy of every descriptor for
        // a moment; the child here lives 30 s.
        var again = bindUDP(port)
        for _ in 0..<100 where again < 0 {
            usleep(20_000)
            again = bindUDP(port)
        }
        #expect(again >= 0, "the port is still bound: the child holds the link's socket")
        if again >= 0 { close(again) }
    }

    @Test func anEndpointsPacketSocketIsNotInherited() throws {
        // Raw sockets need root (CAP_NET_RAW); the suite runs as root in CI.
        guard geteuid() == 0 else { return }
        let link = try PacketSocketLink(name: "pcap:lo", interface: "lo",
                                        mac: EthernetAddress(bytes: [2, 0, 0, 0, 0x0c, 1])!)
        defer { link.close() }
        #expect(fcntl(link.pollDescriptor, F_GETFD) & FD_CLOEXEC != 0)
    }
}
