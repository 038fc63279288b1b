// A packet socket's transmit ring, as a FLIP endpoint sends a turn's frames
// (amunix/AmunixDaemon/PacketTxRing.swift): the frames are written into
// memory shared with the kernel and one send() hands all of them over,
// with no point between them where the kernel may switch to the receiver
// the first frame woke. sendmmsg has such a point after every message, so
// a two-frame turn sent with it would cost the floor switches a FLIP
// endpoint does not pay. Each frame is led by a virtio-net header that
// makes the kernel copy it, as the endpoint's ring does.

import Glibc

struct TxRing {
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private static let slotBytes = 2048, slotCount = 8
    private static let dataOffset = 32, vnetBytes = 10
    private var next = 0

    init(_ iface: String) {
        let s = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)
        guard s >= 0 else { die("ring socket: \(String(cString: strerror(errno)))") }
        let solPacket: Int32 = 263
        var one: Int32 = 1  // PACKET_VNET_HDR on; TPACKET_V2
        var req: (UInt32, UInt32, UInt32, UInt32) = (UInt32(TxRing.slotBytes * TxRing.slotCount), 1,
                                                     UInt32(TxRing.slotBytes), UInt32(TxRing.slotCount))
        guard setsockopt(s, solPacket, 15, &one, 4) == 0, setsockopt(s, solPacket, 10, &one, 4) == 0,
              setsockopt(s, solPacket, 13, &req, 16) == 0 else {
            die("transmit ring: \(String(cString: strerror(errno)))")
        }
        let bytes = TxRing.slotBytes * TxRing.slotCount
        guard let m = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0), m != MAP_FAILED else {
            die("mmap of the ring: \(String(cString: strerror(errno)))")
        }
        // Bound to the interface with protocol 0: it sends, and takes in nothing.
        var sll = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { for i in 0..<2 { sll[i] = $0[i] } }
        withUnsafeBytes(of: Int32(if_nametoindex(iface))) { for i in 0..<4 { sll[4 + i] = $0[i] } }
        let r = sll.withUnsafeBytes { bind(s, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20) }
        guard r == 0 else { die("bind of the ring: \(String(cString: strerror(errno)))") }
        fd = s
        base = m
    }

    /// All of `frames` in one system call; it returns when they are sent.
    mutating func send(_ frames: [UInt8]...) {
        for f in frames {
            let slot = base + next * TxRing.slotBytes
            let data = slot + TxRing.dataOffset
            data.initializeMemory(as: UInt8.self, repeating: 0, count: TxRing.vnetBytes)
            data.storeBytes(of: UInt16(f.count), toByteOffset: 2, as: UInt16.self)
            f.withUnsafeBytes { (data + TxRing.vnetBytes).copyMemory(from: $0.baseAddress!, byteCount: f.count) }
            slot.storeBytes(of: UInt32(f.count + TxRing.vnetBytes), toByteOffset: 4, as: UInt32.self)
            slot.storeBytes(of: UInt32(1), toByteOffset: 0, as: UInt32.self)  // SEND_REQUEST
            next = (next + 1) % TxRing.slotCount
        }
        _ = Glibc.send(fd, nil, 0, 0)
    }
}
