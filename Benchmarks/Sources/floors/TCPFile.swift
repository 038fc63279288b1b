// The floor for moving a file between two hosts: a TCP stream over the same
// link, written to a file and fsynced before the receiver acknowledges the
// byte count, so the sender's clock stops only once the bytes are on disk,
// as `put`'s stops only once the file server has committed the file.

import Glibc

private let chunk = 1 << 20

private func inetAddress(_ host: String, _ port: UInt16) -> sockaddr_in {
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = port.bigEndian
    if inet_pton(AF_INET, host, &a.sin_addr) != 1 { die("bad address \(host)") }
    return a
}

/// Writes all of `count` bytes from `base` to `fd`.
private func writeAll(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let n = write(fd, base + done, count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        done += n
    }
    return true
}

/// Serves connections one after another: each one's bytes replace FILE,
/// which is fsynced before the 8-byte count goes back.
func tcpSink(port: UInt16, file: String) -> Never {
    let ls = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, 4)
    var a = inetAddress("0.0.0.0", port)
    let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(ls, $0, 16) } }
    guard r == 0, listen(ls, 4) == 0 else { die("bind/listen: \(String(cString: strerror(errno)))") }
    let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
    while true {
        let c = accept(ls, nil, nil)
        guard c >= 0 else { continue }
        let out = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard out >= 0 else { die("open \(file): \(String(cString: strerror(errno)))") }
        var total: UInt64 = 0
        while true {
            let n = read(c, buf, chunk)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            guard writeAll(out, buf, n) else { die("write \(file): \(String(cString: strerror(errno)))") }
            total += UInt64(n)
        }
        guard fsync(out) == 0 else { die("fsync \(file): \(String(cString: strerror(errno)))") }
        close(out)
        var ack = total.littleEndian
        _ = withUnsafeBytes(of: &ack) { writeAll(c, $0.baseAddress!, 8) }
        close(c)
    }
}

/// Sends `bytes` and waits for the sink's count: prints
/// "throughput MBPS received N of BYTES".
func tcpSend(host: String, port: UInt16, bytes: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var a = inetAddress(host, port)
    let t0 = now()
    let r = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, 16) } }
    guard r == 0 else { die("connect: \(String(cString: strerror(errno)))") }
    let buf = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
    buf.initializeMemory(as: UInt8.self, repeating: 0x5A, count: chunk)
    var sent = 0
    while sent < bytes {
        let n = min(chunk, bytes - sent)
        guard writeAll(fd, buf, n) else { die("send: \(String(cString: strerror(errno)))") }
        sent += n
    }
    shutdown(fd, Int32(SHUT_WR))
    var ack: UInt64 = 0
    var got = 0
    while got < 8 {
        let n = withUnsafeMutableBytes(of: &ack) { read(fd, $0.baseAddress! + got, 8 - got) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { die("no acknowledgement from the sink") }
        got += n
    }
    let dt = now() - t0
    let received = Int(UInt64(littleEndian: ack))
    print("throughput \(Double(received) / dt) received \(received) of \(sent)")
}
