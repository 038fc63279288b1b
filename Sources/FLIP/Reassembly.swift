// Reassembly of fragmented messages.
//
// A message longer than one frame arrives as fragments that share source,
// destination and message id and say where their bytes go (offset) within
// how many (total). Fragments may come in any order, twice, or never. We
// copy each into place and remember which byte ranges are covered; the
// message is delivered once every byte is, and never before. A fragment
// that disagrees with the message it claims to belong to (another total,
// bytes beyond the end) is refused, and a message that stops growing is
// thrown away after a timeout so that its memory comes back. FLIP does not
// ask for lost fragments again: the RPC layer above retransmits.
//
// A message's bytes may be kept in two buffers, split where the receiving
// endpoint asked (`FLIPBox.register(privateAddress:headSize:)`): its first
// bytes, the headers of the protocol above, in a small buffer, and the rest
// in a buffer of its own. RPC's messages are 56 bytes of headers and then
// the transaction's data: reassembled this way, the data is already the
// array RPC hands to its user, and no byte is copied after the fragments
// were placed.
//
// When a new message does not fit, messages that have stalled (no new
// bytes for `stallTime`) make room, the longest stalled first: a stranger
// who keeps a few huge messages half-sent by trickling one fragment now
// and then must not block every multi-frame message behind them, while a
// message in full flow (its frames come within milliseconds) is never the
// one to go.

import AmoebaCore

struct ReassemblyKey: Hashable {
    var source: FLIPAddress
    var destination: FLIPAddress
    var messageID: UInt32
    var isMulticast: Bool
}

struct PartialMessage {
    /// The message's first `split` bytes, zeros until they come.
    var head: [UInt8]
    /// The message's bytes after the first `split` so far. Fragments that
    /// come in order are appended (no zeroing of the whole message first);
    /// the first one out of order pads it with zeros to its full size, and
    /// from then on each fragment is copied into place.
    var buffer: [UInt8]
    /// The message's size.
    let total: Int
    /// Where the head ends and `buffer` begins, in the message (0: the
    /// whole message is in `buffer`).
    let split: Int
    /// Disjoint, sorted, non-adjacent covered ranges.
    var covered: [Range<Int>] = []
    var expiry: Instant
    /// When the last fragment with new bytes came.
    var lastProgress: Instant

    var isComplete: Bool { covered.count == 1 && covered[0] == 0..<total }

    init(total: Int, split: Int = 0, expiry: Instant, lastProgress: Instant) {
        self.total = total
        self.split = min(max(split, 0), total)
        self.head = self.split == 0 ? [] : [UInt8](repeating: 0, count: self.split)
        self.buffer = []
        self.buffer.reserveCapacity(total - self.split)
        self.expiry = expiry
        self.lastProgress = lastProgress
    }

    mutating func add(_ range: Range<Int>) {
        // Fragments in order (nearly all) start inside or right after the
        // last range: it grows in place, where the general merge below
        // builds a new array for every fragment. The last range is the
        // highest, so nothing before it can touch the grown one.
        if let last = covered.last, last.lowerBound <= range.lowerBound, range.lowerBound <= last.upperBound {
            covered[covered.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            return
        }
        var merged = range
        var kept = [Range<Int>]()
        kept.reserveCapacity(covered.count + 1)
        for r in covered {
            if r.upperBound < merged.lowerBound || r.lowerBound > merged.upperBound {
                kept.append(r)
            } else {
                merged = min(r.lowerBound, merged.lowerBound)..<max(r.upperBound, merged.upperBound)
            }
        }
        kept.append(merged)
        kept.sort { $0.lowerBound < $1.lowerBound }
        covered = kept
    }
}

enum FragmentOutcome {
    /// The whole message; for one kept split, the part after its split
    /// (its head goes out through `add`'s `head`).
    case complete([UInt8])
    case incomplete
    case refused(FLIPDropReason)
}

struct Reassembler {
    private(set) var partial: [ReassemblyKey: PartialMessage] = [:]
    let timeout: Interval
    let maxMessageSize: Int
    let maxPartial: Int
    let maxBytes: Int
    /// Bytes held by all partial messages together.
    private(set) var bytesHeld = 0
    /// A message without new bytes this long may give way to a new one.
    let stallTime: Interval
    /// Stalled messages dropped to make room.
    private(set) var evicted = 0
    /// Where the message of the last fragment sits in `partial`
    /// (RecentIndex.swift): a message's fragments come one after another.
    private var recent = RecentIndex<ReassemblyKey, PartialMessage>()

    private mutating func index(of key: ReassemblyKey) -> Dictionary<ReassemblyKey, PartialMessage>.Index? {
        recent.of(key, in: partial)
    }

    private mutating func messagesChange() { recent.forget() }

    init(configuration c: FLIPConfiguration) {
        timeout = c.reassemblyTimeout
        maxMessageSize = c.maxMessageSize
        maxPartial = c.maxReassemblies
        maxBytes = c.maxReassemblyBytes
        stallTime = Interval(microseconds: max(c.reassemblyTimeout.microseconds / 20, 1))
    }

    /// Drops stalled messages, longest stalled first, until one of `size`
    /// bytes fits; false if it still does not.
    private mutating func makeRoom(for size: Int, now: Instant) -> Bool {
        while partial.count >= maxPartial || size > maxBytes - bytesHeld {
            var victim: (ReassemblyKey, Instant)?
            for (k, m) in partial where now - m.lastProgress >= stallTime {
                if victim == nil || m.lastProgress < victim!.1 { victim = (k, m.lastProgress) }
            }
            messagesChange()
            guard let (key, _) = victim, let m = partial.removeValue(forKey: key) else { return false }
            bytesHeld -= m.total
            evicted += 1
        }
        return true
    }

    /// As below, for a fragment held in an array of its own: a whole
    /// message comes back as that array.
    mutating func add(_ key: ReassemblyKey, offset: UInt32, total: UInt32, data: [UInt8],
                      now: Instant) -> FragmentOutcome {
        add(key, offset: offset, total: total, fragment: data[...], now: now) ?? .complete(data)
    }

    /// Adds one fragment. The header's offset, length and total are
    /// untrusted; `data.count` equals the header's length (the frame
    /// decoder saw to that). nil when the fragment is the whole message
    /// (the usual case): it is delivered as it is, a view of its frame.
    mutating func add(_ key: ReassemblyKey, offset: UInt32, total: UInt32, fragment data: ArraySlice<UInt8>,
                      now: Instant) -> FragmentOutcome? {
        var head: [UInt8] = []
        return add(key, offset: offset, total: total, fragment: data, split: 0, head: &head, now: now)
    }

    /// As above; a message this fragment starts keeps its first `split`
    /// bytes apart from the rest (see above). When such a message
    /// completes, `.complete` holds the rest and `head` is set to those
    /// first bytes.
    mutating func add(_ key: ReassemblyKey, offset: UInt32, total: UInt32, fragment data: ArraySlice<UInt8>,
                      split: Int, head: inout [UInt8], now: Instant) -> FragmentOutcome? {
        guard UInt64(total) <= UInt64(maxMessageSize) else { return .refused(.messageTooLarge) }
        guard UInt64(offset) + UInt64(data.count) <= UInt64(total) else {
            return .refused(.inconsistentFragment)
        }
        let size = Int(total), start = Int(offset)
        if start == 0 && data.count == size && (partial.isEmpty || partial[key] == nil) { return nil }
        // One look-up of the key per fragment; the message is then changed
        // in place through its index: a copy taken out and put back would
        // share the buffer, and the first write would copy the whole
        // message again for every fragment.
        let i: Dictionary<ReassemblyKey, PartialMessage>.Index
        if let found = index(of: key) {
            // Read in place: through the values' getter the whole message
            // was copied out for one field (its three arrays retained and
            // released), every fragment.
            guard Reassembler.total(of: &partial.values[found]) == size else {
                return .refused(.inconsistentFragment)
            }
            i = found
        } else {
            guard size <= maxBytes, makeRoom(for: size, now: now) else {
                return .refused(.tooManyReassemblies)
            }
            messagesChange()
            partial[key] = PartialMessage(total: size, split: split, expiry: now + timeout, lastProgress: now)
            bytesHeld += size
            i = index(of: key)!
        }
        let complete = Reassembler.place(data, at: start, expiry: now + timeout, now: now, in: &partial.values[i])
        guard complete else { return .incomplete }
        messagesChange()
        let message = partial.remove(at: i).value
        bytesHeld -= size
        if message.split > 0 { head = message.head }
        return .complete(message.buffer)
    }

    /// Appends the bytes of a fragment that continues the message `key`
    /// names in order (they start where the bytes so far end, after its
    /// split) and do not complete it: what `add` does for it, without the
    /// general placing. false, with nothing changed, for any other
    /// fragment. `data` is not empty and within `total`, both untrusted
    /// (kept unconverted until the message's own total vouches for them:
    /// on a 32-bit guest a larger one would trap as an Int).
    mutating func appendInOrder(_ key: ReassemblyKey, at start: UInt64, total: UInt64, fragment data: UnsafeBufferPointer<UInt8>,
                                now: Instant) -> Bool {
        guard let i = index(of: key) else { return false }
        return Reassembler.appendInOrder(data, at: start, total: total, expiry: now + timeout, now: now,
                                         in: &partial.values[i])
    }

    private static func appendInOrder(_ data: UnsafeBufferPointer<UInt8>, at offset: UInt64, total: UInt64, expiry: Instant,
                                      now: Instant, in message: inout PartialMessage) -> Bool {
        guard UInt64(message.total) == total else { return false }
        let start = Int(offset), end = start + data.count
        guard end < message.total, message.covered.count == 1,
              message.covered[0].lowerBound == 0, message.covered[0].upperBound == start,
              start >= message.split, start - message.split == message.buffer.count else { return false }
        // New bytes, all after the split: progress, appended, and the one
        // covered range grows (as `place` and `PartialMessage.add` have it).
        message.lastProgress = now
        message.buffer.append(contentsOf: data)
        message.covered[0] = 0..<end
        message.expiry = expiry
        return true
    }

    private static func total(of message: inout PartialMessage) -> Int { message.total }

    private static func place(_ data: ArraySlice<UInt8>, at start: Int, expiry: Instant, now: Instant,
                              in message: inout PartialMessage) -> Bool {
        if !data.isEmpty {
            // Progress only if the bytes are new: a stranger resending one
            // fragment keeps a message alive, not moving.
            let range = start..<(start + data.count)
            if !message.covered.contains(where: { $0.lowerBound <= range.lowerBound && range.upperBound <= $0.upperBound }) {
                message.lastProgress = now
            }
            // The part before the split goes into the head, the rest into
            // the buffer at its place after the split.
            let split = message.split
            let inHead = max(min(start + data.count, split) - start, 0)
            if inHead > 0 {
                let part = data[data.startIndex..<(data.startIndex + inHead)]
                message.head.withUnsafeMutableBytes { to in
                    part.withUnsafeBytes { from in
                        to.baseAddress!.advanced(by: start).copyMemory(from: from.baseAddress!, byteCount: from.count)
                    }
                }
            }
            let rest = data[(data.startIndex + inHead)...]
            let at = start + inHead - split
            if rest.isEmpty {
                // All of it in the head.
            } else if at == message.buffer.count {
                // In order: the bytes so far are exactly split..<start.
                message.buffer.append(contentsOf: rest)
            } else {
                let size = message.total - split
                if message.buffer.count < size {
                    message.buffer.append(contentsOf: repeatElement(0, count: size - message.buffer.count))
                }
                message.buffer.withUnsafeMutableBytes { to in
                    rest.withUnsafeBytes { from in
                        to.baseAddress!.advanced(by: at).copyMemory(from: from.baseAddress!, byteCount: from.count)
                    }
                }
            }
            message.add(start..<(start + data.count))
        }
        message.expiry = expiry
        return message.isComplete
    }

    var nextExpiry: Instant? {
        var e: Instant?
        for (_, m) in partial { e = earliest(e, m.expiry) }
        return e
    }

    /// Drops timed-out messages; returns how many.
    mutating func expire(now: Instant) -> Int {
        var n = 0
        for (k, m) in partial where m.expiry <= now {
            messagesChange()
            partial[k] = nil
            bytesHeld -= m.total
            n += 1
        }
        return n
    }
}
