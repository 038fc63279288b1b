// The SOAP directory server as a pure request handler.
//
// `handle(header:data:)` takes one request (the 32-byte Amoeba header and
// its buffer) and returns the reply; it does no I/O except through its
// store, reads no clock but the one it is given, and never traps on what a
// client sends. Whoever owns the network (amunixd on Linux, the kernel on
// a node) calls it for each request that arrives on the server's port.
//
// Capabilities are checked as SOAP does: the object number selects a
// directory, the check field must be what that directory's random number
// gives for the rights claimed, and a command needs both the rights it
// names (modify, delete) and at least one column bit the directory has.
// Every change is committed to the store before the reply says STD_OK.

import AmoebaCore
import DirectoryProtocol
import Storage

public final class DirectoryServer<Store: ObjectStore> {
    /// The port the server listens on; its put-port is `F(getPort)`.
    public let getPort: Port
    public let putPort: Port
    let superRandom: Port
    let store: Store
    /// Where new directories' random numbers come from; a replica swaps
    /// in the one its write carries (DirectoryServer+Replication).
    var newRandom: () -> Port

    /// The directories by object number (never 0, which is the super
    /// capability's).
    public internal(set) var directories: [UInt32: Directory] = [:]

    /// Seconds since the epoch, stamped on rows as SOAP does. The driver
    /// supplies it; the default is 0 so that tests are deterministic.
    public var clock: () -> Int32 = { 0 }

    /// Restricts a capability of another server to fewer rights. SOAP asks
    /// that server (std_restrict); a pure handler cannot, so the driver may
    /// install a function that does. The default restricts owner
    /// capabilities locally and gives up on any other.
    public var restrictForeign: (Capability, Rights) -> Capability? = { cap, mask in
        try? Restriction.restrict(cap, to: mask)
    }

    /// The largest reply buffer the server fills (LIST, LOOKUP, SETLOOKUP).
    public var replyLimit = 30000

    /// A bound on the directories' bytes in their stored form. Every
    /// directory is held in memory, so where memory is small (a kernel
    /// node's heap) this keeps a user who fills directories from taking
    /// it all: a change that would pass the bound and grow the total is
    /// refused with STD_NOSPACE (shrinking ones always go through).
    ///
    /// What memory holds besides the stored bytes is not counted, and the
    /// bound (a sixteenth of a kernel's heap) leaves room for it: a row in
    /// memory already takes a few times its stored form (at least 30
    /// bytes), and each directory's name index adds at most 16 bytes a row
    /// (4-byte buckets, at least a quarter full; none for an empty
    /// directory). Deleted rows leave gaps of one row slot each until they
    /// are compacted, no more slots than the array of rows kept before
    /// (removing from an array never gave its capacity back).
    public var sizeLimit = Int.max
    /// The directories' bytes as whole records (what they take once their
    /// row-change records are folded in), and each one's.
    public internal(set) var storedBytes = 0
    var storedSizes: [UInt32: Int] = [:]
    /// How each directory lies in the store: its base record and its
    /// row-change records (DirectoryLog, DirectoryServer+Persistence).
    var storedForms: [UInt32: StoredForm] = [:]
    /// The key the next row-change record is written under.
    var nextLogKey = DirectoryLogRecord.firstKey
    /// How many row-change records the store holds, all directories together.
    var logKeyCount = 0

    /// Opens the server on `store`, minting a fresh identity when the store
    /// is empty; `random` must give unpredictable ports.
    public init(store: Store, random: @escaping () -> Port) throws(StorageError) {
        self.store = store
        self.newRandom = random
        let identity = try ServerIdentity.loadOrCreate(from: store, magic: Array("SOAP".utf8), random: random)
        getPort = identity.getPort
        putPort = identity.getPort.putPort
        superRandom = identity.superRandom
        try load()
    }

    /// Opens the server drawing its random numbers from `generator`.
    public convenience init<G: RandomNumberGenerator>(store: Store, generator: G) throws(StorageError) {
        var g = generator
        try self.init(store: store, random: { Port.random(using: &g) })
    }

    /// The super capability: object 0 with all rights. It names the server
    /// rather than a directory (STD_INFO, STD_AGE).
    public var superCapability: Capability {
        Capability(port: putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, random: superRandom))
    }

    /// Creates a directory with `columns` outside the protocol, for setting
    /// up a fresh system's root (SP_CREATE needs an existing directory's
    /// capability). Returns its owner capability.
    public func createRootDirectory(columns: [String]) throws(ErrorCode) -> Capability {
        guard columns.count >= 1, columns.count <= DirectoryLimits.maxColumns,
              columns.allSatisfy(DirectoryName.isValid) else { throw .argumentBad }
        return try makeDirectory(columns: columns)
    }

    /// Every capability held in any row, so that the driver can touch the
    /// objects they name when the server is aged (SOAP keeps the files it
    /// refers to alive that way).
    public func referencedCapabilities() -> [Capability] {
        var out = [Capability]()
        for key in directories.keys.sorted() {
            directories[key]!.forEachRow { out.append(contentsOf: $0.capabilities.current) }
        }
        return out
    }

    // MARK: Dispatch

    /// Handles one request and returns the reply header and buffer.
    public func handle(header: Header, data: [UInt8]) -> (Header, [UInt8]) {
        var reply = header
        let result: Result<[UInt8], ErrorCode>
        switch header.command {
        case DirectoryCommand.create: result = create(&reply, data)
        case DirectoryCommand.discard, StandardCommand.destroy: result = destroy(header)
        case DirectoryCommand.list: result = list(&reply)
        case DirectoryCommand.append: result = append(header, data)
        case DirectoryCommand.chmod: result = chmod(header, data)
        case DirectoryCommand.delete: result = delete(header, data)
        case DirectoryCommand.lookup: result = lookup(header, data)
        case DirectoryCommand.setLookup: result = setLookup(data)
        case DirectoryCommand.install: result = install(data)
        case DirectoryCommand.putType: result = putType(header, data)
        case DirectoryCommand.replace: result = replace(header, data)
        case DirectoryCommand.getMasks: result = getMasks(header, data)
        case DirectoryCommand.getSequenceNumber: result = getSequenceNumber(header)
        case StandardCommand.info: result = info(header)
        case StandardCommand.restrict: result = restrict(&reply)
        case StandardCommand.touch: result = touch(header)
        case StandardCommand.nTouch: result = nTouch(&reply, data)
        case StandardCommand.age: result = age(header)
        case StandardCommand.status: result = status()
        default: result = .failure(.commandBad)
        }
        return reply.reply(result)
    }

    // MARK: Capability checks

    /// The directory a private part names, if its check is right (sp_getobj).
    func object(_ p: PrivatePart) -> Result<UInt32, ErrorCode> {
        let n = p.object.value
        guard let dir = directories[n] else {
            return .failure(n == 0 ? .capabilityBad : .directoryUnreachable)
        }
        guard p.isValid(forRandom: dir.random) else { return .failure(.capabilityBad) }
        return .success(n)
    }

    /// The directory of a request, if the capability is good and carries
    /// `required` plus at least one of the directory's columns (sp_acquire).
    func acquire(_ p: PrivatePart, required: UInt8) -> Result<UInt32, ErrorCode> {
        switch object(p) {
        case .failure(let e): return .failure(e)
        case .success(let n):
            let rights = p.rights.rawValue
            if rights & directories[n]!.columnBits == 0 || rights & required != required {
                return .failure(.denied)
            }
            return .success(n)
        }
    }

    /// The first capability in `set` that is one of ours and valid, with
    /// its rights (sp_getst).
    func ourDirectory(in set: CapabilitySet) -> Result<(UInt32, UInt8), ErrorCode> {
        var error = ErrorCode.capabilityBad
        for cap in set.current where cap.port == putPort {
            switch object(cap.private) {
            case .success(let n): return .success((n, cap.private.rights.rawValue))
            case .failure(let e): error = e
            }
        }
        return .failure(error)
    }

    /// `cap` restricted to `mask` (cc_restrict): unchanged when it has no
    /// more rights than `mask`; computed from our own random for our
    /// directories; otherwise through `restrictForeign`.
    func restricted(_ cap: Capability, to mask: UInt8) -> Capability? {
        let wanted = cap.private.rights.rawValue & mask
        if wanted == cap.private.rights.rawValue { return cap }
        if cap.port == putPort {
            let n = cap.private.object.value
            let random: Port
            if n == 0 {
                random = superRandom
            } else if let dir = directories[n] {
                random = dir.random
            } else {
                return nil
            }
            guard cap.private.isValid(forRandom: random) else { return nil }
            return Capability(port: cap.port, private: PrivatePart(
                object: cap.private.object, rights: Rights(rawValue: wanted), random: random))
        }
        return restrictForeign(cap, Rights(rawValue: wanted))
    }

    /// Writes `set` restricted to `mask` (buf_gen_capset).
    func writeRestricted(_ set: CapabilitySet, mask: UInt8, into w: inout BufferWriter) throws(MarshalError) -> ErrorCode {
        try set.writeRestricted(mask: mask, into: &w) { restricted($0, to: $1) }
    }

    // MARK: Directories

    /// A new directory, committed, and its owner capability.
    func makeDirectory(columns: [String]) throws(ErrorCode) -> Capability {
        var n: UInt32 = 1
        while directories[n] != nil { n += 1 }
        guard let object = ObjectNumber(n) else { throw .noSpace }
        let dir = Directory(random: newRandom(), columns: columns)
        let status = save([(n, .whole(dir))])
        guard status == .ok else { throw status }
        return Capability(port: putPort, private: PrivatePart(object: object, rights: .all, random: dir.random))
    }
}
