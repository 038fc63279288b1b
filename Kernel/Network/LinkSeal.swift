// A kernel node on a keyed segment: every frame it sends is sealed and
// every frame it hears is opened, with the same SegmentSeal code and key
// derivation amunixd uses (Sources/SegmentSeal), so kernel nodes and Linux
// hosts share one private segment.
//
// QEMU's Ethernet-in-UDP backends (`-netdev socket,mcast=` and `-netdev
// dgram`) carry each guest frame as one datagram payload, unchanged, so the
// "frame" the NIC moves is the sealed datagram itself: the seal happens
// here, between the node body and the driver, and QEMU never sees a key.
//
// The key is the segment's key file (64 hex digits), which the run script
// hands over as the fw_cfg file `opt/amoeba/segkey` (the QEMU command line
// is readable by every local user). No such file: the link is unkeyed, as
// before. A file that is there but is no key: the link is not brought up at
// all, since sending in clear on a segment meant to be private would give
// away every capability in the frames.
//
// The sender id comes from the kernel's entropy at boot, and the counter
// from the wall clock (RTC at boot plus the TSC clock since) in
// microseconds, as SegmentSeal asks; the receiver's replay window runs on
// the same clock.
import AmoebaCore
import SegmentSeal

enum LinkSeal {
    static let firmwareFile = "opt/amoeba/segkey"
    /// A key file is 64 hex digits and a line end; a little slack for
    /// spaces, which amunixd allows too.
    static let fileLimit = 128

    /// What the firmware configuration says about the segment's key.
    enum Configuration {
        case unkeyed
        case keyed([UInt8])
        /// A key file that is no key; why, for the console.
        case malformed(String)
    }

    /// The link's seal; nil on an unkeyed link.
    private(set) static var seal: SegmentSeal? = nil
    /// Whether `seal` is set (only `start` sets it), kept apart: every
    /// frame in and out asks, and asking the optional seal itself took
    /// some forty instructions a frame.
    private(set) static var isKeyed = false
    /// Our own datagrams heard back from the multicast group, skipped unopened.
    private(set) static var ownSkipped: UInt64 = 0
    /// Time-stamp counts spent sealing and opening (skips excluded): what
    /// the key costs this node, shown in µs by the report.
    private static var sealCounts: UInt64 = 0
    private static var openCounts: UInt64 = 0

    /// Reads the key, if any, and readies the seal. False when a key file
    /// is present but malformed: the caller must not bring the link up.
    static func start() -> Bool {
        switch configuration() {
        case .unkeyed:
            return true
        case .malformed(let why):
            print("[net] segment key in fw_cfg \(firmwareFile) is malformed (\(why)): link not brought up")
            return false
        case .keyed(let key):
            Entropy.stir()
            let id = UInt32(truncatingIfNeeded: Entropy.next() >> 16)
            if Kernel.bootUnixSeconds <= 0 {
                print("[net] segment key: the RTC gave no time, so peers will refuse this node's datagrams as out of time")
            }
            seal = SegmentSeal(segmentKey: key, senderID: id, now: wallClock())
            isKeyed = true
            print("[net] segment key from fw_cfg \(firmwareFile): every frame sealed (sender \(Hex.encode([UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)])))")
            return true
        }
    }

    /// The key file's contents as fw_cfg holds them, judged.
    static func configuration() -> Configuration {
        switch FirmwareConfig.lookup(firmwareFile, limit: fileLimit) {
        case .absent: return .unkeyed
        case .tooLarge(let size): return .malformed("\(size) bytes")
        case .found(let bytes): return parse(bytes)
        }
    }

    /// The key the file spells, read as amunixd reads it (SegmentKeyFile).
    static func parse(_ bytes: [UInt8]) -> Configuration {
        do throws(SegmentKeyFile.Defect) {
            return .keyed(try SegmentKeyFile.key(from: bytes))
        } catch {
            switch error {
            case .notHex: return .malformed("not hex digits")
            case .wrongLength(let digits): return .malformed("\(digits) hex digits, not 64")
            }
        }
    }

    /// Microseconds since 1970 on the kernel's wall clock.
    static func wallClock() -> UInt64 {
        UInt64(max(Kernel.bootUnixSeconds, 0)) &* 1_000_000 &+ UInt64(max(Clock.now().microseconds, 0))
    }

    /// What goes to the NIC for `frame`: the frame itself on an unkeyed
    /// link, its sealed datagram on a keyed one. A short frame is padded to
    /// Ethernet's minimum first, as the NIC pads it when unkeyed, so peers
    /// hear the same frame either way (and the NIC never pads, which would
    /// break the tag).
    ///
    /// `body` gets the unkeyed frame as it is, borrowed: no copy and no
    /// reference count taken for it, on the path of every frame.
    @inline(__always)
    static func outgoing<R>(_ frame: [UInt8], _ body: ([UInt8]) -> R) -> R {
        isKeyed ? body(sealed(frame)) : body(frame)
    }

    private static func sealed(_ frame: [UInt8]) -> [UInt8] {
        let start = Clock.counts()
        defer { sealCounts &+= Clock.counts() &- start }
        let now = wallClock()
        guard frame.count < VirtioNet.minimumFrame else { return seal!.seal(frame, now: now) }
        var padded = frame
        padded.append(contentsOf: repeatElement(0, count: VirtioNet.minimumFrame - frame.count))
        return seal!.seal(padded, now: now)
    }

    /// Hands `body` the frame a datagram from the NIC carries, on an
    /// unkeyed link the datagram itself, borrowed, as `outgoing` does.
    /// `body` is not called for a datagram dropped: our own looped back (by
    /// sender id, before any work), or one that does not open or was taken
    /// before (counted in the seal's statistics).
    @inline(__always)
    static func incoming(_ datagram: [UInt8], _ body: ([UInt8]) -> Void) {
        if isKeyed {
            if let frame = opened(datagram) { body(frame) }
        } else {
            body(datagram)
        }
    }

    private static func opened(_ datagram: [UInt8]) -> [UInt8]? {
        let own = datagram.withUnsafeBytes { SegmentSeal.sender(of: $0) == seal!.senderID }
        if own { ownSkipped &+= 1; return nil }
        let start = Clock.counts()
        defer { openCounts &+= Clock.counts() &- start }
        do throws(SealRefusal) {
            return try seal!.open(datagram, now: wallClock())
        } catch {
            return nil
        }
    }

    /// The seal's line in sys KSTAT n (std_status).
    static func report() -> String {
        guard let s = seal?.statistics else { return "seal: none (unkeyed link)\n" }
        return "seal: sealed \(s.sealed) opened \(s.opened) refused \(s.refused): bad tag \(s.badTag), replayed \(s.replayed), "
            + "out of time \(s.outOfTime), malformed \(s.malformed); own skipped \(ownSkipped); "
            + "sealing \(Clock.microseconds(ofCounts: sealCounts)) us, opening \(Clock.microseconds(ofCounts: openCounts)) us\n"
    }
}
