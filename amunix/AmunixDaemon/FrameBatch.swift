// Frames that leave by one system call.
//
// One turn of the event loop often produces several frames for a link: the
// fragments of a long message, a credit with a reply. Handing each to the
// kernel with its own send costs a system call per frame, which a profile
// of the daemon showed to be a large share of its time per frame. So the
// loop collects a turn's frames per link and a link gives them to the
// kernel together with sendmmsg (and takes arriving ones with recvmmsg
// where the link allows). The batch copies the frames into one buffer so
// that the pointers the kernel reads stay put for the call.

import CBatchIO
#if canImport(Glibc)
import Glibc
#endif

final class FrameBatch {
    /// Frames at most per system call (the kernel caps sendmmsg at 1024).
    static let capacity = 64
    /// Room for one frame by default: the largest Ethernet frame with
    /// some slack.
    static let frameRoom = 2048
    /// Room for one frame in this batch: `frameRoom`, or more on a link
    /// with jumbo frames (LinkMTU.swift).
    let room: Int

    private let storage: UnsafeMutableRawPointer
    private let vectors: UnsafeMutablePointer<amx_iovec>
    private let headers: UnsafeMutablePointer<amx_mmsghdr>
    private(set) var count = 0
    /// Whether `headers` and `vectors` describe every slot as room to
    /// receive into. The kernel writes only each message's length and
    /// flags, so they are laid out once, not before every recvmmsg; a
    /// send overwrites them.
    private var laidOutForReceiving = false

    init(room: Int = FrameBatch.frameRoom) {
        self.room = room
        // The shim spells out the kernel's layout; it must match the C library's.
        precondition(MemoryLayout<amx_msghdr>.size == MemoryLayout<msghdr>.size
                     && MemoryLayout<amx_iovec>.size == MemoryLayout<iovec>.size, "mmsghdr layout")
        storage = UnsafeMutableRawPointer.allocate(byteCount: FrameBatch.capacity * room, alignment: 16)
        vectors = UnsafeMutablePointer<amx_iovec>.allocate(capacity: FrameBatch.capacity)
        headers = UnsafeMutablePointer<amx_mmsghdr>.allocate(capacity: FrameBatch.capacity)
        headers.initialize(repeating: amx_mmsghdr(), count: FrameBatch.capacity)
        vectors.initialize(repeating: amx_iovec(), count: FrameBatch.capacity)
    }

    deinit {
        storage.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    var isFull: Bool { count == FrameBatch.capacity }

    /// Copies `frame` in; false (and nothing added) when it does not fit.
    @discardableResult
    func append(_ frame: [UInt8]) -> Bool {
        guard count < FrameBatch.capacity, frame.count <= room else { return false }
        let slot = storage + count * room
        frame.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        vectors[count] = amx_iovec(base: slot, length: frame.count)
        count += 1
        return true
    }

    /// Sends every frame held to `address` (nil: the socket's own peer or
    /// binding) and empties the batch; returns how many the kernel refused.
    func send(on fd: Int32, to address: UnsafeMutableRawPointer?, addressLength: socklen_t) -> Int {
        defer { count = 0 }
        laidOutForReceiving = false
        var done = 0
        while done < count {
            for i in done..<count {
                var h = amx_msghdr()
                h.name = address
                h.nameLength = address == nil ? 0 : addressLength
                h.vectors = vectors + i
                h.vectorCount = 1
                headers[i] = amx_mmsghdr(header: h, length: 0)
            }
            let n = amx_sendmmsg(fd, headers + done, UInt32(count - done), Int32(MSG_DONTWAIT))
            if n < 0 {
                if errno == EINTR { continue }
                // This frame cannot go now; drop it and try the rest, as a
                // busy wire would (the RPC layer retransmits).
                done += 1
                if done == count { return 1 }
                continue
            }
            done += Int(n)
        }
        return 0
    }

    /// Receives up to `capacity` datagrams waiting on `fd` without blocking
    /// and hands each to `handler`; returns how many arrived, or -1 on a
    /// socket error.
    func receive(on fd: Int32, _ handler: (UnsafeRawBufferPointer) -> Void) -> Int {
        var n: Int32
        repeat {
            n = fill(from: fd, flags: Int32(MSG_DONTWAIT))
        } while n < 0 && errno == EINTR
        if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1 }
        deliver(Int(n), handler)
        return Int(n)
    }

    /// One recvmmsg into the batch with `flags` (MSG_DONTWAIT, or
    /// MSG_WAITFORONE to sleep for the first datagram only): how many
    /// arrived, or -1 with errno set. They stay for `deliver` or
    /// `received`, until the next fill or send overwrites them.
    func fill(from fd: Int32, flags: Int32) -> Int32 {
        if !laidOutForReceiving {
            for i in 0..<FrameBatch.capacity {
                vectors[i] = amx_iovec(base: storage + i * room, length: room)
                var h = amx_msghdr()
                h.vectors = vectors + i
                h.vectorCount = 1
                headers[i] = amx_mmsghdr(header: h, length: 0)
            }
            laidOutForReceiving = true
        }
        return amx_recvmmsg(fd, headers, UInt32(FrameBatch.capacity), flags)
    }

    /// Hands the first `count` datagrams of the last fill to `handler`.
    func deliver(_ count: Int, _ handler: (UnsafeRawBufferPointer) -> Void) {
        for i in 0..<count {
            if let bytes = received(i) { handler(bytes) }
        }
    }

    /// The `i`th frame the last fill received; nil when it was truncated.
    @inline(__always)
    func received(_ i: Int) -> UnsafeRawBufferPointer? {
        // A datagram larger than the room is truncated: not a frame we sent.
        guard headers[i].header.flags & Int32(MSG_TRUNC) == 0 else { return nil }
        return UnsafeRawBufferPointer(start: storage + i * room, count: Int(headers[i].length))
    }
}
