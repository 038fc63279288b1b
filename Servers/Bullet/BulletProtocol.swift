// The numbers of the Bullet file server protocol (Amoeba 5.3): commands,
// rights bits, commit flags and the size of one request's data. They are
// wire facts, shared with the `get`/`put` tools and with Amoeba nodes.

import AmoebaCore

public enum BulletCommand {
    public static let create: UInt16 = 2001
    public static let delete: UInt16 = 2002
    public static let fsck: UInt16 = 2003
    public static let insert: UInt16 = 2004
    public static let modify: UInt16 = 2005
    public static let read: UInt16 = 2006
    public static let size: UInt16 = 2007
    public static let diskCompact: UInt16 = 2008
    public static let sync: UInt16 = 2009
}

public enum BulletRights {
    public static let create: UInt8 = 0x01
    public static let read: UInt8 = 0x02
    public static let modify: UInt8 = 0x04
    public static let destroy: UInt8 = 0x08
    /// Only meaningful in the super capability.
    public static let admin: UInt8 = 0x80
}

/// The `extra` of CREATE, MODIFY, INSERT and DELETE: whether this request
/// finishes the file.
public enum BulletCommit {
    /// BS_COMMIT: the file becomes immutable and durable.
    public static let commit: UInt16 = 0x1
    /// BS_SAFETY: reply only once it is on disk (we always do).
    public static let safety: UInt16 = 0x2
}

public enum BulletLimits {
    /// BS_REQBUFSZ: the data a client puts in one request (and asks for in
    /// one READ): one Ethernet packet less the header, plus nineteen more.
    public static let requestData = (1490 - Header.size) + 19 * 1490
    /// The most bytes one READ returns: its size field is a signed 16-bit
    /// count in Amoeba.
    public static let maxRead = 0x7FFF
    /// How many STD_AGE calls a committed file survives without a touch.
    public static let lifetime: UInt8 = 24
}
