// floors: the fastest a message can cross the link, to compare amunixd with.
//
//   floors packet-echo IFACE                 answer every test frame
//   floors packet-ping IFACE MAC SIZE COUNT [ACK]
//                                            frame ping-pong: p50/p99 µs; with
//                                            ACK `apart` or `with`, a third
//                                            frame per round as FLIP RPC's
//                                            acknowledgement (below)
//   floors packet-sink IFACE                 count streamed frames, ack the end
//   floors packet-stream IFACE MAC BYTES     stream BYTES in full frames: MB/s
//   floors udp-echo PORT
//   floors udp-ping HOST PORT SIZE COUNT
//   floors tcp-sink PORT FILE                write each connection's bytes to
//                                            FILE, fsync it, ack the count
//   floors tcp-send HOST PORT BYTES          send BYTES, wait for the ack: MB/s
//
// tcp-sink/tcp-send are the floor for `put` of a file: the same bytes over
// TCP on the same link, on disk (fsync) before the sender hears the end.
// Raw frames use AF_PACKET with an experimental EtherType (0x88b5), so they
// never meet amunixd's FLIP traffic. Output lines are machine-readable:
// "latency P50 P99" (µs) or "throughput MBPS" (10^6 bytes/s).
//
// A FLIP transaction crosses the link three times, not twice: the client
// acknowledges every reply. packet-ping's ACK argument adds that frame, so
// the floor of a three-frame exchange is measured too: `apart` sends it by
// itself as soon as the echo is read (one more send), `with` sends it
// together with the next ping through a transmit ring (TxRing.swift), one
// system call for both, as a FLIP endpoint does. The echo reads and
// drops it, as a server takes an acknowledgement.

import Glibc

let etherType: UInt16 = 0x88b5
let ackTag: UInt8 = 0xAA

func die(_ s: String) -> Never {
    let b = Array("floors: \(s)\n".utf8)
    _ = write(2, b, b.count)
    exit(1)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
}

func macBytes(_ text: String) -> [UInt8] {
    let p = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
    guard p.count == 6 else { die("bad MAC \(text)") }
    return p
}

func interfaceMAC(_ iface: String) -> [UInt8] {
    guard let f = fopen("/sys/class/net/\(iface)/address", "r") else { die("no interface \(iface)") }
    var line = [CChar](repeating: 0, count: 64)
    fgets(&line, 64, f)
    fclose(f)
    return macBytes(String(cString: line).split(separator: "\n").first.map(String.init) ?? "")
}

struct PacketSocket {
    let fd: Int32
    let ifindex: Int32

    init(_ iface: String) {
        fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(etherType.bigEndian))
        guard fd >= 0 else { die("AF_PACKET socket: \(String(cString: strerror(errno))) (root?)") }
        ifindex = Int32(if_nametoindex(iface))
        guard ifindex > 0 else { die("no interface \(iface)") }
        // struct sockaddr_ll (20 bytes), which Glibc's module does not export:
        // family u16, protocol u16 (network order), ifindex i32, hatype u16,
        // pkttype u8, halen u8, addr[8].
        var sll = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { for i in 0..<2 { sll[i] = $0[i] } }
        withUnsafeBytes(of: etherType.bigEndian) { for i in 0..<2 { sll[2 + i] = $0[i] } }
        withUnsafeBytes(of: ifindex) { for i in 0..<4 { sll[4 + i] = $0[i] } }
        let r = sll.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20)
        }
        guard r == 0 else { die("bind: \(String(cString: strerror(errno)))") }
        var size: Int32 = 8 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, 4)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, 4)
    }

    func send(_ frame: [UInt8]) {
        _ = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    func receive(_ buf: inout [UInt8]) -> Int {
        buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    }
}

func frame(to dst: [UInt8], from src: [UInt8], size: Int, tag: UInt8 = 0) -> [UInt8] {
    var f = dst + src + [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
    f += [UInt8](repeating: tag, count: max(46, size))
    return f
}

func report(_ samples: [Double]) {
    let s = samples.sorted()
    guard !s.isEmpty else { die("no samples") }
    print("latency \(s[s.count / 2]) \(s[min(s.count - 1, s.count * 99 / 100)])")
}

let args = CommandLine.arguments
guard args.count >= 2 else { die("usage: see the source") }
switch args[1] {
case "packet-echo":
    let s = PacketSocket(args[2])
    var buf = [UInt8](repeating: 0, count: 2048)
    var acks: UInt32 = 0
    while true {
        let n = s.receive(&buf)
        guard n >= 20 else { continue }
        if buf[14] == ackTag {
            acks &+= 1
            continue
        }
        // Every answer says how many ACK frames came before it, so that
        // packet-ping knows the floor it timed had all three frames.
        var f = Array(buf[0..<n])
        for i in 0..<6 { f.swapAt(i, i + 6) }
        withUnsafeBytes(of: acks.littleEndian) { for i in 0..<4 { f[16 + i] = $0[i] } }
        s.send(f)
    }
case "packet-ping":
    let s = PacketSocket(args[2])
    let me = interfaceMAC(args[2]), peer = macBytes(args[3])
    let size = Int(args[4])!, count = Int(args[5])!
    let ack = args.count > 6 ? args[6] : "none"
    guard ["none", "apart", "with"].contains(ack) else { die("ACK is apart or with, not \(ack)") }
    var ring = ack == "with" ? TxRing(args[2]) : nil
    let f = frame(to: peer, from: me, size: size)
    let a = frame(to: peer, from: me, size: 46, tag: ackTag)
    var buf = [UInt8](repeating: 0, count: 2048)
    var samples: [Double] = []
    for i in 0..<(count + 200) {
        let t0 = now()
        if ack == "with" && i > 0 { ring!.send(a, f) } else { s.send(f) }
        while true {
            let n = s.receive(&buf)
            if n >= 14 && buf[0..<6].elementsEqual(me) { break }
        }
        if ack == "apart" { s.send(a) }
        if i >= 200 { samples.append(now() - t0) }
    }
    if ack != "none" {
        // Each round's ping follows the ACKs of all rounds before it.
        let seen = (0..<4).reduce(0) { $0 | Int(buf[16 + $1]) << (8 * $1) }
        let sent = count + 199
        guard seen == sent else { die("the echo saw \(seen) of \(sent) ACK frames: not a three-frame floor") }
    }
    report(samples)
case "packet-sink":
    let s = PacketSocket(args[2])
    let me = interfaceMAC(args[2])
    var buf = [UInt8](repeating: 0, count: 2048)
    var bytes = 0
    while true {
        let n = s.receive(&buf)
        guard n >= 15 else { continue }
        if buf[14] == 0xEE {
            // End marker: answer with the byte count, then start over.
            let peer = Array(buf[6..<12])
            var ack = frame(to: peer, from: me, size: 46, tag: 0xAC)
            withUnsafeBytes(of: UInt64(bytes).littleEndian) { for (i, b) in $0.enumerated() { ack[15 + i] = b } }
            s.send(ack)
            bytes = 0
        } else if buf[14] == 0xDA {
            bytes += n - 14
        }
    }
case "packet-stream":
    let s = PacketSocket(args[2])
    let me = interfaceMAC(args[2]), peer = macBytes(args[3])
    let total = Int(args[4])!
    let f = frame(to: peer, from: me, size: 1500, tag: 0xDA)
    var buf = [UInt8](repeating: 0, count: 2048)
    let t0 = now()
    var sent = 0
    while sent < total {
        s.send(f)
        sent += 1500
    }
    let end = frame(to: peer, from: me, size: 46, tag: 0xEE)
    var received = 0
    ackWait: while true {
        s.send(end)
        var pfd = pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, 200) > 0 {
            let n = s.receive(&buf)
            if n >= 23 && buf[14] == 0xAC {
                received = buf[15..<23].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
                break ackWait
            }
        }
    }
    let dt = now() - t0
    print("throughput \(Double(received) / dt) received \(received) of \(sent)")
case "udp-echo":
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = UInt16(args[2])!.bigEndian
    _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 16) } }
    var buf = [UInt8](repeating: 0, count: 65536)
    var from = sockaddr_in()
    var len = socklen_t(16)
    while true {
        let n = withUnsafeMutablePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buf, buf.count, 0, $0, &len) }
        }
        guard n >= 0 else { continue }
        _ = withUnsafePointer(to: &from) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buf, n, 0, $0, len) }
        }
    }
case "udp-ping":
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_port = UInt16(args[3])!.bigEndian
    inet_pton(AF_INET, args[2], &a.sin_addr)
    _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, 16) } }
    let size = Int(args[4])!, count = Int(args[5])!
    let msg = [UInt8](repeating: 7, count: size)
    var buf = [UInt8](repeating: 0, count: 65536)
    var samples: [Double] = []
    for i in 0..<(count + 200) {
        let t0 = now()
        _ = send(fd, msg, msg.count, 0)
        _ = recv(fd, &buf, buf.count, 0)
        if i >= 200 { samples.append(now() - t0) }
    }
    report(samples)
case "tcp-sink":
    tcpSink(port: UInt16(args[2])!, file: args[3])
case "tcp-send":
    tcpSend(host: args[2], port: UInt16(args[3])!, bytes: Int(args[4])!)
default:
    die("unknown mode \(args[1])")
}
