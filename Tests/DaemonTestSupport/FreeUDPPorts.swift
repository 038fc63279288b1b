// UDP ports on loopback for a test's links, chosen by the kernel.
//
// Tests run in parallel in one process, and ports made from the process
// id by hand overlapped from one suite to the next (one suite's range
// ran through another's), so now and then two tests bound the same port
// and one failed with EADDRINUSE. The kernel knows which ports are free:
// each port here is one it gave a socket bound to port 0, all held until
// every one is chosen (so they differ), then let go for the test to bind.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum FreeUDPPorts {
    /// `count` distinct UDP ports on 127.0.0.1 that were free a moment ago.
    public static func take(_ count: Int) -> [Int] {
        var sockets: [Int32] = []
        var ports: [Int] = []
        defer { for s in sockets { close(s) } }
        while ports.count < count {
            let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            precondition(s >= 0, "FreeUDPPorts: no socket")
            sockets.append(s)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(s, $0, length) == 0 && getsockname(s, $0, &length) == 0
                }
            }
            precondition(bound, "FreeUDPPorts: bind to port 0 failed")
            ports.append(Int(UInt16(bigEndian: a.sin_port)))
        }
        return ports
    }

    /// Two ports for a point-to-point wire.
    public static func pair() -> (Int, Int) {
        let p = take(2)
        return (p[0], p[1])
    }
}
