// Files that hold secrets (capabilities, a host's secret ports, stores of
// servers' get-ports) are the owner's alone from their first byte.
//
// A program that writes such files calls `restrictCreation()` first: the
// umask then keeps every file and folder it creates, by whatever route,
// closed to group and others. Folders are made 0700 and files written
// 0600 through a temporary file and a rename, so a reader never sees a
// half-written secret and no chmod after the fact leaves a window open.

#if canImport(Glibc)
import Glibc
#endif

public enum PrivateFileError: Error, CustomStringConvertible, Equatable {
    case system(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .system(let path, let e): return "\(path): \(String(cString: strerror(e)))"
        }
    }
}

public enum PrivateFiles {
    /// From now on nothing this process creates is readable by group or
    /// others.
    public static func restrictCreation() {
        umask(0o077)
    }

    /// `mkdir -p` with mode 0700 for what it creates. An existing folder is
    /// tightened to 0700 as well: it may predate this rule.
    public static func makeFolder(_ path: String) throws(PrivateFileError) {
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            prefix += prefix.isEmpty && part.isEmpty ? "/" : (prefix.isEmpty || prefix == "/" ? "" : "/") + part
            if part.isEmpty { continue }
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw .system(path: prefix, errno: errno) }
        }
        if chmod(path, 0o700) != 0 { throw .system(path: path, errno: errno) }
    }

    /// Writes `text` to `path` with mode 0600, atomically.
    public static func write(_ text: String, to path: String) throws(PrivateFileError) {
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(path: temporary, errno: errno) }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(temporary)
                throw .system(path: temporary, errno: e)
            }
            done += n
        }
        fsync(fd)
        close(fd)
        if rename(temporary, path) != 0 {
            let e = errno
            unlink(temporary)
            throw .system(path: path, errno: e)
        }
    }

    /// The whole of a small file, nil if it cannot be read.
    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
            if out.count > 1 << 20 { return nil }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
