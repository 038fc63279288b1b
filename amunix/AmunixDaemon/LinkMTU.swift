// Jumbo frames on a pcap: link (`mtu=N`).
//
// A FLIP message longer than a frame crosses as fragments of at most 1458
// bytes (1500 of Ethernet payload less the fragment control pair and the
// FLIP header), as Amoeba's Ethernet drivers send them. A 30000-byte
// Bullet READ or MODIFY is 21 frames, and on Linux most of what a frame
// costs is the same whatever its size: a slot in a ring or a message of a
// system call, a socket buffer the kernel allocates and frees, a pass
// through the veth or card and the packet socket's filter on each side.
// `put` and `get` between own endpoints moved their data at the rate of
// raw 1514-byte frame streaming (rpc_bench's 30000-byte transactions with
// four in flight equal it), where TCP over the same veth hands the kernel
// 64 KB at a time; streaming raw frames on an MTU-9000 veth moved about
// three times the bytes.
//
// FLIP itself has no frame size: a fragment says its offset and length
// within the message, and a box cuts messages at its `maxFragmentData`.
// So a link given `mtu=9000` lets its frames carry 9000 bytes of payload
// (8958 of FLIP data; a 30000-byte transaction in 4 frames) and sizes
// everything that holds a frame for that: the capture's snapshot length
// and buffer, the receive batches, the transmit ring's slots, the
// socket's receive buffer (the credit window a host grants each
// neighbour is counted in frames, so its bytes grow with them).
//
// The box cuts every message for all its links alike, so a node takes the
// smallest of its links' sizes (`fragmentData(of:)`): a gateway with one
// jumbo link and one plain link sends 1458-byte fragments everywhere.
// Every station on the segment must be set alike, since a frame longer
// than a station's room is dropped by its card or its socket, and with it
// the message: Amoeba 5.3 nodes and our kernel nodes keep 1500, so a
// segment with one of them keeps the default. The interface must carry
// such frames (`ip link set IFACE mtu N`): a link asking for more than its
// interface's MTU is refused when opened, not left to lose every long
// message.

import FLIP
#if canImport(Glibc)
import Glibc
#endif

extension LinkSpec {
    /// The Ethernet payloads `mtu=` accepts: Ethernet's own up to the
    /// common jumbo size.
    public static let mtuRange = EthernetFrame.mtu...9000

    /// The longest frame on the link, Ethernet header included (no CRC).
    public var frameBytes: Int { LinkFrames.frameBytes(mtu: mtu) }

    /// FLIP data bytes one frame of the link carries.
    public var fragmentData: Int { mtu - FragmentControl.size - FLIPHeader.size }

    /// The fragment size of a node on `links`: the smallest link's, so
    /// that every fragment fits every link (Ethernet's with none).
    public static func fragmentData(of links: [LinkSpec]) -> Int {
        links.map(\.fragmentData).min() ?? EthernetFrame.maxData
    }

    /// A FLIP box's configuration `base` for a node on `links`: their
    /// fragment size (see above).
    public static func flip(_ base: FLIPConfiguration, on links: [LinkSpec]) -> FLIPConfiguration {
        var flip = base
        flip.maxFragmentData = fragmentData(of: links)
        return flip
    }
}

/// Sizes that follow a link's longest frame.
enum LinkFrames {
    /// The longest frame of a link carrying `mtu` bytes of payload,
    /// Ethernet header included (no CRC).
    static func frameBytes(mtu: Int) -> Int { EthernetFrame.headerSize + mtu }

    /// Ethernet's own longest frame, 1514 bytes.
    static let ethernetFrameBytes = frameBytes(mtu: EthernetFrame.mtu)

    /// What a link opening on `interface` with `mtu` first checks and
    /// sizes: refused if the interface cannot carry such frames; else its
    /// longest frame and the room one takes in a batch or snapshot.
    static func opening(_ interface: String, mtu: Int, name: String) throws(LinkError) -> (frameBytes: Int, room: Int) {
        try check(interface, mtu: mtu, name: name)
        let bytes = frameBytes(mtu: mtu)
        return (bytes, room(forFrameBytes: bytes))
    }

    /// Room for one frame in a batch or a snapshot: the 2048 bytes that
    /// hold Ethernet's frame with slack, or the frame rounded up to 16.
    static func room(forFrameBytes bytes: Int) -> Int {
        max(FrameBatch.frameRoom, (bytes + 15) / 16 * 16)
    }

    /// A receive buffer sized for `base` bytes of 1514-byte frames, grown
    /// in step with the frames (the kernel charges a frame about its
    /// size plus a fixed overhead, so this errs on the generous side).
    static func buffer(_ base: Int, forFrameBytes bytes: Int) -> Int {
        bytes <= ethernetFrameBytes ? base : base / ethernetFrameBytes * bytes
    }

    /// The MTU the kernel gives `interface` (sysfs), nil if unknown.
    static func interfaceMTU(_ interface: String) -> Int? {
        guard !interface.contains("/"), let f = fopen("/sys/class/net/\(interface)/mtu", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 32)
        guard fgets(&line, 32, f) != nil else { return nil }
        return Int(String(cString: line).trimmingCharacters(in: " \n"))
    }

    /// Refuses a link whose frames its interface cannot carry.
    static func check(_ interface: String, mtu: Int, name: String) throws(LinkError) {
        guard mtu > EthernetFrame.mtu else { return }
        guard let have = interfaceMTU(interface) else { throw LinkError("\(name): cannot read the MTU of \(interface)") }
        guard have >= mtu else {
            throw LinkError("\(name): \(interface)'s MTU is \(have), below mtu=\(mtu) (ip link set \(interface) mtu \(mtu))")
        }
    }
}
