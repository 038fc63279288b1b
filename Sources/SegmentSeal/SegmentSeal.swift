// The seal on every datagram of a keyed segment (issue 10, item 6): an
// Ethernet frame carried in UDP is enciphered and authenticated with
// ChaCha20-Poly1305, and numbered so that a receiver takes each datagram
// once. Whoever lacks the segment's key can neither read a frame (a
// capability in it stays secret) nor write one, nor make a host take a
// recorded datagram again.
//
// A sealed datagram:
//
//   offset  size  field
//   0       1     version, 1
//   1       4     sender id: drawn from the CSPRNG when the sender starts
//   5       8     counter, little-endian
//   13      n     the frame, enciphered
//   13+n    16    the Poly1305 tag over bytes 0..<13 (associated data)
//                 and the ciphertext
//
// Bytes 1..<13 are the 96-bit ChaCha20 nonce. A nonce must never repeat
// under one key, so the counter never goes back: each datagram takes the
// counter after the last, or the sender's wall clock in microseconds less
// one millisecond if that is later. It so starts just past the clock, stays
// above everything a previous run of the same id sent, and stays dense
// (consecutive for datagrams sent within a millisecond of each other) so
// that the receiver's window (ReplayGuard.swift) spans many datagrams. The
// random id separates senders that start in the same microsecond.
//
// The key: the segment's key file holds 32 random bytes; the cipher key is
// HMAC-SHA-256(file key, "amoeba segment seal 1"), so the file's key is
// used for nothing else directly.
//
// Sans I/O: the caller passes the clock (microseconds since 1970) and the
// sender id, and reads the statistics.

public struct SegmentSeal: Sendable {
    public static let version: UInt8 = 1
    public static let headerSize = 13
    public static let tagSize = ChaCha20Poly1305.tagSize
    /// Bytes a datagram has beyond its frame.
    public static let overhead = headerSize + tagSize
    /// How far a counter may lag the clock before it is moved up to it.
    public static let counterLag: UInt64 = 1000

    private static let keyLabel: [UInt8] = Array("amoeba segment seal 1".utf8)

    private let aead: ChaCha20Poly1305
    public let senderID: UInt32
    /// The counter of the last datagram sealed.
    public private(set) var counter: UInt64
    private var replay: ReplayGuard
    public private(set) var statistics = SealStatistics()

    /// A sealer and opener for the segment whose key file holds `key`,
    /// starting at `now`.
    public init(segmentKey key: [UInt8], senderID: UInt32, now: UInt64,
                senderCapacity: Int = ReplayGuard.defaultCapacity) {
        aead = ChaCha20Poly1305(key: SegmentSeal.sealingKey(segmentKey: key))
        self.senderID = senderID
        counter = now
        // A datagram sent after this start carries at least the sender's
        // clock less the lag: the floor for senders not yet heard.
        let lagging = now > SegmentSeal.counterLag ? now - SegmentSeal.counterLag - 1 : 0
        replay = ReplayGuard(floor: lagging, capacity: senderCapacity)
    }

    /// The cipher key derived from a segment key.
    public static func sealingKey(segmentKey: [UInt8]) -> [UInt8] {
        HMACSHA256(key: segmentKey).mac(keyLabel)
    }

    /// The datagram that carries `frame`.
    public mutating func seal(_ frame: [UInt8], now: UInt64) -> [UInt8] {
        let lagging = now > SegmentSeal.counterLag ? now - SegmentSeal.counterLag : 0
        counter = max(counter &+ 1, lagging)
        let id = senderID, n = counter
        var datagram = [UInt8](repeating: 0, count: frame.count + SegmentSeal.overhead)
        datagram.withUnsafeMutableBytes { d in
            d[0] = SegmentSeal.version
            d.storeBytes(of: id.littleEndian, toByteOffset: 1, as: UInt32.self)
            d.storeBytes(of: n.littleEndian, toByteOffset: 5, as: UInt64.self)
            let text = UnsafeMutableRawBufferPointer(rebasing: d[SegmentSeal.headerSize..<(SegmentSeal.headerSize + frame.count)])
            frame.withUnsafeBytes { text.copyMemory(from: $0) }
            aead.seal(nonce: ChaCha20.Nonce(id, UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32)),
                      associated: UnsafeRawBufferPointer(rebasing: d[0..<SegmentSeal.headerSize]),
                      text: text,
                      tag: UnsafeMutableRawBufferPointer(rebasing: d[(SegmentSeal.headerSize + frame.count)...]))
        }
        statistics.sealed += 1
        return datagram
    }

    /// The frame a datagram carries, if its seal is right and it was not
    /// taken before; a refusal is counted in `statistics` and thrown.
    public mutating func open(_ datagram: UnsafeRawBufferPointer, now: UInt64) throws(SealRefusal) -> [UInt8] {
        guard datagram.count > SegmentSeal.overhead else { statistics.malformed += 1; throw .malformed }
        guard datagram[0] == SegmentSeal.version else { statistics.malformed += 1; throw .unknownVersion }
        let id = SegmentSeal.sender(of: datagram)!
        let n = UInt64(littleEndian: datagram.loadUnaligned(fromByteOffset: 5, as: UInt64.self))
        let length = datagram.count - SegmentSeal.overhead
        var frame = [UInt8](repeating: 0, count: length)
        let opened = frame.withUnsafeMutableBytes { f in
            f.copyMemory(from: UnsafeRawBufferPointer(rebasing: datagram[SegmentSeal.headerSize..<(SegmentSeal.headerSize + length)]))
            return aead.open(nonce: ChaCha20.Nonce(id, UInt32(truncatingIfNeeded: n), UInt32(truncatingIfNeeded: n >> 32)),
                             associated: UnsafeRawBufferPointer(rebasing: datagram[0..<SegmentSeal.headerSize]),
                             text: f,
                             tag: UnsafeRawBufferPointer(rebasing: datagram[(SegmentSeal.headerSize + length)...]))
        }
        guard opened else { statistics.badTag += 1; throw .badTag }
        // Only now, with the seal proven, may the datagram touch the table.
        switch replay.admit(sender: id, counter: n, now: now) {
        case .fresh: break
        case .replayed: statistics.replayed += 1; throw .replayed
        case .tooOld: statistics.outOfTime += 1; throw .tooOld
        case .tooFarAhead: statistics.outOfTime += 1; throw .tooFarAhead
        }
        statistics.sendersForgotten = replay.forgotten
        statistics.opened += 1
        return frame
    }

    public mutating func open(_ datagram: [UInt8], now: UInt64) throws(SealRefusal) -> [UInt8] {
        var outcome: Result<[UInt8], SealRefusal> = .failure(.malformed)
        datagram.withUnsafeBytes { d in
            do throws(SealRefusal) { outcome = .success(try open(d, now: now)) } catch { outcome = .failure(error) }
        }
        return try outcome.get()
    }

    /// The sender id a datagram claims (unauthenticated: for telling one's
    /// own looped-back datagrams from others' before opening them).
    public static func sender(of datagram: UnsafeRawBufferPointer) -> UInt32? {
        guard datagram.count >= headerSize else { return nil }
        return UInt32(littleEndian: datagram.loadUnaligned(fromByteOffset: 1, as: UInt32.self))
    }
}

/// Why a datagram was not opened.
public enum SealRefusal: Error, Equatable, Sendable {
    /// Too short to hold a header and a tag.
    case malformed
    /// A version byte this code does not know.
    case unknownVersion
    /// The tag is wrong: another key, or altered on the way.
    case badTag
    /// Taken before, or older than the window.
    case replayed
    /// The counter is too far behind the receiver's clock.
    case tooOld
    /// The counter is too far ahead of the receiver's clock.
    case tooFarAhead
}

/// What a seal has done, for the daemon's status.
public struct SealStatistics: Equatable, Sendable {
    public var sealed = 0
    public var opened = 0
    public var malformed = 0
    public var badTag = 0
    public var replayed = 0
    public var outOfTime = 0
    public var sendersForgotten = 0
    public init() {}
    /// Datagrams refused for any reason.
    public var refused: Int { malformed + badTag + replayed + outOfTime }
}
