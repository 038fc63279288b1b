// A Bullet-style file server as a pure request handler.
//
// Bullet files are immutable: a file is built while uncommitted (CREATE,
// then MODIFY/INSERT/DELETE with the capability CREATE returned, each
// request carrying at most one transaction's worth of data) and becomes a
// fixed, durable object when a request carries the commit flag. Changing a
// committed file makes an uncommitted copy with a new capability. That is
// how a file larger than one transaction is written: the client stub sends
// CREATE with the first piece, MODIFYs at growing offsets, and commits with
// the last.
//
// Committed files live in the store, one object each (the file's random
// number, then its bytes), read at any offset without loading them whole.
// Uncommitted files live in memory, as in Amoeba (or, given
// `stageBytes`, partly in the store: BulletStaging.swift): a crash forgets
// them, but a crash can never forget a file whose commit was acknowledged,
// because the reply is sent only after the store has made it durable.

import AmoebaCore
import Storage

public final class BulletServer<Store: ObjectStore> {
    public let getPort: Port
    public let putPort: Port
    let superRandom: Port
    let store: Store
    let newRandom: () -> Port

    struct CommittedFile {
        var random: Port
        var size: Int
        var lifetime: UInt8
    }

    struct PendingFile {
        var random: Port
        /// The bytes in memory: all of the file, or the tail after its parts.
        var data: [UInt8]
        /// STD_AGE calls since the file was last changed.
        var idle: Int
        /// The request that last named it, and when (the server's clock).
        var lastUse: UInt64 = 0
        var changedAt: Int64 = 0
        /// Store keys holding the file's leading bytes, in order, and how
        /// many bytes they hold (BulletStaging.swift).
        var staged: [UInt32] = []
        var stagedBytes = 0
        /// MODIFYs that arrived before the bytes in front of them, by
        /// offset, and their bytes together (BulletEarlyWrites.swift).
        var early: [Int: [UInt8]] = [:]
        var earlyBytes = 0
        /// The file's bytes are in a draft of the store, not in `data`
        /// (BulletDrafts.swift), and how many.
        var drafted = false
        var draftBytes = 0

        var size: Int { stagedBytes + draftBytes + data.count }
        /// What the file holds in memory, the early pieces included.
        var memoryBytes: Int { data.count + earlyBytes }
    }

    var committed: [UInt32: CommittedFile] = [:]
    var pending: [UInt32: PendingFile] = [:]
    /// How many uncommitted files, and bytes in them, the server keeps, and
    /// for how long (see BulletPending.swift).
    public var pendingLimits = PendingLimits()
    /// Given, an uncommitted file's bytes go to the store in parts of this
    /// size as they arrive, so memory holds only the tail (a kernel node's
    /// server); nil keeps uploads in memory until their commit.
    public var stageBytes: Int? = nil
    /// Given, an upload's bytes go to a draft in the store as they arrive
    /// (a Linux host's disk), so that its commit only has to sync them
    /// (BulletDrafts.swift); a store without drafts keeps them in memory.
    public var streamsUploads = false
    var nextPartKey: UInt32 = 1 << 24
    /// How many STD_AGE calls a committed file survives without a
    /// STD_TOUCH. Files start with it, at creation and when the server
    /// starts (as Amoeba's do: lifetimes are not kept on disk).
    public var maximumLifetime: UInt8 = BulletLimits.lifetime {
        didSet {
            maximumLifetime = max(maximumLifetime, 1)
            for n in committed.keys { committed[n]!.lifetime = min(committed[n]!.lifetime, maximumLifetime) }
        }
    }
    /// Seconds on a monotonic clock; the default never moves (no expiry).
    let clock: () -> Int64
    var requests: UInt64 = 0
    var lastExpiry: Int64 = 0

    /// The bytes in front of a file's data in its store record.
    static var recordHeader: Int { Port.size }

    /// Opens the server on `store`, minting a fresh identity when the store
    /// is empty, and indexes the committed files.
    public init(store: Store, random: @escaping () -> Port, clock: @escaping () -> Int64 = { 0 }) throws(StorageError) {
        self.store = store
        self.clock = clock
        self.newRandom = random
        let identity = try ServerIdentity.loadOrCreate(from: store, magic: Array("BULL".utf8), random: random)
        getPort = identity.getPort
        putPort = identity.getPort.putPort
        superRandom = identity.superRandom
        try removeOrphanParts()
        for key in store.keys() where key != ServerIdentity.key {
            guard let total = store.size(of: key), total >= Self.recordHeader else { throw .corrupt }
            let head = try store.read(key, offset: 0, count: Self.recordHeader)
            guard let random = Port(bytes: head) else { throw .corrupt }
            committed[key] = CommittedFile(random: random, size: total - Self.recordHeader,
                                           lifetime: BulletLimits.lifetime)
        }
    }

    public convenience init<G: RandomNumberGenerator>(store: Store, generator: G,
                                                      clock: @escaping () -> Int64 = { 0 }) throws(StorageError) {
        var g = generator
        try self.init(store: store, random: { Port.random(using: &g) }, clock: clock)
    }

    /// The super capability: object 0 with all rights; CREATE needs it (or
    /// a file capability with the create right).
    public var superCapability: Capability {
        Capability(port: putPort, private: PrivatePart(object: ObjectNumber(0)!, rights: .all, random: superRandom))
    }

    /// The number of committed files.
    public var fileCount: Int { committed.count }

    /// The sizes of the committed files by object number.
    public var fileSizes: [UInt32: Int] { committed.mapValues { $0.size } }

    // MARK: Dispatch

    public func handle(header: Header, data: [UInt8]) -> (Header, [UInt8]) {
        var reply = header
        let result: Result<[UInt8], ErrorCode>
        switch header.command {
        case BulletCommand.create: result = create(&reply, data)
        case BulletCommand.modify: result = change(&reply, data, .modify)
        case BulletCommand.insert: result = change(&reply, data, .insert)
        case BulletCommand.delete: result = change(&reply, data, .delete)
        case BulletCommand.read: result = read(&reply)
        case BulletCommand.size: result = size(&reply)
        case BulletCommand.sync: result = sync(header)
        case StandardCommand.info: result = info(header)
        case StandardCommand.destroy: result = destroy(header)
        case StandardCommand.restrict: result = restrict(&reply)
        case StandardCommand.touch: result = touch(header)
        case StandardCommand.age: result = age(header)
        case StandardCommand.status: result = status()
        case StandardCommand.copy: result = copy(&reply, data)
        default: result = .failure(.commandBad)
        }
        notePendingUse(header.private.object.value)
        notePendingUse(reply.private.object.value)
        trimPending()
        return reply.reply(result)
    }

    // MARK: Capability checks

    enum FileState { case committed, pending }

    /// The file a private part names if its check is right and it carries
    /// `required` (validate_cap).
    func validate(_ p: PrivatePart, required: UInt8) -> Result<(UInt32, FileState), ErrorCode> {
        let n = p.object.value
        let random: Port, state: FileState
        if let f = committed[n] {
            (random, state) = (f.random, .committed)
        } else if let f = pending[n] {
            (random, state) = (f.random, .pending)
        } else {
            return .failure(.capabilityBad)
        }
        guard p.isValid(forRandom: random) else { return .failure(.capabilityBad) }
        guard p.rights.rawValue & required == required else { return .failure(.denied) }
        return .success((n, state))
    }

    /// Whether `p` is the super capability with `required` rights.
    func validateSuper(_ p: PrivatePart, required: UInt8) -> ErrorCode {
        guard p.object.value == 0, p.isValid(forRandom: superRandom) else { return .capabilityBad }
        return p.rights.rawValue & required == required ? .ok : .denied
    }

    /// A free object number, never 0.
    func freeObject() -> UInt32? {
        var n: UInt32 = 1
        while committed[n] != nil || pending[n] != nil { n += 1 }
        return n <= ObjectNumber.max ? n : nil
    }

    func ownerPrivate(_ n: UInt32, _ random: Port) -> PrivatePart {
        PrivatePart(object: ObjectNumber(n)!, rights: .all, random: random)
    }

    /// Makes pending file `n` committed: durable first, then indexed.
    func commitFile(_ n: UInt32) -> ErrorCode {
        let f = pending[n]!
        do {
            try storeCommitted(n, f)
        } catch {
            return error == .noSpace ? .noSpace : .systemError
        }
        pending[n] = nil
        committed[n] = CommittedFile(random: f.random, size: f.size, lifetime: maximumLifetime)
        return .ok
    }
}
