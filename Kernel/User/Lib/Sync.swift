// Mutex, semaphore and barrier for the threads of this process, kept by
// the kernel (SystemCall.createSync and friends). Each wait takes an
// optional timeout in microseconds (nil: for ever, 0: only try) and says
// how it ended: .ok, STD_NOTNOW (timed out), STD_INTR (a caught signal cut
// it short), STD_ARGBAD (misuse, e.g. unlocking a mutex not held).
import AmoebaCore
import KernelCore

struct SyncObject {
    let handle: UInt32

    /// nil when the kernel refuses (STD_NOSPACE past the process's limit).
    fileprivate init?(kind: UInt32, count: UInt32) {
        let r = systemCall(.createSync, kind, count)
        guard r >= 0 else { return nil }
        handle = UInt32(r)
    }

    fileprivate func wait(_ timeoutMicroseconds: UInt32?) -> ErrorCode {
        code(systemCall(.waitSync, handle, timeoutMicroseconds ?? UInt32.max))
    }

    fileprivate func post() -> ErrorCode { code(systemCall(.postSync, handle)) }

    /// Gives the handle back; STD_NOTNOW while in use.
    func destroy() -> ErrorCode { code(systemCall(.destroySync, handle)) }

    private func code(_ r: Int32) -> ErrorCode { ErrorCode(rawValue: Int16(truncatingIfNeeded: r)) }
}

struct Mutex {
    let object: SyncObject
    init?() { guard let o = SyncObject(kind: 1, count: 0) else { return nil }; object = o }
    @discardableResult func lock(timeoutMicroseconds: UInt32? = nil) -> ErrorCode { object.wait(timeoutMicroseconds) }
    @discardableResult func unlock() -> ErrorCode { object.post() }
}

struct Semaphore {
    let object: SyncObject
    init?(_ value: UInt32) { guard let o = SyncObject(kind: 2, count: value) else { return nil }; object = o }
    @discardableResult func down(timeoutMicroseconds: UInt32? = nil) -> ErrorCode { object.wait(timeoutMicroseconds) }
    @discardableResult func up() -> ErrorCode { object.post() }
}

struct Barrier {
    let object: SyncObject
    init?(parties: UInt32) { guard let o = SyncObject(kind: 3, count: parties) else { return nil }; object = o }
    @discardableResult func arrive(timeoutMicroseconds: UInt32? = nil) -> ErrorCode { object.wait(timeoutMicroseconds) }
}
