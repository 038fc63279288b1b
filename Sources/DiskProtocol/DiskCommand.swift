// The virtual disk server's commands, rights and limits, as Amoeba 5.3
// numbers them (DISK_FIRST_COM = 2200; AMOEBA-FACTS §3): what a kernel's
// `vdisk:NN` answers and what the `vdisk` tool sends. Typed, so no caller
// passes a bare 2202; written once for the kernel server and the client.
import AmoebaCore

/// A virtual disk command (request h_command).
public enum DiskCommand: UInt16, Sendable, CaseIterable {
    /// The physical pieces the disk is made of (12 bytes each).
    case info = 2201
    /// Blocks of 2^h_size bytes from block h_offset, h_extra of them.
    case read = 2202
    /// How many blocks of 2^h_size bytes the disk holds (in h_offset).
    case size = 2203
    /// Like read, with the data in the request.
    case write = 2204
    /// Six little-endian int16 describing the drive's shape.
    case getGeometry = 2205
    /// A device-specific operation (h_extra): eject, format.
    case control = 2206
}

/// Rights bits on a virtual disk capability.
public enum DiskRights {
    public static let read = Rights(rawValue: 0x02)
    public static let write = Rights(rawValue: 0x04)
    public static let control = Rights(rawValue: 0x08)
    public static let all = Rights.all
}

/// DS_CONTROL sub-commands (request h_extra).
public enum DiskControl: UInt16, Sendable {
    case eject = 1
    case format = 2
}

/// The sizes the protocol fixes.
public enum DiskLimits {
    /// A physical block: 512 bytes.
    public static let physicalShift = 9
    public static let physicalBlockSize = 1 << physicalShift
    /// The block sizes a request may choose, as log2 (512 bytes to 2 GiB).
    public static let smallestShift = 9
    public static let largestShift = 31
    /// The server's transaction buffer: no request or reply carries more data.
    public static let requestBufferSize = 29 * 1024
    /// One DS_INFO record: unit, first block, block count.
    public static let pieceSize = 12
    /// DS_GETGEOMETRY's reply: six int16.
    public static let geometrySize = 12
}
