// The synchronisation system calls (SystemCall.createSync, .waitSync,
// .postSync, .destroySync) over the caller's own table of UserSyncObjects.
// A handle that names nothing in that table is STD_ARGBAD, not a fault:
// a stale handle is an ordinary bug the caller can report.
import AmoebaCore

enum SyncCalls {
    static func createSync(_ c: SystemCallContext) -> SystemCallOutcome {
        guard let kind = UserSyncObject.Kind(rawValue: c.ebx) else { return .refused(.argumentBad) }
        let count: Int
        switch kind {
        case .mutex: count = 0
        case .semaphore:
            guard c.ecx <= UInt32(Int32.max) else { return .refused(.argumentBad) }
            count = Int(c.ecx)
        case .barrier:
            guard c.ecx >= 2, c.ecx <= UInt32(Limits.threadsPerProcess) else { return .refused(.argumentBad) }
            count = Int(c.ecx)
        }
        let table = c.process.syncObjects
        let slot = table.firstIndex { $0 == nil } ?? table.count
        guard slot < Limits.syncObjectsPerProcess else { return .refused(.noSpace) }
        let object = UserSyncObject(kind: kind, count: count)
        if slot == table.count { c.process.syncObjects.append(object) } else { c.process.syncObjects[slot] = object }
        return .returns(Int32(slot))
    }

    static func waitSync(_ c: SystemCallContext) -> SystemCallOutcome {
        guard let object = object(c) else { return .refused(.argumentBad) }
        let timeout: Interval? = c.ecx == UInt32.max ? nil : .microseconds(Int64(c.ecx))
        do throws(UserSyncObject.Refusal) {
            try object.wait(timeout: timeout)
            return .returns(0)
        } catch {
            return .refused(code(error))
        }
    }

    static func postSync(_ c: SystemCallContext) -> SystemCallOutcome {
        guard let object = object(c) else { return .refused(.argumentBad) }
        do throws(UserSyncObject.Refusal) {
            try object.post()
            return .returns(0)
        } catch {
            return .refused(code(error))
        }
    }

    static func destroySync(_ c: SystemCallContext) -> SystemCallOutcome {
        guard let object = object(c) else { return .refused(.argumentBad) }
        guard !object.isBusy else { return .refused(.notNow) }
        c.process.syncObjects[Int(c.ebx)] = nil
        return .returns(0)
    }

    private static func object(_ c: SystemCallContext) -> UserSyncObject? {
        let table = c.process.syncObjects
        guard c.ebx < UInt32(table.count) else { return nil }
        return table[Int(c.ebx)]
    }

    private static func code(_ refusal: UserSyncObject.Refusal) -> ErrorCode {
        switch refusal {
        case .notNow: return .notNow
        case .interrupted: return .interrupted
        case .killed: return .notNow          // never seen: the thread leaves on its way out
        case .notHeld, .alreadyHeld, .notPostable: return .argumentBad
        case .full: return .noSpace
        }
    }
}
