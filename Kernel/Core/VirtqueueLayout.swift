// Where the three parts of a split virtqueue lie in its one block of
// memory, as the legacy virtio PCI interface fixes them: the device is
// told only the page the block starts on and derives the rest from the
// queue size, so driver and device must compute the same offsets.
//
//   descriptor table   16 bytes per descriptor, at the start
//   available ring     flags, index, one u16 per descriptor, used_event
//   (padding to the next 4096-byte boundary)
//   used ring          flags, index, one {id u32, length u32} per descriptor, avail_event
//
// Pure arithmetic, kept apart from the driver so the host tests can check it.

public struct VirtqueueLayout: Equatable, Sendable {
    /// The legacy interface aligns the used ring (and the whole block) to this.
    public static let alignment = 4096
    /// The largest queue the legacy interface allows.
    public static let maximumSize = 32768

    public static let descriptorBytes = 16
    /// Descriptor flags.
    public static let next: UInt16 = 1
    public static let deviceWrites: UInt16 = 2
    /// In the available ring's flags: the driver does not want interrupts.
    public static let noInterrupt: UInt16 = 1
    /// In the used ring's flags: the device does not need to be notified.
    public static let noNotify: UInt16 = 1

    public let size: Int

    /// Nil unless `size` is a power of two from 1 to 32768 (what a device may report).
    public init?(size: Int) {
        guard size > 0, size <= VirtqueueLayout.maximumSize, size & (size - 1) == 0 else { return nil }
        self.size = size
    }

    public var descriptorTableOffset: Int { 0 }
    public var availableRingOffset: Int { VirtqueueLayout.descriptorBytes * size }
    /// flags u16, index u16, ring[size] u16, used_event u16.
    public var availableRingBytes: Int { 6 + 2 * size }
    public var usedRingOffset: Int { VirtqueueLayout.roundUp(availableRingOffset + availableRingBytes) }
    /// flags u16, index u16, ring[size] {id u32, length u32}, avail_event u16.
    public var usedRingBytes: Int { 6 + 8 * size }
    public var totalBytes: Int { usedRingOffset + VirtqueueLayout.roundUp(usedRingBytes) }

    public func descriptorOffset(_ index: Int) -> Int { descriptorTableOffset + VirtqueueLayout.descriptorBytes * index }
    public func availableEntryOffset(_ slot: Int) -> Int { availableRingOffset + 4 + 2 * slot }
    public func usedEntryOffset(_ slot: Int) -> Int { usedRingOffset + 4 + 8 * slot }

    static func roundUp(_ n: Int) -> Int { (n + alignment - 1) & ~(alignment - 1) }
}
