// Issue 10, item 9: a program's timeout bounds its call even when its own
// daemon never answers (stopped with SIGSTOP, or wedged): here a socket
// that accepts the connection and then says nothing.

import AmoebaCore
@testable import Amunix
import Foundation
import Testing

@Suite struct ClientDeadlineTests {
    /// A Unix socket that accepts and never answers; returns its path and
    /// the listening descriptor.
    func silentDaemon() -> (String, Int32) {
        let path = NSTemporaryDirectory() + "silent-\(getpid()).sock"
        unlink(path)
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
            raw[path.utf8.count] = 0
        }
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        listen(s, 4)
        return (path, s)
    }

    @Test func aTimeoutEndsTheCallWhenTheDaemonIsSilent() throws {
        let (path, listener) = silentDaemon()
        defer { close(listener); unlink(path) }
        let conn = try AmunixConnection(path: path)
        let header = Header(port: Port(hex: "010203040506")!, command: 1)
        #expect(throws: AmunixError.rpc(.rpcFailure)) { try conn.trans(header, timeout: .milliseconds(100)) }
        // Several threads at once: the reader and the waiters all give up.
        let group = DispatchGroup()
        let failures = Locked(0)
        for _ in 0..<4 {
            group.enter()
            Thread {
                if (try? conn.trans(header, timeout: .milliseconds(100))) == nil { failures.add(1) }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 30) == .success, "a call hung past its timeout")
        #expect(failures.value == 4)
    }
}

final class Locked: @unchecked Sendable {
    private let lock = NSLock()
    private var v: Int
    init(_ v: Int) { self.v = v }
    func add(_ n: Int) { lock.lock(); v += n; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return v }
}
