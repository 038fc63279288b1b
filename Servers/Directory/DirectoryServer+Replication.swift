// What a replicated directory service needs of one replica's server:
// deterministic application and whole-state transfer.
//
// Replicas apply the same writes in the same order (the group's total
// order), so they end in the same state only if applying reads nothing
// local: the row time and a new directory's random number are chosen once,
// by the replica that took the request, and carried with the write.
// Object numbers follow from the state (the lowest free one), so they agree
// by themselves. A joining replica takes the whole state as one byte
// string, cut at the point in the order where it joined.

import AmoebaCore
import DirectoryProtocol
import Storage

extension DirectoryServer {
    /// Whether `command` changes the state, so that replicas must order it;
    /// everything else is answered by any one replica alone.
    public static func changesState(_ command: UInt16) -> Bool {
        switch command {
        case DirectoryCommand.create, DirectoryCommand.discard, StandardCommand.destroy,
             DirectoryCommand.append, DirectoryCommand.chmod, DirectoryCommand.delete,
             DirectoryCommand.install, DirectoryCommand.putType, DirectoryCommand.replace:
            return true
        default:
            return false
        }
    }

    /// Handles a request with the clock reading `time` and `random` as the
    /// random number of any directory it creates.
    public func apply(header: Header, data: [UInt8], time: Int32, random: Port) -> (Header, [UInt8]) {
        let (savedClock, savedRandom) = (clock, newRandom)
        clock = { time }
        newRandom = { random }
        defer {
            clock = savedClock
            newRandom = savedRandom
        }
        return handle(header: header, data: data)
    }

    /// Whether `p` is the super capability with all rights: what a replica
    /// shows to be given the whole state.
    public func isSuperOwner(_ p: PrivatePart) -> Bool {
        p.object.value == 0 && p.rights == .all && p.isValid(forRandom: superRandom)
    }

    /// The whole state: a count, then per directory its number, length and
    /// record, in increasing order of number.
    public func snapshot() -> [UInt8] {
        var w = BufferWriter()
        try! w.write(UInt32(directories.count))  // no limit: cannot fail
        for n in directories.keys.sorted() {
            let bytes = directories[n]!.encoded()
            try! w.write(n)
            try! w.write(UInt32(bytes.count))
            try! w.write(bytes: bytes)
        }
        return w.bytes
    }

    /// Replaces the whole state with `snapshot`'s, committed in one batch.
    /// A snapshot that does not decode changes nothing (STD_ARGBAD).
    public func install(snapshot: [UInt8]) -> ErrorCode {
        var r = BufferReader(snapshot)
        var incoming = [UInt32: Directory]()
        do throws(MarshalError) {
            let count = try r.readUInt32()
            for _ in 0..<count {
                let n = try r.readUInt32()
                let length = Int(try r.readUInt32())
                guard n != ServerIdentity.key, length <= r.remaining, incoming[n] == nil else { return .argumentBad }
                incoming[n] = try Directory.decode(try r.readBytes(length))
            }
        } catch {
            return .argumentBad
        }
        guard r.isAtEnd else { return .argumentBad }
        var changes = [(UInt32, DirectoryEdit)]()
        for n in directories.keys where incoming[n] == nil { changes.append((n, .whole(nil))) }
        for n in incoming.keys.sorted() { changes.append((n, .whole(incoming[n]))) }
        return save(changes)
    }
}

extension DirectoryServer {
    /// The state as text for comparing replicas: per directory a line with
    /// its number, sequence and a 64-bit FNV-1a hash of its whole record
    /// (random, columns, rows and times), then one line per row name.
    public func dumpLines() -> [String] {
        var out = [String]()
        for n in directories.keys.sorted() {
            let d = directories[n]!
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in d.encoded() { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
            out.append("directory \(n) sequence \(d.sequence) rows \(d.count) hash \(hash)")
            d.forEachRow { out.append("row \(n) \($0.name)") }
        }
        return out
    }
}
