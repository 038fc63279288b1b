// The segment system calls: private data and stack segments
// (SystemCall.allocateSegment, .allocateStack) and shared segments named
// by capabilities (.createSegment, .mapSegment, .unmapSegment; see
// SharedSegments). An address comes back as the call's value; a refusal as
// its Amoeba code, with every partial step undone.
import AmoebaCore
import KernelCore

enum SegmentCalls {
    static func allocateSegment(_ c: SystemCallContext) -> SystemCallOutcome {
        guard c.ebx > 0, c.ebx <= 16 << 20 else { return .refused(.argumentBad) }
        return fresh(c.process, kind: .data, size: c.ebx)
    }

    /// A thread's stack: read-write, with the unmapped page below it as its
    /// guard (freeRange leaves the page below every new segment unmapped).
    static func allocateStack(_ c: SystemCallContext) -> SystemCallOutcome {
        guard c.ebx >= 4096, c.ebx <= 1 << 20 else { return .refused(.argumentBad) }
        return fresh(c.process, kind: .stack, size: c.ebx)
    }

    private static func fresh(_ process: Process, kind: SegmentKind, size: UInt32) -> SystemCallOutcome {
        do throws(Process.Refusal) {
            return .returns(Int32(bitPattern: try process.addFreshSegment(kind: kind, size: (size + 0xFFF) & ~0xFFF)))
        } catch {
            return .refused(error.code)
        }
    }

    static func createSegment(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let out = try c.buffer(c.ecx, length: 16, write: true)
        do throws(ErrorCode) {
            let (address, cap) = try SharedSegments.create(c.process, size: c.ebx)
            cap.bytes.withUnsafeBytes { out.copyMemory(from: $0) }
            return .returns(Int32(bitPattern: address))
        } catch {
            return .refused(error)
        }
    }

    static func mapSegment(_ c: SystemCallContext) throws(CallerFault) -> SystemCallOutcome {
        let input = try c.buffer(c.ebx, length: 16, write: false)
        do throws(ErrorCode) {
            return .returns(Int32(bitPattern: try SharedSegments.map(c.process, Capability(bytes: Array(input)), flags: c.ecx)))
        } catch {
            return .refused(error)
        }
    }

    static func unmapSegment(_ c: SystemCallContext) -> SystemCallOutcome {
        do throws(ErrorCode) {
            try SharedSegments.unmap(c.process, address: c.ebx)
            return .returns(0)
        } catch {
            return .refused(error)
        }
    }
}
