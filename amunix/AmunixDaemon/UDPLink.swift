// Ethernet in UDP: one Ethernet frame per datagram.
//
// This is how several daemons (and QEMU guests) share an Ethernet segment
// on one machine without root. Two forms, matching QEMU's:
//   udp:LOCALPORT:REMOTEHOST:REMOTEPORT  a point-to-point wire, like
//       `-netdev dgram,local.type=inet,local.port=..,remote.port=..`
//   mcast:GROUP:PORT                     a shared segment, like
//       `-netdev socket,mcast=GROUP:PORT`: every member hears every frame,
//       its own included (so our own frames are filtered out by MAC).
//
// With a key (`key=FILE`) every datagram is sealed (SegmentSeal): the frame
// enciphered and authenticated, 29 bytes added; what does not open, or was
// taken before, is dropped and counted before the node sees it.

import FLIP
import SegmentSeal
#if canImport(Glibc)
import Glibc
#endif

public final class UDPLink: Link {
    public let name: String
    public let mac: EthernetAddress
    public var pollDescriptor: Int32 { fd }
    public private(set) var errors = 0
    private let fd: Int32
    private var remote: sockaddr_in
    private let filtersOwnFrames: Bool
    private let outgoing = FrameBatch()
    private let incoming = FrameBatch()
    /// The segment's seal: every datagram is sealed, and opened on arrival.
    private var seal: SegmentSeal?
    /// What the seal has done (nil on an unkeyed link).
    public var sealStatistics: SealStatistics? { seal?.statistics }
    /// Datagrams dropped because they did not open or were replays.
    public var refused: Int { seal?.statistics.refused ?? 0 }

    /// A point-to-point wire from `localPort` to `remoteHost:remotePort`.
    public init(name: String, localPort: UInt16, remoteHost: String, remotePort: UInt16,
                mac: EthernetAddress, keyPath: String? = nil) throws(LinkError) {
        self.name = name
        self.seal = try keyPath.map { (p: String) throws(LinkError) in try SegmentKey.load(path: p).makeSeal(now: SealClock.microseconds) }
        self.mac = mac
        self.remote = try UDPLink.resolve(remoteHost, remotePort)
        filtersOwnFrames = false
        fd = try UDPLink.openSocket()
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_port = localPort.bigEndian
        local.sin_addr.s_addr = INADDR_ANY
        guard UDPLink.bind(fd, local) else {
            let e = LinkError.system("\(name): bind to UDP port \(localPort)")
            Glibc.close(fd)
            throw e
        }
        // A wire has two ends: connected, the socket takes datagrams from
        // the configured peer only, and a stranger's are dropped by the
        // kernel before we read them (issue 10, item 6).
        var peer = remote
        let connected = withUnsafePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            let e = LinkError.system("\(name): connect to \(remoteHost):\(remotePort)")
            Glibc.close(fd)
            throw e
        }
    }

    /// A member of the multicast segment `group:port`.
    public init(name: String, group: String, port: UInt16, interface: String?, ttl: UInt8,
                mac: EthernetAddress, keyPath: String? = nil) throws(LinkError) {
        self.name = name
        self.seal = try keyPath.map { (p: String) throws(LinkError) in try SegmentKey.load(path: p).makeSeal(now: SealClock.microseconds) }
        self.mac = mac
        self.remote = try UDPLink.resolve(group, port)
        filtersOwnFrames = true
        fd = try UDPLink.openSocket()
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var bindAddr = remote
        if !UDPLink.bind(fd, bindAddr) {
            bindAddr.sin_addr.s_addr = INADDR_ANY
            guard UDPLink.bind(fd, bindAddr) else {
                let e = LinkError.system("\(name): bind to \(group):\(port)")
                Glibc.close(fd)
                throw e
            }
        }
        var mreq = ip_mreq()
        mreq.imr_multiaddr = remote.sin_addr
        mreq.imr_interface.s_addr = INADDR_ANY
        if let interface {
            var a = in_addr()
            guard inet_pton(AF_INET, interface, &a) == 1 else {
                Glibc.close(fd)
                throw LinkError("\(name): \(interface) is not an IPv4 address")
            }
            mreq.imr_interface = a
            guard setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_IF, &a, socklen_t(MemoryLayout<in_addr>.size)) == 0 else {
                let e = LinkError.system("\(name): multicast interface \(interface)")
                Glibc.close(fd)
                throw e
            }
        }
        var t = Int32(ttl)
        setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_TTL, &t, socklen_t(MemoryLayout<Int32>.size))
        guard setsockopt(fd, Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, &mreq,
                         socklen_t(MemoryLayout<ip_mreq>.size)) == 0 else {
            let e = LinkError.system("\(name): join multicast group \(group)")
            Glibc.close(fd)
            throw e
        }
        setsockopt(fd, Int32(IPPROTO_IP), IP_MULTICAST_LOOP, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    public func send(_ frame: [UInt8]) {
        if outgoing.isFull { flush() }
        let datagram = seal == nil ? frame : seal!.seal(frame, now: SealClock.microseconds)
        if !outgoing.append(datagram) { errors += 1 }
    }

    public func flush() {
        guard outgoing.count > 0 else { return }
        errors += withUnsafeMutablePointer(to: &remote) {
            outgoing.send(on: fd, to: UnsafeMutableRawPointer($0), addressLength: socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }

    public func receiveAll(_ handler: ([UInt8]) -> Void) {
        while true {
            let now = seal == nil ? 0 : SealClock.microseconds
            let n = incoming.receive(on: fd) { datagram in
                let frame: [UInt8]
                if seal != nil {
                    // Our own datagram looped back by the group: not worth
                    // opening, it would be dropped below.
                    if filtersOwnFrames && SegmentSeal.sender(of: datagram) == seal!.senderID { return }
                    do throws(SealRefusal) { frame = try seal!.open(datagram, now: now) } catch { return }
                } else {
                    frame = Array(datagram)
                }
                if filtersOwnFrames && isOwnFrame(frame, mac: mac) { return }
                handler(frame)
            }
            if n < 0 { errors += 1 }
            // A short batch means the socket is drained: no empty read to
            // find that out.
            if n < FrameBatch.capacity { return }
        }
    }

    public func close() { Glibc.close(fd) }

    /// The port the socket is bound to (useful when 0 was asked for).
    public var localPort: UInt16 {
        var a = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: a.sin_port)
    }

    private static func openSocket() throws(LinkError) -> Int32 {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw .system("socket") }
        var size: Int32 = 4 << 20
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        return s
    }

    private static func bind(_ fd: Int32, _ address: sockaddr_in) -> Bool {
        var a = address
        return withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    static func resolve(_ host: String, _ port: UInt16) throws(LinkError) -> sockaddr_in {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result,
              let sa = first.pointee.ai_addr else {
            throw LinkError("cannot resolve host \(host)")
        }
        defer { freeaddrinfo(result) }
        var a = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee }
        a.sin_port = port.bigEndian
        return a
    }
}
