// The user library's side of shared segments: create one (and get its
// capability), map one by capability, unmap it, and allocate a thread
// stack with a guard page. The kernel answers with an address or a
// negative Amoeba error code; these wrappers turn that into a Result.
import AmoebaCore
import KernelCore

enum Segments {
    /// A user address is below 2 GiB, so a non-negative answer is one.
    private static func answer(_ r: Int32) -> Result<UnsafeMutableRawPointer, ErrorCode> {
        r >= 0 ? .success(UnsafeMutableRawPointer(bitPattern: UInt(UInt32(bitPattern: r)))!)
               : .failure(ErrorCode(rawValue: Int16(truncatingIfNeeded: r)))
    }

    /// A new zeroed segment of `size` bytes, mapped read-write here, and its owner capability.
    static func create(_ size: UInt32) -> Result<(UnsafeMutableRawPointer, Capability), ErrorCode> {
        var bytes = [UInt8](repeating: 0, count: 16)
        let r = bytes.withUnsafeMutableBytes { b in systemCall(.createSegment, size, Amoeba.address(b), 0, 0, 0) }
        return answer(r).map { ($0, Capability(bytes: bytes)!) }
    }

    /// Maps the segment `cap` names: read-write when its rights allow and `readOnly` is false.
    static func map(_ cap: Capability, readOnly: Bool = false) -> Result<UnsafeMutableRawPointer, ErrorCode> {
        var bytes = cap.bytes
        return answer(bytes.withUnsafeMutableBytes { b in systemCall(.mapSegment, Amoeba.address(b), readOnly ? 1 : 0, 0, 0, 0) })
    }

    /// Maps with raw flags (for tests of the kernel's argument checks).
    static func map(_ cap: Capability, flags: UInt32) -> Result<UnsafeMutableRawPointer, ErrorCode> {
        var bytes = cap.bytes
        return answer(bytes.withUnsafeMutableBytes { b in systemCall(.mapSegment, Amoeba.address(b), flags, 0, 0, 0) })
    }

    static func unmap(_ segment: UnsafeMutableRawPointer) -> ErrorCode {
        ErrorCode(rawValue: Int16(truncatingIfNeeded: systemCall(.unmapSegment, Amoeba.address(segment), 0, 0, 0, 0)))
    }

    /// A stack for a new thread: its lowest address, with an unmapped guard page below.
    static func allocateStack(_ size: UInt32) -> UnsafeMutableRawPointer? {
        try? answer(systemCall(.allocateStack, size, 0, 0, 0, 0)).get()
    }
}
