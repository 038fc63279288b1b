// A kernel node's disk image as a block volume, so that amoeba-init can
// lay the name space out on it with the same block store the node's
// servers run (Servers/BlockStorage) before the node boots from it.
//
// The image is locked for as long as it is open, with an open-file-
// description lock over the whole file: QEMU takes locks of the same kind
// on the images it runs, so a node running on the image makes this refuse
// (two writers would tear the stores apart), and a node started meanwhile
// refuses to start.
import BlockStorage
import Foundation
import Storage

final class ImageVolume: BlockVolume {
    private let fd: Int32
    let blockCount: UInt64
    /// Whether opening it made the file.
    let created: Bool

    enum OpenError: Error, CustomStringConvertible {
        case cannot(String, Int32), inUse, badSize(Int64)
        var description: String {
            switch self {
            case .cannot(let what, let e): return "\(what): \(String(cString: strerror(e)))"
            case .inUse: return "the image is in use (is its node running?)"
            case .badSize(let s): return "the image's size (\(s) bytes) is not a whole number of 512-byte blocks"
            }
        }
    }

    /// Opens `path`, creating it (private, zero-filled, `createBytes`
    /// long) when it does not exist.
    init(path: String, createBytes: Int64) throws(OpenError) {
        var fd = open(path, O_RDWR | O_CLOEXEC)
        var made = false
        if fd < 0, errno == ENOENT {
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            made = fd >= 0
            if made, ftruncate(fd, off_t(createBytes)) != 0 {
                let e = errno
                close(fd)
                unlink(path)
                throw .cannot("cannot size \(path)", e)
            }
        }
        guard fd >= 0 else { throw .cannot("cannot open \(path)", errno) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 0   // to the end, however long
        // F_OFD_SETLK (37 on Linux): the lock QEMU itself takes on an image.
        if fcntl(fd, 37, &lock) != 0 {
            let e = errno
            close(fd)
            throw e == EAGAIN || e == EACCES ? .inUse : .cannot("cannot lock \(path)", e)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); throw .cannot("cannot stat \(path)", errno) }
        guard st.st_size > 0, Int64(st.st_size) % Int64(BlockVolumeLayout.blockSize) == 0 else {
            close(fd)
            throw .badSize(Int64(st.st_size))
        }
        self.fd = fd
        created = made
        blockCount = UInt64(st.st_size) / UInt64(BlockVolumeLayout.blockSize)
    }

    deinit { close(fd) }

    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        guard count >= 0, first + UInt64(count) <= blockCount else { throw .system(EINVAL) }
        var bytes = [UInt8](repeating: 0, count: count * BlockVolumeLayout.blockSize)
        let want = bytes.count
        let got = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(first) * 512) }
        guard got == want else { throw .system(got < 0 ? errno : EIO) }
        return bytes
    }

    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError) {
        guard data.count % BlockVolumeLayout.blockSize == 0,
              first + UInt64(data.count / BlockVolumeLayout.blockSize) <= blockCount else { throw .system(EINVAL) }
        let put = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, data.count, off_t(first) * 512) }
        guard put == data.count else { throw .system(put < 0 ? errno : EIO) }
    }

    func flush() throws(StorageError) {
        guard fdatasync(fd) == 0 else { throw .system(errno) }
    }
}
