// Capability sets: what a directory row holds. A set names one object that
// may have several replicas (up to eight), each with its own capability and
// a flag saying whether that copy is current. On the wire (Amoeba's
// buf_put_capset): int16 initial, int16 count, then per capability the 16
// capability bytes and an int16 "current" flag, all little-endian.

import AmoebaCore

public struct CapabilitySet: Hashable, Sendable {
    public struct Suite: Hashable, Sendable {
        public var capability: Capability
        public var isCurrent: Bool

        public init(capability: Capability, isCurrent: Bool = true) {
            self.capability = capability
            self.isCurrent = isCurrent
        }
    }

    /// The number of copies the set started with (cs_initial).
    public var initial: Int16
    public var suites: [Suite]

    public init(initial: Int16, suites: [Suite]) {
        self.initial = initial
        self.suites = suites
    }

    /// A set of exactly one current capability (cs_singleton).
    public init(_ capability: Capability) {
        self.init(initial: 1, suites: [Suite(capability: capability)])
    }

    public static let empty = CapabilitySet(initial: 0, suites: [])

    /// The current capabilities, in order.
    public var current: [Capability] { suites.filter { $0.isCurrent }.map { $0.capability } }

    /// The bytes this set takes on the wire.
    public var encodedSize: Int { 4 + suites.count * (Capability.size + 2) }

    public func encode(into w: inout BufferWriter) throws(MarshalError) {
        try w.write(initial)
        try w.write(Int16(truncatingIfNeeded: suites.count))
        for s in suites {
            try w.write(s.capability)
            try w.write(Int16(s.isCurrent ? 1 : 0))
        }
    }

    /// Reads a set, refusing a count outside 0...MAXCAPSET as Amoeba does.
    public static func decode(from r: inout BufferReader) throws(MarshalError) -> CapabilitySet {
        let initial = try r.readInt16()
        let count = try r.readInt16()
        guard count >= 0, Int(count) <= DirectoryLimits.maxSuites else { throw .invalidValue }
        var suites = [Suite]()
        for _ in 0..<Int(count) {
            let cap = try r.readCapability()
            let current = try r.readInt16()
            suites.append(Suite(capability: cap, isCurrent: current != 0))
        }
        return CapabilitySet(initial: initial, suites: suites)
    }

    public var bytes: [UInt8] {
        var w = BufferWriter()
        try! encode(into: &w)  // no limit: cannot fail
        return w.bytes
    }

    /// Writes this set restricted to `mask`, as Amoeba's buf_gen_capset
    /// does for a LOOKUP or SETLOOKUP answer. `restrict` gives a
    /// capability cut down to `mask` (nil when it cannot be). A suite that
    /// is not current, or cannot be restricted, goes out as its bare port;
    /// when that happens to every suite the status is SP_UNREACH.
    public func writeRestricted(mask: UInt8, into w: inout BufferWriter,
                                restrict: (Capability, UInt8) -> Capability?) throws(MarshalError) -> ErrorCode {
        try w.write(initial)
        try w.write(Int16(truncatingIfNeeded: suites.count))
        var status: ErrorCode = suites.isEmpty ? .ok : .directoryUnreachable
        for s in suites {
            var out = Capability(port: s.capability.port, private: Capability.null.private)
            if s.isCurrent, let r = restrict(s.capability, mask) {
                out = r
                status = .ok
            }
            try w.write(out)
            try w.write(Int16(s.isCurrent ? 1 : 0))
        }
        return status
    }
}
