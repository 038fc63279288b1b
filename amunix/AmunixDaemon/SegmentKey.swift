// Access control for an Ethernet-in-UDP segment without root (issue 10,
// item 6): a secret key shared by the daemons of one segment, kept in a
// file of mode 0600. Every datagram is sealed with it (Sources/SegmentSeal:
// enciphered, authenticated and numbered), so a local user who can join the
// multicast group but cannot read the key file can neither read a frame nor
// write one, nor replay one it recorded. Kernel nodes in QEMU join with
// the same file (kernel-run.sh key=, Kernel/Network/LinkSeal.swift).
//
// The link option `key=PATH` names the file; the first daemon to find it
// missing makes it from the system CSPRNG (created exclusively, so daemons
// starting together agree on one key).

import Amunix
import SegmentSeal
#if canImport(Glibc)
import Glibc
#endif

struct SegmentKey: Sendable {
    /// The file's 32 bytes.
    let bytes: [UInt8]

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The seal of one link: its sender id drawn from the CSPRNG (never
    /// from a --seed generator: a repeated id and counter would repeat a
    /// nonce), its counter and replay table starting at `now`.
    func makeSeal(now: UInt64) -> SegmentSeal {
        var g = SystemRandomNumberGenerator()
        return SegmentSeal(segmentKey: bytes, senderID: UInt32.random(in: .min ... .max, using: &g), now: now)
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
        guard let text = PrivateFiles.read(path),
              let bytes = try? SegmentKeyFile.key(from: Array(text.utf8)) else { return nil }
        return SegmentKey(bytes: bytes)
    }
}
