// Capabilities: the only way to name, and the only proof of the right to
// use, an object.
//
// A capability is 16 bytes: the server's put-port (6), then the private part
// the server reads: object number (3, little-endian), rights (1), check (6).
// For an object whose random number is R, the owner capability has all rights
// and check R; a capability with rights r has check F(R with byte 0 XOR r).
// Only a server that knows R can verify a check, and nobody who lacks R can
// forge a check for more rights than they hold.

/// A set of up to eight rights bits; their meaning is the server's.
public struct Rights: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let all = Rights(rawValue: 0xFF)
    public static let none: Rights = []
}

/// A 24-bit object number, as Amoeba 5 limits it.
public struct ObjectNumber: Hashable, Sendable, Comparable {
    public static let max: UInt32 = 0xFF_FFFF
    public let value: UInt32

    /// nil when `value` does not fit in 24 bits.
    public init?(_ value: UInt32) {
        guard value <= ObjectNumber.max else { return nil }
        self.value = value
    }

    public static func < (a: ObjectNumber, b: ObjectNumber) -> Bool { a.value < b.value }
}

/// The 10-byte part of a capability that only the server interprets.
public struct PrivatePart: Hashable, Sendable {
    public static let size = 10

    public var object: ObjectNumber
    public var rights: Rights
    public var check: Port

    public init(object: ObjectNumber, rights: Rights, check: Port) {
        self.object = object
        self.rights = rights
        self.check = check
    }

    /// The private part for `rights` on an object whose random number is
    /// `random` (Amoeba's `prv_encode`).
    public init(object: ObjectNumber, rights: Rights, random: Port) {
        self.init(object: object, rights: rights,
                  check: Restriction.check(random: random, rights: rights))
    }

    /// Whether this private part was minted from `random` (Amoeba's
    /// `prv_decode`): the check must be exactly what `random` gives for the
    /// rights it claims.
    public func isValid(forRandom random: Port) -> Bool {
        check == Restriction.check(random: random, rights: rights)
    }
}

/// Put-port plus private part: 16 bytes on the wire.
public struct Capability: Hashable, Sendable {
    public static let size = 16

    public var port: Port
    public var `private`: PrivatePart

    public init(port: Port, private: PrivatePart) {
        self.port = port
        self.private = `private`
    }

    public static let null = Capability(
        port: .null, private: PrivatePart(object: ObjectNumber(0)!, rights: .none, check: .null))

    public var bytes: [UInt8] {
        var w = BufferWriter(reservingCapacity: Capability.size)
        try! w.write(self)  // cannot overflow: no limit
        return w.bytes
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == Capability.size else { return nil }
        var r = BufferReader(bytes)
        guard let cap = try? r.readCapability() else { return nil }
        self = cap
    }
}

/// Rights restriction without a round trip to the server.
public enum Restriction {
    /// The check field for `rights` on an object whose random number is
    /// `random`: the random itself for all rights, else F(random ^ rights in
    /// byte 0).
    public static func check(random: Port, rights: Rights) -> Port {
        if rights == .all { return random }
        return OneWay.apply(random.replacing(byte: 0, with: random[0] ^ rights.rawValue))
    }

    /// Why a capability could not be restricted locally.
    public enum Failure: Error, Equatable, Sendable {
        /// Only an owner capability (all rights, check = random) can be
        /// restricted without asking the server.
        case notOwnerCapability
    }

    /// `cap` restricted to `cap.rights & mask`, computed locally. This works
    /// only for an owner capability, whose check is the object's random.
    public static func restrict(_ cap: Capability, to mask: Rights) throws(Failure) -> Capability {
        guard cap.private.rights == .all else { throw .notOwnerCapability }
        var out = cap
        out.private = PrivatePart(object: cap.private.object, rights: mask, random: cap.private.check)
        return out
    }
}
