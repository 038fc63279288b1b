// One replica of the directory service, sans I/O: what it does with each
// message of the group's total order, and the state it hands to joiners.
//
// The driver (soap-server) receives the group's messages and passes them
// here in order; every replica that has seen the same messages since it
// took its state holds the same directories, so any of them may answer a
// read. Writes sent twice are applied once: the tags of recent writes are
// part of the state and travel with it to a joiner, so that all replicas
// agree on what counts as a repeat.
//
// A joiner's state is cut where its JOIN falls in the order: each replica
// already in the group records its state there, under the number the joiner
// put in its JOIN header, and the joiner fetches it from any of them in
// pieces (soap-server does it by RPC), then applies what followed its JOIN.

import AmoebaCore
import Directory
import Storage

public final class DirectoryReplica<Store: ObjectStore> {
    public let server: DirectoryServer<Store>

    /// Recent writes' tags, oldest first, and the same as a set.
    private var recentOrder: [WriteTag] = []
    private var recent: Set<WriteTag> = []
    /// How many tags are remembered: far more than can be in flight while
    /// a sender retries.
    public let tagMemory: Int

    /// States recorded for joiners, by the number in their JOIN header,
    /// the most recent last; at most `keptStates`.
    private var statesForJoiners: [(joiner: Port, bytes: [UInt8])] = []
    public let keptStates = 4

    public init(server: DirectoryServer<Store>, tagMemory: Int = 4096) {
        self.server = server
        self.tagMemory = max(1, tagMemory)
    }

    /// Applies one ordered write; nil when it is a repeat of one applied
    /// before (its first application answered the client).
    public func apply(_ w: ReplicatedWrite) -> (Header, [UInt8])? {
        guard !recent.contains(w.tag) else { return nil }
        remember(w.tag)
        guard DirectoryServer<Store>.changesState(w.header.command) else {
            // Only writes are sent; anything else is answered, not applied.
            var h = w.header
            h.status = .commandBad
            return (h, [])
        }
        return server.apply(header: w.header, data: w.data, time: w.time, random: w.random)
    }

    private func remember(_ tag: WriteTag) {
        recent.insert(tag)
        recentOrder.append(tag)
        if recentOrder.count > tagMemory {
            let drop = recentOrder.count - tagMemory
            for t in recentOrder[0..<drop] { recent.remove(t) }
            recentOrder.removeFirst(drop)
        }
    }

    // MARK: State transfer

    /// The replica's whole state: the recent tags, then the directories.
    public func state() -> [UInt8] {
        var w = BufferWriter()
        try! w.write(UInt32(recentOrder.count))  // no limit: cannot fail
        for t in recentOrder {
            for v in [t.origin, t.number] {
                try! w.write(UInt32(truncatingIfNeeded: v))
                try! w.write(UInt32(truncatingIfNeeded: v >> 32))
            }
        }
        try! w.write(bytes: server.snapshot())
        return w.bytes
    }

    /// Takes a state another replica recorded; an error (and nothing
    /// changed) when it does not decode or cannot be stored.
    public func install(state bytes: [UInt8]) -> ErrorCode {
        var r = BufferReader(bytes)
        var tags = [WriteTag]()
        do throws(MarshalError) {
            let count = Int(try r.readUInt32())
            guard count <= r.remaining / 16 else { return .argumentBad }
            for _ in 0..<count {
                let o = UInt64(try r.readUInt32()) | UInt64(try r.readUInt32()) << 32
                let n = UInt64(try r.readUInt32()) | UInt64(try r.readUInt32()) << 32
                tags.append(WriteTag(origin: o, number: n))
            }
        } catch {
            return .argumentBad
        }
        let status = server.install(snapshot: r.readRest())
        guard status == .ok else { return status }
        recentOrder = []
        recent = []
        for t in tags { remember(t) }
        return .ok
    }

    /// Records the state for the joiner whose JOIN carried `joiner`, at the
    /// point of its JOIN in the order.
    public func joined(_ joiner: Port) {
        statesForJoiners.removeAll { $0.joiner == joiner }
        statesForJoiners.append((joiner, state()))
        if statesForJoiners.count > keptStates { statesForJoiners.removeFirst() }
    }

    /// Up to `count` bytes from `offset` of the state recorded for
    /// `joiner`, with the state's whole length; nil when none is recorded
    /// here (yet: this replica may not have reached the JOIN).
    public func statePiece(for joiner: Port, offset: Int, count: Int) -> (total: Int, bytes: [UInt8])? {
        guard let s = statesForJoiners.last(where: { $0.joiner == joiner }) else { return nil }
        let start = min(max(0, offset), s.bytes.count)
        let end = min(s.bytes.count, start + max(0, count))
        return (s.bytes.count, Array(s.bytes[start..<end]))
    }

    /// Forgets the state recorded for `joiner` (it has it).
    public func forget(_ joiner: Port) {
        statesForJoiners.removeAll { $0.joiner == joiner }
    }
}
