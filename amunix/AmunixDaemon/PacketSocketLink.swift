// Raw Ethernet through a plain packet socket: the receive path of a
// frame ping-pong, for a program's own endpoint.
//
// (Experiment, issue 13: libpcap's capture ring costs each side ~2.5 µs
// per round trip more than recv on a packet socket; see LinkFloor.swift.)
//
// The socket is bound to FLIP's EtherType on the interface, carries the
// same BPF filter as the pcap link (compiled by libpcap), joins the card in
// promiscuous mode through a membership (dropped with the socket), and
// leaves out our own outgoing frames. Frames arrive by recvmmsg, a turn's
// worth per call; they leave by the transmit ring, as on the pcap link.

import CBatchIO
import CPcap
import FLIP
#if canImport(Glibc)
import Glibc
#endif

public final class PacketSocketLink: Link {
    public let name: String
    public let mac: EthernetAddress
    public let pollDescriptor: Int32
    public private(set) var errors = 0
    private let incoming = FrameBatch()
    private let outgoing = FrameBatch()
    private let ring: PacketTxRing?
    private var scratch: [UInt8] = []

    public init(name: String, interface: String, mac: EthernetAddress) throws(LinkError) {
        self.name = name
        self.mac = mac
        let ifindex = Int32(bitPattern: if_nametoindex(interface))
        guard ifindex > 0 else { throw LinkError("\(name): no such interface \(interface)") }
        let s = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(PcapLink.flipEtherType.bigEndian))
        guard s >= 0 else { throw .system("\(name): packet socket (needs root or CAP_NET_RAW)") }
        pollDescriptor = s
        // The filter before the binding: frames arrive from the bind on.
        guard let dead = pcap_open_dead(DLT_EN10MB, 2048) else {
            Glibc.close(s)
            throw LinkError("\(name): pcap_open_dead")
        }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, PcapLink.filter(for: mac), 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            Glibc.close(s)
            throw LinkError("\(name): BPF filter: \(String(cString: pcap_geterr(dead)))")
        }
        defer { pcap_freecode(&program) }
        var fprog = amx_sock_fprog(length: UInt16(program.bf_len), instructions: UnsafeMutableRawPointer(program.bf_insns))
        guard setsockopt(s, SOL_SOCKET, 26 /* SO_ATTACH_FILTER */, &fprog,
                         socklen_t(MemoryLayout<amx_sock_fprog>.size)) == 0 else {
            Glibc.close(s)
            throw .system("\(name): SO_ATTACH_FILTER")
        }
        var one: Int32 = 1
        _ = setsockopt(s, PcapLink.solPacket, PcapLink.packetIgnoreOutgoing, &one, 4)
        var size: Int32 = 8 << 20
        _ = setsockopt(s, SOL_SOCKET, SO_RCVBUF, &size, 4)
        var address = amx_sockaddr_ll(family: UInt16(AF_PACKET), protocol: PcapLink.flipEtherType.bigEndian,
                                      ifindex: ifindex, hatype: 0, pkttype: 0, halen: 0, addr: (0, 0, 0, 0, 0, 0, 0, 0))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<amx_sockaddr_ll>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(s)
            throw .system("\(name): bind")
        }
        var membership = amx_packet_mreq(ifindex: ifindex, type: 1 /* PACKET_MR_PROMISC */, addressLength: 0,
                                         address: (0, 0, 0, 0, 0, 0, 0, 0))
        guard setsockopt(s, PcapLink.solPacket, 1 /* PACKET_ADD_MEMBERSHIP */, &membership,
                         socklen_t(MemoryLayout<amx_packet_mreq>.size)) == 0 else {
            Glibc.close(s)
            throw .system("\(name): promiscuous membership")
        }
        _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
        ring = PacketTxRing(interface: interface, etherType: PcapLink.flipEtherType)
    }

    public func send(_ frame: [UInt8]) {
        if outgoing.count == 0, let ring, ring.append(frame) { return }
        if outgoing.isFull { flush() }
        if !outgoing.append(frame) { errors += 1 }
    }

    public func flush() {
        if let ring, ring.pending > 0, !ring.send() { errors += 1 }
        guard outgoing.count > 0 else { return }
        errors += outgoing.send(on: pollDescriptor, to: nil, addressLength: 0)
    }

    public func receiveAll(_ handler: ([UInt8]) -> Void) {
        var frame = scratch
        scratch = []
        while true {
            let n = incoming.receive(on: pollDescriptor) { datagram in
                frame.removeAll(keepingCapacity: true)
                frame.append(contentsOf: datagram)
                handler(frame)
            }
            if n < 0 { errors += 1 }
            if n < FrameBatch.capacity { break }
        }
        scratch = frame
    }

    public func close() { Glibc.close(pollDescriptor) }
}
