// Frames that reach the wire together: a packet socket's transmit ring.
//
// A turn often ends with two frames for the same peer: a call's request
// and the ACK of the previous reply held back to travel with it. Given to
// the kernel with sendmmsg they are two messages, and the kernel offers
// the CPU to others between messages. On a veth, or any link whose
// receiver runs on the sender's CPU, the first frame has already woken
// the peer by then, so the peer often ran for the ACK alone, went back to
// sleep, and was woken again by the request: on one vCPU a third of the
// server's turns and 0.4 extra context switches per transaction on each
// side (measured: rpc_bench between two endpoints, issue 13).
//
// With PACKET_TX_RING the frames are written into memory shared with the
// kernel and one send() hands over all of them; the kernel transmits the
// whole ring without a rescheduling point in between, so the peer wakes
// once, to every frame of the turn. It also spares the copy through
// sendmmsg's message headers.
//
// The kernel would build each frame's buffer on the ring's own pages (zero
// copy); we make it copy the frame instead (see `init`), because a frame
// on our pages that goes to a receiver on this host is copied into a
// freshly allocated page anyway, at a far higher price.
//
// The ring has a socket of its own: the capture's socket already maps its
// receive ring, and a socket's mapping is fixed once made. The sending
// socket is bound to no protocol, so the kernel copies no frames to it;
// each send names the interface and FLIP's EtherType instead.
//
// A slot is ours while its status says AVAILABLE. The kernel gives it back
// when the frame's buffer is freed: at once on a veth, after the card's
// transmit completion on real hardware. A frame that finds no free slot is
// refused, and the link sends it the old way after the ring's frames.
//
// A turn of one frame (a reply; a request with no ACK to carry) has no
// wakeups to save, and the ring's send costs more than a plain one: the
// kernel walks the ring and reads the slot's virtio-net header. In a C
// model of an endpoint's I/O path on one vCPU (issue 13), a frame
// ping-pong with a plain send per frame took 0.3 to 0.5 µs less per round
// trip than with the ring. So slots are handed to the kernel only at
// `send`: a lone frame leaves from its slot by a plain send on another
// packet socket (a socket with a transmit ring sends through the ring
// only), and its slot, never handed over, is filled again next.

import CBatchIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class PacketTxRing {
    /// Slots in the ring: twice a FrameBatch, so a card still completing
    /// one turn's frames leaves room for the next turn's.
    static let slots = 128
    /// A slot's bytes: 2048 for Ethernet's frames; on a link with jumbo
    /// frames (LinkMTU.swift) the power of two that holds the slot header,
    /// the virtio-net header and the longest frame.
    let slotSize: Int
    static func slotSize(forFrameBytes bytes: Int) -> Int {
        var size = 2048
        while size < dataOffset + vnetHeaderBytes + bytes { size *= 2 }
        return size
    }
    /// Where a frame's bytes start in its slot: after the slot header
    /// (TPACKET_ALIGN(sizeof(tpacket2_hdr)), the kernel's offset for V2).
    static let dataOffset = 32
    /// The virtio-net header the kernel reads before each frame when the
    /// socket takes one (PACKET_VNET_HDR; see `init`).
    static let vnetHeaderBytes = 10

    private let fd: Int32
    private let ring: UnsafeMutableRawPointer
    private let ringBytes: Int
    private var address: amx_sockaddr_ll
    /// Bytes of virtio-net header before each frame in its slot: 10, or 0
    /// where the kernel takes none (see `init`).
    private let headerRoom: Int
    /// The next slot to fill, in the order the kernel walks them.
    private var next = 0
    /// Slots filled since the last `send`, not yet handed to the kernel.
    private(set) var pending = 0
    /// A packet socket without a ring, bound to the same interface, that a
    /// lone frame leaves by (the capture's); -1: every frame takes the ring.
    var loneFrameSocket: Int32 = -1
    /// Frames that left by the plain send, alone in their turn (for tests).
    private(set) var framesSentAlone = 0

    /// A transmit ring on `interface` for frames of `etherType`; nil when
    /// the kernel offers none (no rights, no TPACKET_V2), and the caller
    /// keeps to sendmmsg.
    init?(interface: String, etherType: UInt16, frameBytes: Int = LinkFrames.ethernetFrameBytes) {
        let slotSize = PacketTxRing.slotSize(forFrameBytes: frameBytes)
        self.slotSize = slotSize
        let ifindex = Int32(bitPattern: if_nametoindex(interface))
        guard ifindex > 0 else { return nil }
        let s = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return nil }
        var version: Int32 = 1  // TPACKET_V2
        // A frame the kernel cannot parse is skipped (its slot handed back)
        // rather than left to stop the ring.
        var loss: Int32 = 1
        var request = amx_tpacket_req(blockSize: UInt32(slotSize * 8), blockCount: UInt32(PacketTxRing.slots / 8),
                                      frameSize: UInt32(slotSize), frameCount: UInt32(PacketTxRing.slots))
        let bytes = PacketTxRing.slots * slotSize
        // Each frame led by a virtio-net header whose hdr_len is the whole
        // frame: the kernel then copies the frame into the buffer it
        // allocates for it, instead of pointing that buffer at the ring's
        // pages. A buffer of our pages cannot go to a receiver on this host
        // (a veth): the kernel would copy it into a fresh page first, at
        // the cost of a page allocation per frame, most of what the ring
        // cost in a ping-pong of small frames (issue 13: two page
        // allocations per null transaction on the client, about 2 µs of CPU
        // per round trip in rpc_bench link-ping on one vCPU). On a card, the
        // copy of at most 1514 bytes is cheap beside the system call the
        // ring saves, and the slot still comes back when the card is done.
        // The option must precede the ring; a kernel that refuses it gets
        // bare frames, as before.
        var vnet: Int32 = 1
        headerRoom = setsockopt(s, PacketTxRing.solPacket, PacketTxRing.packetVnetHeader, &vnet, 4) == 0 ? PacketTxRing.vnetHeaderBytes : 0
        guard setsockopt(s, PacketTxRing.solPacket, PacketTxRing.packetVersion, &version, 4) == 0,
              setsockopt(s, PacketTxRing.solPacket, PacketTxRing.packetLoss, &loss, 4) == 0,
              setsockopt(s, PacketTxRing.solPacket, PacketTxRing.packetTxRing, &request,
                         socklen_t(MemoryLayout<amx_tpacket_req>.size)) == 0,
              let m = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0), m != MAP_FAILED else {
            Glibc.close(s)
            return nil
        }
        fd = s
        ring = m
        ringBytes = bytes
        address = amx_sockaddr_ll(family: UInt16(AF_PACKET), protocol: etherType.bigEndian, ifindex: ifindex,
                                  hatype: 0, pkttype: 0, halen: 0, addr: (0, 0, 0, 0, 0, 0, 0, 0))
    }

    deinit { close() }

    private var closed = false

    /// Unmaps the ring and closes its socket; nothing may be sent after.
    func close() {
        if let fd = unmapped() { Glibc.close(fd) }
    }

    /// Unmaps the ring and hands its socket to the caller to close (nil
    /// when already closed); nothing may be sent after.
    func unmapped() -> Int32? {
        guard !closed else { return nil }
        closed = true
        munmap(ring, ringBytes)
        return fd
    }

    private func header(_ slot: Int) -> UnsafeMutablePointer<amx_tpacket2_hdr> {
        (ring + slot * slotSize).assumingMemoryBound(to: amx_tpacket2_hdr.self)
    }

    /// Whether frames go out copied (led by a virtio-net header), not on
    /// the ring's pages.
    var copiesFrames: Bool { headerRoom > 0 }

    /// Writes `frame` into the next slot; false when that slot is still the
    /// kernel's, or filled and not yet sent (or the frame does not fit),
    /// and nothing was queued.
    func append(_ frame: [UInt8]) -> Bool {
        guard frame.count + headerRoom <= slotSize - PacketTxRing.dataOffset,
              pending < PacketTxRing.slots else { return false }
        let h = header(next)
        let status = withUnsafeMutablePointer(to: &h.pointee.status) { amx_load_acquire($0) }
        guard status == PacketTxRing.statusAvailable else { return false }
        let data = UnsafeMutableRawPointer(h) + PacketTxRing.dataOffset
        if headerRoom > 0 {
            // flags 0, no GSO, hdr_len the whole frame, the rest 0; in the
            // host's byte order (the legacy virtio header packet sockets use).
            data.initializeMemory(as: UInt8.self, repeating: 0, count: headerRoom)
            data.storeBytes(of: UInt16(frame.count), toByteOffset: 2, as: UInt16.self)
        }
        frame.withUnsafeBytes { (data + headerRoom).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        h.pointee.length = UInt32(frame.count + headerRoom)
        next = (next + 1) % PacketTxRing.slots
        pending += 1
        return true
    }

    /// Hands every filled slot to the kernel in one system call; returns
    /// false when the kernel refused the call (the frames are lost, as on
    /// a busy wire).
    @discardableResult
    func send() -> Bool {
        guard pending > 0 else { return true }
        if pending == 1 && loneFrameSocket >= 0 { return sendAlone() }
        // Handed over oldest first; the kernel sends them in ring order.
        var slot = (next - pending + PacketTxRing.slots) % PacketTxRing.slots
        for _ in 0..<pending {
            withUnsafeMutablePointer(to: &header(slot).pointee.status) {
                amx_store_release($0, PacketTxRing.statusSendRequest)
            }
            slot = (slot + 1) % PacketTxRing.slots
        }
        pending = 0
        // No bytes: the kernel sends what the ring's slots hold.
        return send(on: fd, nil, length: 0)
    }

    /// The one filled slot's frame, by a plain send on `loneFrameSocket`;
    /// the slot stays ours and is filled next.
    private func sendAlone() -> Bool {
        pending = 0
        next = (next - 1 + PacketTxRing.slots) % PacketTxRing.slots
        let h = header(next)
        let frame = UnsafeMutableRawPointer(h) + PacketTxRing.dataOffset + headerRoom
        let length = Int(h.pointee.length) - headerRoom
        framesSentAlone += 1
        return send(on: loneFrameSocket, frame, length: length)
    }

    /// One `sendto` to the ring's interface, again when a signal cut it
    /// short; false when the kernel refused it.
    private func send(on socket: Int32, _ bytes: UnsafeRawPointer?, length: Int) -> Bool {
        while true {
            let r = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(socket, bytes, length, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<amx_sockaddr_ll>.size))
                }
            }
            if r >= 0 { return true }
            if errno != EINTR { return false }
        }
    }

    /// <linux/if_packet.h>, which Swift's Glibc module does not carry.
    static let solPacket: Int32 = 263
    static let packetVersion: Int32 = 10
    static let packetTxRing: Int32 = 13
    static let packetLoss: Int32 = 14
    static let packetVnetHeader: Int32 = 15
    static let statusAvailable: UInt32 = 0
    static let statusSendRequest: UInt32 = 1

    /// A transmit ring being made on a thread of its own: making one
    /// waits for the kernel (an RCU grace period, 10 to 20 ms here), and a
    /// link's other socket can be made meanwhile.
    final class Opening {
        let interface: String
        let frameBytes: Int
        var ring: PacketTxRing?
        var thread = pthread_t()
        var started = false
        /// Set by the opening thread as it ends: `finish` would not wait.
        private let opened = Atomic<Bool>(false)

        init(interface: String, frameBytes: Int = LinkFrames.ethernetFrameBytes) {
            self.interface = interface
            self.frameBytes = frameBytes
            let me = Unmanaged.passRetained(self).toOpaque()
            started = pthread_create(&thread, nil, { p in
                let o = Unmanaged<Opening>.fromOpaque(p!).takeRetainedValue()
                o.ring = PacketTxRing(interface: o.interface, etherType: PcapLink.flipEtherType, frameBytes: o.frameBytes)
                o.opened.store(true, ordering: .releasing)
                return nil
            }, me) == 0
            if !started {
                Unmanaged<Opening>.fromOpaque(me).release()
                ring = PacketTxRing(interface: interface, etherType: PcapLink.flipEtherType, frameBytes: frameBytes)
            }
        }

        /// Whether the ring is made (or refused): `finish` returns at once.
        var isDone: Bool { !started || opened.load(ordering: .acquiring) }

        /// The ring, once made (nil where the kernel offers none).
        func finish() -> PacketTxRing? {
            if started {
                pthread_join(thread, nil)
                started = false
            }
            return ring
        }
    }

    /// Hands `frame` to a packet socket's way out: its transmit ring, when
    /// it has one, unless frames already wait in `batch` for sendmmsg (they
    /// leave after the ring's, and a later frame must not overtake them);
    /// else the batch, flushed through `socket` first when full. The
    /// frames it could not take: 0 or 1.
    @inline(__always)
    static func send(_ frame: [UInt8], ring: PacketTxRing?, batch: FrameBatch, socket: Int32) -> Int {
        // Chained, not bound: a binding retained and released the ring
        // twice around every frame.
        if batch.count == 0, ring?.append(frame) == true { return 0 }
        var errors = 0
        if batch.isFull { errors += flush(ring: ring, batch: batch, socket: socket) }
        if !batch.append(frame) { errors += 1 }
        return errors
    }

    /// Sends what `send` kept: the ring's frames first, in one send; then
    /// the batch's through `socket`, in one sendmmsg. The frames lost.
    @inline(__always)
    static func flush(ring: PacketTxRing?, batch: FrameBatch, socket: Int32) -> Int {
        var errors = 0
        if ring?.send() == false { errors += 1 }
        guard batch.count > 0 else { return errors }
        return errors + batch.send(on: socket, to: nil, addressLength: 0)
    }

    /// Closing a packet socket waits for an RCU grace period (16 to 20 ms
    /// measured on this VM), and a link has two, its receiving socket and
    /// the transmit ring's: closed side by side (`closeOther` on this
    /// thread) they wait about one. (A program's own endpoint about to
    /// exit does not wait at all: SocketRelease.swift.)
    static func close(_ ring: PacketTxRing?, beside closeOther: () -> Void) {
        guard let ring else {
            closeOther()
            return
        }
        let other = Unmanaged.passRetained(ring).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { p in
            Unmanaged<PacketTxRing>.fromOpaque(p!).takeRetainedValue().close()
            return nil
        }, other) == 0
        closeOther()
        if started {
            pthread_join(thread, nil)
        } else {
            Unmanaged<PacketTxRing>.fromOpaque(other).release()
            ring.close()
        }
    }
}
