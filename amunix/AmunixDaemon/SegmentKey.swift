// Access control for an Ethernet-in-UDP segment without root (issue 10,
// item 6): a secret key shared by the daemons of one segment, kept in a
// file of mode 0600. Each datagram carries, after its frame, the first 16
// bytes of HMAC-SHA-256(key, frame); a datagram without the right tag is
// dropped before the node sees it. So a local user who can join the
// multicast group but cannot read the key file can neither write to the
// segment nor pose as a host on it.
//
// Frames still travel in clear (a reader of the segment sees capabilities
// as on an Amoeba Ethernet), and a recorded datagram can be replayed; the
// at-most-once ledger refuses a replayed request. Kernel nodes in QEMU
// have no key: a keyed segment is for amunixd hosts only.
//
// The link option `key=PATH` names the file; the first daemon to find it
// missing makes it from the system CSPRNG (created exclusively, so daemons
// starting together agree on one key).

import Amunix
#if canImport(Glibc)
import Glibc
#endif

struct SegmentKey: Sendable {
    static let tagSize = 16
    private let hmac: HMACSHA256

    init(bytes: [UInt8]) { hmac = HMACSHA256(key: bytes) }

    func tag(_ frame: [UInt8]) -> [UInt8] { Array(hmac.mac(frame).prefix(SegmentKey.tagSize)) }

    /// The frame of a datagram whose tag is right, nil otherwise.
    func open(_ datagram: [UInt8]) -> [UInt8]? {
        guard datagram.count > SegmentKey.tagSize else { return nil }
        let frame = Array(datagram.prefix(datagram.count - SegmentKey.tagSize))
        let expected = tag(frame)
        var diff: UInt8 = 0
        for (i, b) in datagram.suffix(SegmentKey.tagSize).enumerated() { diff |= b ^ expected[i] }
        return diff == 0 ? frame : nil
    }

    /// The key in `path` (64 hex digits), made first if there is none.
    static func load(path: String) throws(LinkError) -> SegmentKey {
        if let key = read(path) { return key }
        var g = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        for _ in 0..<4 { let v = g.next(); for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) } }
        let hex = bytes.map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
        let temporary = path + ".\(getpid()).new"
        do { try PrivateFiles.write(hex + "\n", to: temporary) } catch {
            throw LinkError("cannot make the segment key \(path): \(error)")
        }
        // link(2) fails if the key appeared meanwhile: then that one is it.
        let made = link(temporary, path) == 0
        unlink(temporary)
        if !made && errno != EEXIST { throw .system("cannot make the segment key \(path)") }
        guard let key = read(path) else { throw LinkError("segment key \(path) is not 64 hex digits") }
        return key
    }

    private static func read(_ path: String) -> SegmentKey? {
        guard let text = PrivateFiles.read(path) else { return nil }
        let hex = Array(text.utf8.filter { $0 != 10 && $0 != 13 && $0 != 32 })
        guard hex.count == 64 else { return nil }
        var bytes = [UInt8]()
        for i in stride(from: 0, to: 64, by: 2) {
            guard let b = UInt8(String(decoding: hex[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(b)
        }
        return SegmentKey(bytes: bytes)
    }
}
