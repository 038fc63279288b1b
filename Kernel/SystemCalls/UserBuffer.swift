// A pointer and a length as a user process handed them to the kernel.
//
// The kernel never dereferences these as they come: the only way to get
// at the memory is `validated(for:write:)`, which checks the whole range
// against the caller's page tables (present, user-accessible, writable
// when the kernel will write there) and only then gives out a raw buffer.
// The page tables, not the segment table, are asked because they are what
// the copy will really meet: a segment whose mapping failed half-way must
// not let a kernel copy fault in ring 0. A range of length zero is valid
// at any address (nothing will be touched). Everything a syscall reads
// from its registers that names memory goes through this type, and a
// range that fails is the caller's fault (CallerFault).

struct UserBuffer {
    private let address: UInt32
    private let length: UInt32

    init(address: UInt32, length: UInt32) {
        self.address = address
        self.length = length
    }

    @inline(__always)
    func validated(for process: Process, write: Bool) throws(CallerFault) -> UnsafeMutableRawBufferPointer {
        guard isAccessible(in: process, write: write) else {
            throw .outsideSegments(address: address, length: length)
        }
        return pointer
    }

    /// Whether `process` may reach the whole range (and write it, with `write`).
    @inline(__always)
    func isAccessible(in process: Process, write: Bool) -> Bool {
        process.space.userAccessible(address, length: length, write: write)
    }

    /// The range as a pointer: only what `isAccessible` allowed may be used.
    var pointer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: UInt(address)), count: Int(length))
    }
}
