// SOAP request buffers, both halves: what a client builds (as Amoeba's
// sp_* stubs do) and what a server reads back. Every directory server here
// (the SOAP server, a node's own directory) and every client (the tools,
// the kernel's user library) marshals through this one file, so the two
// sides cannot drift apart; the tests hold them to each other and to the
// protocol facts.

import AmoebaCore

public enum DirectoryRequest {
    /// CREATE: the column names.
    public static func create(columns: [String]) -> [UInt8] {
        strings(columns)
    }

    /// DELETE, GETMASKS (a row name) and LOOKUP (a path).
    public static func name(_ name: String) -> [UInt8] {
        strings([name])
    }

    /// APPEND: name, capability set, one int32 mask per column.
    public static func append(name: String, capabilities: CapabilitySet, masks: [UInt32]) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)  // no limit: these writes cannot fail
        try! capabilities.encode(into: &w)
        for m in masks { try! w.write(m) }
        return w.bytes
    }

    /// REPLACE: name and the new capability set.
    public static func replace(name: String, capabilities: CapabilitySet) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)
        try! capabilities.encode(into: &w)
        return w.bytes
    }

    /// CHMOD: name and the new masks.
    public static func chmod(name: String, masks: [UInt32]) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)
        for m in masks { try! w.write(m) }
        return w.bytes
    }

    /// PUTTYPE: name and a type capability.
    public static func putType(name: String, type: Capability) -> [UInt8] {
        var w = BufferWriter()
        try! w.write(string: name)
        try! w.write(type)
        return w.bytes
    }

    /// One change of an INSTALL.
    public struct InstallEntry {
        public var directory: CapabilitySet
        public var name: String
        public var capabilities: CapabilitySet
        /// What the row must hold now; `.null` for a row that must be empty.
        public var expected: Capability

        public init(directory: CapabilitySet, name: String, capabilities: CapabilitySet, expected: Capability) {
            self.directory = directory
            self.name = name
            self.capabilities = capabilities
            self.expected = expected
        }
    }

    public static func install(_ entries: [InstallEntry]) -> [UInt8] {
        var w = BufferWriter()
        for e in entries {
            try! e.directory.encode(into: &w)
            try! w.write(string: e.name)
            try! e.capabilities.encode(into: &w)
            try! w.write(e.expected)
        }
        return w.bytes
    }

    /// SETLOOKUP: (directory, name) pairs.
    public static func setLookup(_ entries: [(directory: CapabilitySet, name: String)]) -> [UInt8] {
        var w = BufferWriter()
        for e in entries {
            try! e.directory.encode(into: &w)
            try! w.write(string: e.name)
        }
        return w.bytes
    }

    private static func strings(_ list: [String]) -> [UInt8] {
        var w = BufferWriter()
        for s in list { try! w.write(string: s) }
        return w.bytes
    }

    // MARK: reading requests (the server's half)

    /// The path of a LOOKUP request: a NUL-terminated string of at most
    /// PATH_MAX bytes, returned without its NUL. Anything else is
    /// `.unterminatedString` or `.invalidValue`, which a server answers with
    /// STD_ARGBAD (Amoeba's sp_dolookup refuses a buffer without the NUL).
    public static func lookupPath(_ data: [UInt8]) throws(MarshalError) -> ArraySlice<UInt8> {
        var end = 0
        while end < data.count, data[end] != 0 { end += 1 }
        guard end < data.count else { throw .unterminatedString }
        guard end <= DirectoryLimits.maxPath else { throw .invalidValue }
        return data[0..<end]
    }

    /// The private parts of an STD_NTOUCH request: exactly `count` (the
    /// header's `size`) of them, else `.invalidValue` (STD_ARGBAD, as
    /// sp_dontouch answers).
    public static func touchList(_ data: [UInt8], count: Int) throws(MarshalError) -> [PrivatePart] {
        guard count >= 0, count * PrivatePart.size == data.count else { throw .invalidValue }
        var r = BufferReader(data)
        var out = [PrivatePart]()
        for _ in 0..<count { out.append(try r.readPrivate()) }
        return out
    }
}
