// A program endpoint's pcap: link: a plain packet socket whose driver
// sleeps in one blocking recvmmsg.
//
// amunixd's pcap link (PcapLink) reads libpcap's receive ring after an
// epoll wait: the right shape for a daemon polling many descriptors. A
// program's own endpoint has one link and one thread waiting on it, and
// there that shape costs: in a C model of the endpoint's I/O path on one
// vCPU (issue 13), a frame ping-pong took 11.4 µs per round trip with a
// blocking recv on a plain packet socket and 13.3 to 14.5 µs with epoll
// and a ring, against 11.2 for the raw floor. System calls and context
// switches were the same; each call's price was not. So the endpoint's
// driver blocks in recvmmsg on the socket itself (MSG_WAITFORONE: it
// sleeps for the first frame and takes those behind it in the same call),
// and what the epoll set also watched, a deadline and a nudge from another
// thread, reaches it as a signal (SignalWake.swift).
//
// The socket takes what PcapLink's capture takes, and nothing sooner:
// it is made bound to no protocol (it hears nothing), given the same BPF
// program (FLIP frames to this station or to a group), then bound to the
// interface and FLIP's EtherType. It is promiscuous (a station of its own
// with a random MAC), leaves out our own outgoing frames where the kernel
// can, and drops any that come anyway by source address. Its receive
// buffer holds the credit window the endpoint grants each neighbour
// (DaemonConfiguration.creditGrant, 120 frames) for many neighbours: a
// fragment lost to a full buffer costs a 200 ms stall waiting for credit.
// Frames leave as PcapLink's do: a transmit ring for a turn's frames, a
// plain send on this socket for a lone one, sendmmsg when the ring is full.
//
// The ring is set up only once the link has sent `framesBeforeRing`
// frames, and is not waited for. Setting one up waits in the kernel for
// an RCU grace period (8 to 16 ms here), and so does taking it down: a
// small `put --link` or `get --link`, a handful of frames, would spend
// more on its ring than on its transactions. A stream or a benchmark
// passes the count within its first transactions; its frames leave by
// sendmmsg until the opening thread is done, and the ring takes over at
// the first send after that. A program about to exit closes with
// `closesDetached`: the sockets go to SocketRelease, whose process waits
// out their grace periods after the program has gone on. Others close
// them here, side by side, and wait: SocketRelease's process holds a copy
// of every descriptor of the program for a moment, so a long-lived
// program (a test runner) that closes and binds a port meanwhile would
// find it still bound.

import CBatchIO
import AmoebaCore
import FLIP
#if canImport(Glibc)
import Glibc
#endif

public final class PacketSocketLink: Link, DriverSleep {
    public let name: String
    public let mac: EthernetAddress
    public var pollDescriptor: Int32 { socket }
    public private(set) var errors = 0
    private let socket: Int32
    private let outgoing: FrameBatch
    private let incoming: FrameBatch
    /// Frames the last wait received and `receiveAll` has not handed over.
    private var waiting = 0
    private var ring: PacketTxRing?
    /// The ring being set up beside the link's sends (nil once taken).
    private var ringOpening: PacketTxRing.Opening?
    /// Frames still to send before a ring is asked for.
    private var framesUntilRing = PacketSocketLink.framesBeforeRing
    private var ringAsked = false
    private let interface: String
    private let frameBytes: Int
    /// More than a small tool's transactions send (a 1 KB put or get: under
    /// ten frames), fewer than a stream's first request on Ethernet.
    static let framesBeforeRing = 64
    private let wake: SignalWake
    /// Our MAC as `PcapLink.source(of:)` packs a frame's, to drop our own.
    private let ownSource: UInt64
    /// The arrays arriving frames are copied into, reused (`deliver`).
    private var scratch: [UInt8] = []
    private var otherScratch: [UInt8] = []
    private var closed = false
    /// Set by a program about to exit: `close` does not wait for the
    /// kernel to let the sockets go (SocketRelease.swift).
    public var closesDetached = false

    /// The receive buffer asked for: a 1514-byte frame on a veth takes
    /// about 4 KB of it, so this holds some 2000 frames, the credit
    /// windows of 16 neighbours (the kernel doubles it for its overhead).
    static let receiveBuffer: Int32 = 8 << 20

    /// `mtu`: the Ethernet payload of the link's longest frame (LinkMTU.swift).
    public init(name: String, interface: String, mac: EthernetAddress, mtu: Int = EthernetFrame.mtu) throws(LinkError) {
        self.name = name
        self.mac = mac
        let (frameBytes, room) = try LinkFrames.opening(interface, mtu: mtu, name: name)
        outgoing = FrameBatch(room: room)
        incoming = FrameBatch(room: room)
        ownSource = PcapLink.packed(mac)
        let ifindex = Int32(bitPattern: if_nametoindex(interface))
        guard ifindex > 0 else { throw LinkError("\(name): no such interface \(interface)") }
        self.interface = interface
        self.frameBytes = frameBytes
        let s = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw LinkError.system("\(name): packet socket (needs root or CAP_NET_RAW)") }
        do throws(LinkError) {
            try PcapLink.attachFilter(to: s, mac: mac, name: name, snapshot: room)
            var one: Int32 = 1
            _ = setsockopt(s, PcapLink.solPacket, PcapLink.packetIgnoreOutgoing, &one, 4)
            var size = Int32(LinkFrames.buffer(Int(PacketSocketLink.receiveBuffer), forFrameBytes: frameBytes))
            // Past the system's limit where the rights allow, else up to it.
            if setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &size, 4) != 0 {
                _ = setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, 4)
            }
            var membership = amx_packet_mreq(ifindex: ifindex, type: 1 /* PACKET_MR_PROMISC */, addressLength: 0,
                                             address: (0, 0, 0, 0, 0, 0, 0, 0))
            guard setsockopt(s, PcapLink.solPacket, 1 /* PACKET_ADD_MEMBERSHIP */, &membership,
                             socklen_t(MemoryLayout<amx_packet_mreq>.size)) == 0 else {
                throw LinkError.system("\(name): promiscuous mode")
            }
            var address = amx_sockaddr_ll(family: UInt16(AF_PACKET), protocol: PcapLink.flipEtherType.bigEndian,
                                          ifindex: ifindex, hatype: 0, pkttype: 0, halen: 0, addr: (0, 0, 0, 0, 0, 0, 0, 0))
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(s, $0, socklen_t(MemoryLayout<amx_sockaddr_ll>.size))
                }
            }
            guard bound == 0 else { throw LinkError.system("\(name): bind to \(interface)") }
            guard let w = SignalWake(socket: s) else { throw LinkError("\(name): no signal to wake the driver by") }
            wake = w
        } catch {
            Glibc.close(s)
            throw error
        }
        socket = s
    }

    /// Starts setting up the transmit ring, once.
    private func askForRing() {
        guard !ringAsked else { return }
        ringAsked = true
        ringOpening = PacketTxRing.Opening(interface: interface, frameBytes: frameBytes)
    }

    /// Whether a transmit ring was asked for (for tests).
    var ringAskedFor: Bool { ringAsked }

    /// Takes the ring once its opening is done (`wait`: wait for it).
    private func takeRingIfOpened(wait: Bool = false) {
        guard let opening = ringOpening, wait || opening.isDone else { return }
        ringOpening = nil
        ring = opening.finish()
        ring?.loneFrameSocket = socket
    }

    /// Whether frames leave through a transmit ring (else by sendmmsg):
    /// asks for one now if the link has not yet, and waits for it.
    var hasTransmitRing: Bool {
        askForRing()
        takeRingIfOpened(wait: true)
        return ring != nil
    }
    public var timesArmed: Int { wake.timesArmed }

    /// Through the transmit ring and sendmmsg, as PcapLink sends.
    public func send(_ frame: [UInt8]) {
        if !ringAsked {
            framesUntilRing -= 1
            if framesUntilRing <= 0 { askForRing() }
        } else if ringOpening != nil {
            takeRingIfOpened()
        }
        errors += PacketTxRing.send(frame, ring: ring, batch: outgoing, socket: socket)
    }

    public func flush() {
        errors += PacketTxRing.flush(ring: ring, batch: outgoing, socket: socket)
    }

    /// Hands over what the last wait received; then, unless that wait
    /// took none or found more than one call holds, asks the socket again
    /// without blocking until it is empty.
    public func receiveAll(_ handler: ([UInt8]) -> Void) {
        if waiting > 0 {
            let n = waiting
            waiting = 0
            deliver(n, handler)
            if n < FrameBatch.capacity { return }
        }
        while true {
            let n = incoming.fill(from: socket, flags: Int32(MSG_DONTWAIT))
            if n < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK { errors += 1 }
                return
            }
            deliver(Int(n), handler)
            if Int(n) < FrameBatch.capacity { return }
        }
    }

    /// Every frame is copied into one of two arrays, whose storage is
    /// reused from frame to frame (the node copies out what it keeps):
    /// over the one of the frame's length in place, as a server's
    /// requests and the ACKs between them, or a stream's full fragments,
    /// mostly find one; else over the one used less recently, resized.
    /// (A storage the handler kept is copied first, by copy-on-write.)
    private func deliver(_ n: Int, _ handler: ([UInt8]) -> Void) {
        // Moved out for the loop, and back after it: the handler gets a
        // local array, which it cannot reach through the link, so it is
        // passed as it is, with no retain and release around each call.
        var frame: [UInt8] = [], other: [UInt8] = []
        swap(&frame, &scratch)
        swap(&other, &otherScratch)
        let own = ownSource
        for i in 0..<n {
            guard let bytes = incoming.received(i) else { continue }
            if bytes.count >= 12 && PcapLink.source(of: bytes.baseAddress!) == own { continue }
            if frame.count != bytes.count { swap(&frame, &other) }
            if frame.count == bytes.count {
                frame.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
            } else {
                frame.removeAll(keepingCapacity: true)
                frame.append(contentsOf: bytes.bindMemory(to: UInt8.self))
            }
            handler(frame)
        }
        swap(&frame, &scratch)
        swap(&other, &otherScratch)
    }

    // MARK: the driver's sleep

    public func willWait() { wake.willWait() }

    /// One recvmmsg that sleeps for the first frame: the frames it takes
    /// wait for `receiveAll`. Ended early by a nudge or the thread's timer
    /// (a signal that leaves the socket non-blocking): then `timer`.
    public func wait(until deadline: Instant?, now: Instant) -> LinkWait.Readiness {
        var ready = LinkWait.Readiness()
        var flags = Int32(MSG_WAITFORONE)
        if let deadline {
            if deadline <= now || !wake.arm(for: deadline, now: now) { flags = Int32(MSG_DONTWAIT) }
        }
        var n: Int32
        var error: Int32 = 0
        repeat {
            n = incoming.fill(from: socket, flags: flags)
            error = n < 0 ? errno : 0
        } while error == EINTR
        let empty = error == EAGAIN || error == EWOULDBLOCK
        let interrupted = empty && flags != Int32(MSG_DONTWAIT)
        wake.waitEnded(interrupted: interrupted)
        if n > 0 {
            waiting = Int(n)
            ready.link = true
        } else if interrupted {
            ready.timer = true
        } else if n < 0 && !empty {
            errors += 1
        }
        return ready
    }

    public func nudge() { wake.nudge() }

    /// The sleep's timers; the socket stays until `close`.
    public func closeSleep() { wake.close() }

    public func close() {
        guard !closed else { return }
        closed = true
        wake.close()
        takeRingIfOpened(wait: true)
        guard closesDetached else {
            PacketTxRing.close(ring) { Glibc.close(socket) }
            return
        }
        var sockets = [socket]
        if let fd = ring?.unmapped() { sockets.append(fd) }
        SocketRelease.detached(sockets)
    }
}
