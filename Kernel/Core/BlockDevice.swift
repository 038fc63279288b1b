// What the virtual disk server needs of a disk: its size in 512-byte
// blocks, its shape, and reading, writing and flushing whole blocks. The
// kernel's virtio-blk driver is one (its calls block the calling kernel
// thread until the device answers, so several server threads keep several
// requests in flight); the host tests use a disk in memory. Kept apart so
// the server's rules are tested without a machine.
import AmoebaCore
import DiskProtocol

public protocol BlockDevice: AnyObject {
    /// The disk's size in 512-byte blocks.
    var blockCount: UInt64 { get }
    /// Its shape, all zero when the device does not say.
    var geometry: DiskGeometry { get }
    /// Writes are refused (the device said so).
    var isReadOnly: Bool { get }
    /// Fills `buffer` (a whole number of blocks) from block `first` on.
    func read(first: UInt64, into buffer: inout [UInt8]) -> DeviceStatus
    /// Writes `data` (a whole number of blocks) from block `first` on.
    func write(first: UInt64, _ data: [UInt8]) -> DeviceStatus
    /// Returns once everything written before it is on stable storage.
    func flush() -> DeviceStatus
}

/// How a device request ended.
public enum DeviceStatus: Equatable, Sendable {
    case ok
    /// The device reported an I/O error.
    case ioError
    /// The device does not do this (e.g. a flush on a disk without a cache).
    case unsupported
    /// The request never reached the device (no memory, bad arguments).
    case refused

    /// The Amoeba error a client sees.
    public var errorCode: ErrorCode {
        switch self {
        case .ok: return .ok
        case .ioError, .unsupported: return .systemError
        case .refused: return .noMemory
        }
    }
}
