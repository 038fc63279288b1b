// A block volume on a virtual disk across the network: what lets the
// block store (Servers/BlockStorage) live on a kernel node's `vdisk:NN`
// while its user runs on Linux. Reads and writes go out as DS_READ and
// DS_WRITE in 29 KiB pieces; the vdisk server answers a DS_WRITE only once
// the device has flushed it, so every acknowledged write is already stable
// and `flush` has nothing left to do. A failed or unanswered request is an
// I/O error (the store then refuses further commits until reopened).
import AmoebaCore
import Amunix
import BlockStorage
import DiskProtocol
import Storage

final class VDiskVolume: BlockVolume {
    let connection: AmunixConnection
    let disk: Capability
    let timeout: Duration
    let blockCount: UInt64

    /// The first `limit` blocks of `disk` (all of it when nil or larger).
    init(connection: AmunixConnection, disk: Capability, timeout: Duration, limit: UInt64? = nil) throws(StorageError) {
        self.connection = connection
        self.disk = disk
        self.timeout = timeout
        var h = Header(capability: disk, command: DiskCommand.size.rawValue)
        h.size = UInt16(DiskLimits.physicalShift)
        guard let r = try? connection.trans(h, [], timeout: timeout), r.header.status == .ok, r.header.offset > 0 else {
            throw .system(5)
        }
        blockCount = min(UInt64(r.header.offset), limit ?? UInt64.max)
    }

    func readBlocks(_ first: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        var out: [UInt8] = []
        for t in try pieces(first, count) {
            out += try call(t.header(disk, .read), []).data
        }
        guard out.count == count * BlockVolumeLayout.blockSize else { throw .system(5) }
        return out
    }

    func writeBlocks(_ first: UInt64, _ data: [UInt8]) throws(StorageError) {
        guard data.count % BlockVolumeLayout.blockSize == 0 else { throw .system(22) }
        var at = 0
        for t in try pieces(first, data.count / BlockVolumeLayout.blockSize) {
            let n = Int(t.count) * BlockVolumeLayout.blockSize
            _ = try call(t.header(disk, .write), Array(data[at..<at + n]))
            at += n
        }
    }

    /// Every DS_WRITE was flushed before it was acknowledged.
    func flush() throws(StorageError) {}

    private func pieces(_ first: UInt64, _ count: Int) throws(StorageError) -> [DiskTransfer] {
        guard first + UInt64(count) <= blockCount else { throw .system(22) }
        return DiskTransfer.split(shift: UInt16(DiskLimits.physicalShift), first: Int64(first), count: Int64(count))
    }

    private func call(_ h: Header, _ data: [UInt8]) throws(StorageError) -> (header: Header, data: [UInt8]) {
        guard let r = try? connection.trans(h, data, timeout: timeout) else { throw .system(5) }
        switch r.header.status {
        case .ok: return r
        case .noSpace: throw .noSpace
        default: throw .system(5)
        }
    }
}
