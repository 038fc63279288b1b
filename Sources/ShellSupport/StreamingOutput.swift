// Where `get` puts a file's bytes: standard output, written as the pieces
// come, with the disk kept busy while the network is.
//
// A file read into a regular file is most often made durable next (`get f
// > copy && sync copy`, a script's fsync). Written through the page cache
// alone, every byte of it is still dirty when that sync comes, and the
// sync then waits for all of them: for a 50 MB get on this machine's disk,
// 28 ms, a fifth of the whole copy. So, as the Bullet server does with an
// upload's draft (DiskStore.swift), the output's writeback is started each
// time a few megabytes have gathered: the disk writes the file while the
// rest of it crosses the network, and a sync at the end finds little left
// to do. Starting writeback is a hint (SYNC_FILE_RANGE_WRITE), never a
// promise; a pipe or a terminal gets the bytes and nothing more.

import AmoebaCore
import CFileSync
#if canImport(Glibc)
import Glibc
#endif

public struct StreamingOutput {
    let descriptor: Int32
    /// The output is a regular file, whose writeback is started as it grows.
    let isFile: Bool
    /// Bytes written between two starts of writeback.
    let writebackChunk: Int
    /// Bytes written so far, and where the part not yet handed to the disk starts.
    public private(set) var written = 0
    private var unflushed = 0
    /// Bytes whose writeback was started (for the tests).
    public private(set) var writebackStarted = 0

    public init(descriptor: Int32 = 1, writebackChunk: Int = 4 << 20) {
        self.descriptor = descriptor
        self.writebackChunk = max(1, writebackChunk)
        var st = stat()
        isFile = fstat(descriptor, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        // Appending to a file that already holds bytes (>>): its writeback
        // ranges start where the new bytes do.
        if isFile {
            let at = lseek(descriptor, 0, SEEK_CUR)
            if at > 0 { written = Int(at); unflushed = written }
        }
    }

    /// Writes all of `bytes`; a failed write (a full disk, a closed pipe)
    /// is STD_SYSERR.
    public mutating func write(_ bytes: [UInt8]) throws(ErrorCode) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw .systemError }
            done += n
        }
        written += bytes.count
        guard isFile, written - unflushed >= writebackChunk else { return }
        if cfs_start_writeback(descriptor, Int64(unflushed), Int64(written - unflushed)) == 0 {
            writebackStarted += written - unflushed
        }
        unflushed = written
    }
}
