// The standard commands as the directory server answers them: STD_INFO
// (a `/` string with the rights: d, w, then one character per column bit),
// STD_RESTRICT (mask in `offset`, new private part in the reply header),
// STD_TOUCH and STD_NTOUCH (the object exists and the capability is good),
// STD_AGE (super capability only) and STD_STATUS (a line of counts).

import AmoebaCore
import DirectoryProtocol
import Storage

extension DirectoryServer {
    func info(_ header: Header) -> Result<[UInt8], ErrorCode> {
        if header.private.object.value == 0 {
            guard header.private.isValid(forRandom: superRandom) else { return .failure(.capabilityBad) }
            return .success(Array(DirectoryInfo.genericCapability.utf8))
        }
        if case .failure(let e) = object(header.private) { return .failure(e) }
        return .success(Array(DirectoryInfo.text(type: .directory, rights: header.private.rights).utf8))
    }

    func restrict(_ reply: inout Header) -> Result<[UInt8], ErrorCode> {
        if case .failure(let e) = acquire(reply.private, required: 0) { return .failure(e) }
        let mask = UInt8(truncatingIfNeeded: reply.offset)
        guard let cap = restricted(Capability(port: putPort, private: reply.private), to: mask) else {
            return .failure(.capabilityBad)
        }
        reply.private = cap.private
        return .success([])
    }

    func touch(_ header: Header) -> Result<[UInt8], ErrorCode> {
        if header.private.object.value == 0 { return .success([]) }
        switch object(header.private) {
        case .failure(let e): return .failure(e)
        case .success: return .success([])
        }
    }

    /// STD_NTOUCH: `size` private parts in the buffer; `extra` returns how
    /// many were good and the status is the last failure, if any.
    func nTouch(_ reply: inout Header, _ data: [UInt8]) -> Result<[UInt8], ErrorCode> {
        guard let parts = try? DirectoryRequest.touchList(data, count: Int(reply.size)) else {
            reply.extra = 0
            return .failure(.argumentBad)
        }
        var good: UInt16 = 0
        var last = ErrorCode.ok
        for p in parts {
            if p.object.value == 0 {
                good += 1
            } else if case .failure(let e) = object(p) {
                last = e
            } else {
                good += 1
            }
        }
        reply.extra = good
        return last == .ok ? .success([]) : .failure(last)
    }

    /// STD_AGE: allowed with the super capability holding all rights. The
    /// directories themselves never expire; the driver touches the objects
    /// they refer to (`referencedCapabilities`).
    func age(_ header: Header) -> Result<[UInt8], ErrorCode> {
        guard header.private.object.value == 0,
              header.private.isValid(forRandom: superRandom) else { return .failure(.capabilityBad) }
        guard header.private.rights == .all else { return .failure(.denied) }
        return .success([])
    }

    func status() -> Result<[UInt8], ErrorCode> {
        var rows = 0
        for (_, d) in directories { rows += d.count }
        var s = "soap: \(directories.count) directories, \(rows) rows"
        if sizeLimit < Int.max { s += ", \(storedBytes) of \(sizeLimit) bytes" }
        return .success(Array(s.utf8))
    }
}
