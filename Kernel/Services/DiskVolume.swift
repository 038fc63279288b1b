// A stretch of the kernel's disk as a BlockVolume, so the block store
// (Servers/BlockStorage) can live on it inside the kernel: reads, writes
// and flushes go straight to the virtio-blk driver from the calling kernel
// thread, which waits for the device as the vdisk server's threads do.
import BlockStorage
import KernelCore
import Storage

final class DiskVolume: BlockVolume {
    let device: VirtioBlock
    let first: UInt64
    let blockCount: UInt64

    /// Blocks `first` ..< `first + count` of `device` (clipped to the device).
    init(device: VirtioBlock, first: UInt64, count: UInt64) {
        self.device = device
        self.first = min(first, device.blockCount)
        blockCount = min(count, device.blockCount - self.first)
    }

    func readBlocks(_ block: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        guard count >= 0, block + UInt64(count) <= blockCount else { throw .system(22) }
        var bytes = [UInt8](repeating: 0, count: count * BlockVolumeLayout.blockSize)
        try check(device.read(first: first + block, into: &bytes))
        return bytes
    }

    func writeBlocks(_ block: UInt64, _ data: [UInt8]) throws(StorageError) {
        guard data.count % BlockVolumeLayout.blockSize == 0,
              block + UInt64(data.count / BlockVolumeLayout.blockSize) <= blockCount else { throw .system(22) }
        try check(device.write(first: first + block, data))
    }

    func flush() throws(StorageError) { try check(device.flush()) }

    private func check(_ s: DeviceStatus) throws(StorageError) {
        switch s {
        case .ok: return
        case .refused: throw .system(12)   // ENOMEM or a bad range
        case .ioError, .unsupported: throw .system(5)
        }
    }
}
