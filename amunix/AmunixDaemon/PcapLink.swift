// Raw Ethernet through libpcap: the real mode between Linux hosts.
//
// The capture is opened in immediate mode (a frame is handed over as soon
// as it arrives, not when a buffer fills: RPC latency depends on it), in
// promiscuous mode (FLIP multicast MACs 55:55:.. are not programmed into
// the card), inbound only (we must not hear our own frames), and with a BPF
// filter for FLIP's EtherType so the kernel drops everything else before
// it is copied to us. Frames go out a turn's worth at a time through a
// transmit ring (PacketTxRing.swift: one system call, and the peer wakes
// once for all of them; a turn's lone frame by a plain send on the
// capture's socket), or, where the kernel offers no ring or the ring is
// full, through the capture's own packet socket in one sendmmsg.

import AmoebaCore
import CBatchIO
import CPcap
import FLIP
#if canImport(Glibc)
import Glibc
#endif

public final class PcapLink: Link {
    public let name: String
    public let mac: EthernetAddress
    public private(set) var pollDescriptor: Int32 = -1
    public private(set) var errors = 0
    private let handle: OpaquePointer
    private let outgoing: FrameBatch
    private let ring: PacketTxRing?
    /// Our MAC packed as `source(of:)` reads a frame's, to drop our own.
    private let ownSource: UInt64
    /// The array each arriving frame is copied into (`receiveAll`).
    private var scratch: [UInt8] = []

    /// `mac` nil: the interface's own address, as a host's FLIP box has
    /// its card's. Another makes the link a second station on the wire
    /// (the tests' stations on lo; a program's own endpoint is one too, on
    /// a PacketSocketLink): the capture is promiscuous, and each box takes
    /// only frames to its own address.
    /// `mtu`: the Ethernet payload of the link's longest frame (LinkMTU.swift).
    public init(name: String, interface: String, mac: EthernetAddress? = nil, mtu: Int = EthernetFrame.mtu) throws(LinkError) {
        self.name = name
        let (frameBytes, room) = try LinkFrames.opening(interface, mtu: mtu, name: name)
        outgoing = FrameBatch(room: room)
        guard let card = PcapLink.hardwareAddress(of: interface) else {
            throw LinkError("\(name): no such interface \(interface) (or it has no Ethernet address)")
        }
        self.mac = mac ?? card
        ownSource = PcapLink.packed(self.mac)
        // The transmit ring's socket is made beside the capture's: each
        // waits for the kernel (an RCU grace period, 10 to 20 ms here),
        // and a program's own endpoint opens a link on every run.
        let ringOpening = PacketTxRing.Opening(interface: interface, frameBytes: frameBytes)
        var ringTaken = false
        defer { if !ringTaken { _ = ringOpening.finish() } }
        var errbuf = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let h = pcap_create(interface, &errbuf) else {
            throw LinkError("\(name): pcap_create: \(String(cString: errbuf))")
        }
        handle = h
        pcap_set_snaplen(h, Int32(room))
        pcap_set_promisc(h, 1)
        pcap_set_immediate_mode(h, 1)
        // Room for the credit window we grant every neighbour
        // (DaemonConfiguration.creditGrant): each frame takes a 4 KB slot,
        // a jumbo frame more.
        pcap_set_buffer_size(h, Int32(LinkFrames.buffer(8 << 20, forFrameBytes: frameBytes)))
        let status = pcap_activate(h)
        guard status >= 0 else {
            let why = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw LinkError("\(name): pcap_activate: \(why) (needs root or CAP_NET_RAW)")
        }
        pcap_setdirection(h, PCAP_D_IN)
        // libpcap drops our own outgoing frames only after they reach its
        // ring, so each frame we send would wake our poll for nothing; the
        // kernel can leave them out (Linux 4.20 and later; older ones
        // refuse the option and keep the spurious wakeups).
        var one: Int32 = 1
        _ = setsockopt(pcap_fileno(h), PcapLink.solPacket, PcapLink.packetIgnoreOutgoing, &one, socklen_t(MemoryLayout<Int32>.size))
        var program = bpf_program()
        guard pcap_compile(h, &program, PcapLink.filter(for: self.mac), 1, PCAP_NETMASK_UNKNOWN) == 0,
              pcap_setfilter(h, &program) == 0 else {
            let why = String(cString: pcap_geterr(h))
            pcap_close(h)
            throw LinkError("\(name): BPF filter: \(why)")
        }
        pcap_freecode(&program)
        guard pcap_setnonblock(h, 1, &errbuf) == 0 else {
            pcap_close(h)
            throw LinkError("\(name): pcap_setnonblock: \(String(cString: errbuf))")
        }
        pollDescriptor = pcap_get_selectable_fd(h)
        // Not handed to a program the daemon's process starts (libpcap
        // opens its socket without close-on-exec), as no socket of ours is.
        if pollDescriptor >= 0 { _ = fcntl(pollDescriptor, F_SETFD, FD_CLOEXEC) }
        guard pollDescriptor >= 0 else {
            pcap_close(h)
            throw LinkError("\(name): the capture has no descriptor to poll")
        }
        ring = ringOpening.finish()
        ringTaken = true
        ring?.loneFrameSocket = pcap_fileno(h)
    }

    /// Whether frames leave through a transmit ring (else by sendmmsg).
    var hasTransmitRing: Bool { ring != nil }
    /// Whether the ring's frames leave copied, not on the ring's pages.
    var transmitRingCopiesFrames: Bool { ring?.copiesFrames ?? false }
    /// Frames that left alone in their turn by a plain send, not the ring.
    var framesSentAlone: Int { ring?.framesSentAlone ?? 0 }

    public func send(_ frame: [UInt8]) {
        errors += PacketTxRing.send(frame, ring: ring, batch: outgoing, socket: pcap_fileno(handle))
    }

    /// The ring's frames first, in one send; then any that did not fit
    /// through the capture's packet socket, bound to the interface, in one
    /// sendmmsg (pcap_inject would make a system call of each).
    public func flush() {
        errors += PacketTxRing.flush(ring: ring, batch: outgoing, socket: pcap_fileno(handle))
    }

    /// One pcap_dispatch drains the ring: pcap_next_ex would, after the
    /// last frame, ask the kernel again (a poll) to learn the ring is empty.
    /// Every frame is copied out of the ring into the same array, whose
    /// storage is reused from frame to frame (the box copies out what it
    /// keeps; if a handler kept the array itself, copy-on-write would give
    /// the next frame fresh storage): no allocation per frame.
    public func receiveAll(_ handler: ([UInt8]) -> Void) {
        withoutActuallyEscaping(handler) { handler in
            var sink = FrameSink(ownSource: ownSource, handler: handler, frame: scratch)
            scratch = []
            let r = withUnsafeMutablePointer(to: &sink) { p in
                pcap_dispatch(handle, -1, { user, header, data in
                    guard let user, let header, let data else { return }
                    let sink = UnsafeMutableRawPointer(user).assumingMemoryBound(to: FrameSink.self)
                    let length = Int(header.pointee.caplen)
                    // Direction filtering is not supported everywhere: also
                    // drop our own frames by source address, before the
                    // frame is copied out of the ring.
                    if length >= 12 && PcapLink.source(of: data) == sink.pointee.ownSource { return }
                    sink.pointee.frame.removeAll(keepingCapacity: true)
                    sink.pointee.frame.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
                    sink.pointee.handler(sink.pointee.frame)
                }, UnsafeMutableRawPointer(p).assumingMemoryBound(to: UInt8.self))
            }
            scratch = sink.frame
            if r < 0 { errors += 1 }
        }
    }

    /// What the dispatch callback, a C function, needs to reach.
    private struct FrameSink {
        var ownSource: UInt64
        var handler: ([UInt8]) -> Void
        var frame: [UInt8]
    }

    /// `mac` as `source(of:)` reads a frame's: six bytes as one integer,
    /// byte 0 lowest. (PacketSocketLink drops its own frames by it too.)
    static func packed(_ mac: EthernetAddress) -> UInt64 {
        mac.bytes.withUnsafeBytes { FixedOffsets.loadLittleEndianBits($0.baseAddress!, at: 0, count: 6) }
    }

    /// A frame's source address (bytes 6 to 11), packed.
    static func source(of frame: UnsafeRawPointer) -> UInt64 {
        FixedOffsets.loadLittleEndianBits(frame, at: 6, count: 6)
    }

    /// The capture and the transmit ring, closed side by side (each waits
    /// for the kernel: PacketTxRing.close).
    public func close() {
        PacketTxRing.close(ring) { pcap_close(handle) }
    }

    static let flipEtherType: UInt16 = 0x8146

    /// FLIP frames to this station or to a group. The capture is
    /// promiscuous, so without the address test every station on the card
    /// (amunixd and each program's own endpoint) would get a copy of every
    /// other's frames in its ring, and wake and decode each to drop it: a
    /// Bullet server on its own endpoint streaming a file beside the host's
    /// amunixd made the daemon spend a third of the server's CPU on them.
    static func filter(for mac: EthernetAddress) -> String {
        let digits = Array("0123456789abcdef")
        let text = mac.bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined(separator: ":")
        return "ether proto 0x8146 and (ether dst \(text) or ether multicast)"
    }

    /// `filter(for: mac)`, compiled by libpcap, given to a packet socket of
    /// our own (a program endpoint's: PacketSocketLink) before it is bound
    /// to a protocol, so that it never holds a frame the filter refuses.
    static func attachFilter(to socket: Int32, mac: EthernetAddress, name: String, snapshot: Int = 2048) throws(LinkError) {
        var program = bpf_program()
        guard pcap_compile_nopcap(Int32(snapshot), DLT_EN10MB, &program, PcapLink.filter(for: mac), 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw LinkError("\(name): BPF filter does not compile")
        }
        defer { pcap_freecode(&program) }
        var code = amx_sock_fprog(length: UInt16(program.bf_len), instructions: UnsafeMutableRawPointer(program.bf_insns))
        guard setsockopt(socket, SOL_SOCKET, SO_ATTACH_FILTER, &code, socklen_t(MemoryLayout<amx_sock_fprog>.size)) == 0 else {
            throw LinkError.system("\(name): BPF filter")
        }
    }

    /// <linux/if_packet.h>, which Swift's Glibc module does not carry.
    static let solPacket: Int32 = 263
    static let packetIgnoreOutgoing: Int32 = 23

    /// The interface's MAC, from sysfs.
    static func hardwareAddress(of interface: String) -> EthernetAddress? {
        guard !interface.contains("/"), let f = fopen("/sys/class/net/\(interface)/address", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, 64, f) != nil else { return nil }
        let text = String(cString: line).trimmingCharacters(in: " \n")
        let parts = text.split(separator: ":")
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for p in parts {
            guard let b = UInt8(p, radix: 16) else { return nil }
            bytes.append(b)
        }
        return EthernetAddress(bytes: bytes)
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
