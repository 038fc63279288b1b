// The crash-safe store for Linux hosts: one file per object in a directory.
//
// Durability rests on two facts of POSIX file systems: `rename` replaces a
// name atomically, and `fsync` on a file and then on its directory makes the
// new contents and the new name survive a crash. So a single change is
// written to a temporary file, synced, renamed over the object's file, and
// the directory is synced before `commit` returns. A kill -9 at any moment
// leaves either the old file or the new one, never a torn mixture.
//
// A batch of several changes (the directory server's INSTALL touches several
// directories at once) must be all-or-nothing, which renames alone cannot
// give. Such a batch is first written whole to an intentions file, checked
// by length and CRC-32, and made durable under its final name `journal`
// with one more rename. Only then are the changes applied one by one. If
// the process dies half way, `open` finds the journal and applies it again
// (every step is idempotent); a journal that never got its final name was
// never acknowledged and is simply dropped.
//
// Two servers writing one store would defeat all of this, so opening a
// store takes an exclusive lock on its `lock` file; the kernel drops it when
// the process dies, however it dies.
//
// Files read or written piece after piece (a Bullet file's READs, an
// upload's draft) stay open between calls (DescriptorCache.swift). A draft
// has its writeback started every `writebackChunk` bytes as it grows, so
// that the fsync of its commit, which the client waits for, finds most of
// the bytes on their way to the disk already, as a file written while the
// network delivers it would; durability still rests on that fsync alone.

import CFileSync
import Glibc
import Storage

public final class DiskStore: ObjectStore {
    public let path: String
    /// Sizes of the stored objects, kept in memory so `keys` and `size` need
    /// no system calls.
    private var sizes: [UInt32: Int] = [:]
    private var lockDescriptor: Int32 = -1
    /// The drafts (see ObjectStore), each a file `td`+name that is written
    /// as it arrives and renamed into place by its commit; like every
    /// temporary file, they are removed when the store opens. Their length,
    /// and where the part whose writeback has not been started begins.
    private var drafts: [UInt32: (length: Int, unflushed: Int)] = [:]
    /// Descriptors kept open: objects for reading, drafts for writing.
    private var readers = DescriptorCache(capacity: 8)
    private var writers = DescriptorCache(capacity: 8)
    /// Bytes of a draft written between two starts of its writeback.
    public var writebackChunk = 4 << 20
    /// Files opened for reading objects and writing drafts, and draft
    /// bytes whose writeback was started early (for the tests).
    public var filesOpened: Int { readers.opens + writers.opens }
    public private(set) var writebackStarted = 0
    /// Descriptors the store keeps open between calls.
    public var descriptorsKept: Int { readers.count + writers.count }

    /// Opens (creating if need be) the store in directory `path`, finishing
    /// or dropping any batch a crash interrupted. With `exclusive` (the
    /// default) it fails with `.busy` while another process has it open;
    /// tests that simulate a restart inside one process pass false.
    public init(path: String, exclusive: Bool = true) throws(StorageError) {
        self.path = path
        try Self.makeDirectories(path)
        if exclusive {
            let fd = open(path + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .system(errno) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                close(fd)
                throw e == EWOULDBLOCK ? .busy : .system(e)
            }
            lockDescriptor = fd
        }
        try recover()
        try scan()
    }

    deinit {
        readers.forgetAll()
        writers.forgetAll()
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    /// `mkdir -p`: the store's directory and any missing parents.
    private static func makeDirectories(_ path: String) throws(StorageError) {
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            prefix += prefix.isEmpty && part.isEmpty ? "/" : (prefix.isEmpty || prefix == "/" ? "" : "/") + part
            if part.isEmpty { continue }
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw .system(errno) }
        }
        // The store holds secrets (its server's get-port, its objects'
        // check fields): closed to others even if it was made before.
        if chmod(path, 0o700) != 0 { throw .system(errno) }
    }

    // MARK: ObjectStore

    public func keys() -> [UInt32] { sizes.keys.sorted() }

    public func size(of key: UInt32) -> Int? { sizes[key] }

    public func read(_ key: UInt32) throws(StorageError) -> [UInt8] {
        guard let n = sizes[key] else { throw .missing }
        return try read(key, offset: 0, count: n)
    }

    public func read(_ key: UInt32, offset: Int, count: Int) throws(StorageError) -> [UInt8] {
        guard let total = sizes[key] else { throw .missing }
        guard offset >= 0, count > 0, offset < total else { return [] }
        let want = min(count, total - offset)
        let path = objectPath(key)
        let fd = readers.descriptor(for: key) { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(errno) }
        // Read straight into the array, not into zeros written first: a
        // get reads every byte of a file this way, 30000 at a time.
        var failure: StorageError?
        let out = [UInt8](unsafeUninitializedCapacity: want) { buf, filled in
            filled = 0
            while filled < want {
                let n = pread(fd, buf.baseAddress! + filled, want - filled, off_t(offset + filled))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = .system(errno)
                    break
                }
                if n == 0 {  // file shorter than recorded
                    failure = .corrupt
                    break
                }
                filled += n
            }
        }
        if let failure { throw failure }
        return out
    }

    public func commit(_ changes: [StoreChange]) throws(StorageError) {
        if changes.isEmpty { return }
        if changes.count == 1 {
            try apply(changes[0])
            try syncDirectory()
            return
        }
        let journal = Journal.encode(changes)
        try writeDurably(journal, to: journalPath, via: path + "/journal.tmp")
        for change in changes { try apply(change) }
        try syncDirectory()
        if unlink(journalPath) != 0 && errno != ENOENT { throw .system(errno) }
        try syncDirectory()
    }

    // MARK: Drafts

    private func draftPath(_ key: UInt32) -> String { path + "/td" + Self.objectName(key) }

    public func startDraft(_ key: UInt32, _ bytes: [UInt8]) throws(StorageError) -> Bool {
        writers.forget(key)
        let path = draftPath(key)
        let fd = writers.descriptor(for: key) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw .system(errno) }
        drafts[key] = (0, 0)
        try writeAll(bytes, to: fd, at: 0)
        drafts[key] = (bytes.count, 0)
        return true
    }

    /// Into the page cache, its writeback started once a chunk has
    /// gathered: the commit's fsync is what makes it durable.
    public func writeDraft(_ key: UInt32, at offset: Int, _ bytes: [UInt8]) throws(StorageError) {
        guard var draft = drafts[key] else { throw .missing }
        guard offset >= 0, offset <= draft.length else { throw .corrupt }
        let path = draftPath(key)
        let fd = writers.descriptor(for: key) { open(path, O_WRONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(errno) }
        try writeAll(bytes, to: fd, at: offset)
        draft.length = max(draft.length, offset + bytes.count)
        // Bytes rewritten behind the mark are dirty again; the commit's
        // fsync writes them, as it writes everything not yet on the disk.
        if draft.length - draft.unflushed >= writebackChunk {
            if cfs_start_writeback(fd, Int64(draft.unflushed), Int64(draft.length - draft.unflushed)) == 0 {
                writebackStarted += draft.length - draft.unflushed
            }
            draft.unflushed = draft.length
        }
        drafts[key] = draft
    }

    public func readDraft(_ key: UInt32) throws(StorageError) -> [UInt8] {
        guard let length = drafts[key]?.length else { throw .missing }
        let fd = open(draftPath(key), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(errno) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, length - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .system(errno) }
            if n == 0 { throw .corrupt }
            done += n
        }
        return out
    }

    /// Synced, renamed over the key's file, the directory synced: the same
    /// steps as any single write, only the bytes are there already.
    public func commitDraft(_ key: UInt32) throws(StorageError) {
        guard let length = drafts[key]?.length else { throw .missing }
        let path = draftPath(key)
        let fd = writers.descriptor(for: key) { open(path, O_WRONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw .system(errno) }
        if fsync(fd) != 0 { throw .system(errno) }
        writers.forget(key)
        readers.forget(key)
        if rename(draftPath(key), objectPath(key)) != 0 { throw .system(errno) }
        drafts[key] = nil
        sizes[key] = length
        try syncDirectory()
    }

    public func dropDraft(_ key: UInt32) {
        guard drafts.removeValue(forKey: key) != nil else { return }
        writers.forget(key)
        unlink(draftPath(key))
    }

    private func writeAll(_ bytes: [UInt8], to fd: Int32, at offset: Int) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw errno == ENOSPC ? .noSpace : .system(errno) }
            done += n
        }
    }

    // MARK: Files

    private var journalPath: String { path + "/journal" }

    private func objectPath(_ key: UInt32) -> String { path + "/" + Self.objectName(key) }

    static func objectName(_ key: UInt32) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = "o"
        for shift in stride(from: 28, through: 0, by: -4) {
            s.unicodeScalars.append(Unicode.Scalar(digits[Int((key >> UInt32(shift)) & 0xF)]))
        }
        return s
    }

    static func key(ofName name: String) -> UInt32? {
        let u = Array(name.utf8)
        guard u.count == 9, u[0] == UInt8(ascii: "o") else { return nil }
        var v: UInt32 = 0
        for c in u[1...] {
            let n: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): n = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): n = UInt32(c - UInt8(ascii: "a") + 10)
            default: return nil
            }
            v = v << 4 | n
        }
        return v
    }

    /// One change, durable for its file but not yet for the directory.
    private func apply(_ change: StoreChange) throws(StorageError) {
        switch change {
        case .write(let key, let bytes):
            readers.forget(key)
            try writeFile(bytes, to: objectPath(key), via: path + "/t" + Self.objectName(key))
            sizes[key] = bytes.count
        case .remove(let key):
            readers.forget(key)
            if unlink(objectPath(key)) != 0 && errno != ENOENT { throw .system(errno) }
            sizes[key] = nil
        }
    }

    /// Writes `bytes` to `temporary`, syncs it, and renames it to `final`.
    private func writeFile(_ bytes: [UInt8], to final: String, via temporary: String) throws(StorageError) {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(errno) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                Glibc.write(fd, buf.baseAddress! + done, bytes.count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(temporary)
                throw e == ENOSPC ? .noSpace : .system(e)
            }
            done += n
        }
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            unlink(temporary)
            throw .system(e)
        }
        close(fd)
        if rename(temporary, final) != 0 { throw .system(errno) }
    }

    private func writeDurably(_ bytes: [UInt8], to final: String, via temporary: String) throws(StorageError) {
        try writeFile(bytes, to: final, via: temporary)
        try syncDirectory()
    }

    private func syncDirectory() throws(StorageError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(errno) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw .system(errno) }
    }

    // MARK: Opening

    /// Finishes an interrupted batch and removes temporary files.
    private func recover() throws(StorageError) {
        let fd = open(journalPath, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            var bytes = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, 65536) }
                if n < 0 {
                    if errno == EINTR { continue }
                    let e = errno
                    close(fd)
                    throw .system(e)
                }
                if n == 0 { break }
                bytes.append(contentsOf: chunk[0..<n])
            }
            close(fd)
            // The journal got its name only after it was complete and synced,
            // so a journal that does not decode means the medium is damaged.
            guard let changes = Journal.decode(bytes) else { throw .corrupt }
            for change in changes { try apply(change) }
            try syncDirectory()
            if unlink(journalPath) != 0 { throw .system(errno) }
            try syncDirectory()
        }
        for name in try directoryNames() where name.hasPrefix("t") || name == "journal.tmp" {
            unlink(path + "/" + name)
        }
    }

    private func scan() throws(StorageError) {
        sizes = [:]
        for name in try directoryNames() {
            guard let key = Self.key(ofName: name) else { continue }
            var st = stat()
            guard stat(path + "/" + name, &st) == 0 else { throw .system(errno) }
            sizes[key] = Int(st.st_size)
        }
    }

    private func directoryNames() throws(StorageError) -> [String] {
        guard let dir = opendir(path) else { throw .system(errno) }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
