// MODIFYs that overtake each other. A client with several writes in flight
// (put's pipelined upload) sends piece k+1 before piece k is answered, and
// the network, the daemons and the server's getreq threads may hand them
// over in either order. Amoeba's Bullet server refuses a MODIFY past the
// end of the file (STD_ARGBAD), so a client written for it waits for each
// reply before sending the next piece, and the link idles for a round trip
// per 30 KB.
//
// So a MODIFY of an uncommitted file at an offset past its end is held,
// answered STD_OK, and applied the moment the bytes in front of it arrive:
// the file is always built in offset order, exactly as if the pieces had
// come one after another. What a file may hold this way is bounded
// (`PendingLimits.earlyBytes`) and counts against the uncommitted files'
// memory; past the bound, and for anything but a plain MODIFY (a commit,
// INSERT, DELETE, a committed file), the answer stays Amoeba's STD_ARGBAD,
// which a pipelining client takes as "send it again once the pieces in
// front are answered". A commit finds the file whole or is refused: a gap
// left by a lost piece never becomes part of a committed file.

import AmoebaCore

extension BulletServer {
    /// Holds a MODIFY of pending file `n` that starts past its end.
    func holdEarly(_ n: UInt32, offset: Int, _ data: [UInt8]) -> ErrorCode {
        guard !data.isEmpty, let f = pending[n] else { return .argumentBad }
        let replaced = f.early[offset]?.count ?? 0
        guard f.earlyBytes - replaced + data.count <= pendingLimits.earlyBytes else { return .argumentBad }
        pending[n]!.early[offset] = data
        pending[n]!.earlyBytes += data.count - replaced
        return .ok
    }

    /// Overwrites what overlaps, appends the rest: both bulk copies. `at`
    /// lies within the bytes in memory or at their end, never past it.
    static func write(_ data: [UInt8], at: Int, into file: inout PendingFile) {
        let count = data.count
        let overlap = min(at + count, file.data.count) - at
        if overlap > 0 { file.data.replaceSubrange(at..<(at + overlap), with: data[0..<overlap]) }
        if overlap < count { file.data.append(contentsOf: data[overlap...]) }
    }

    /// Applies the held pieces the file's end has reached, lowest first.
    static func applyEarly(to file: inout PendingFile) {
        while let next = file.early.keys.min(), next <= file.size {
            let data = file.early.removeValue(forKey: next)!
            file.earlyBytes -= data.count
            // Held pieces start past every byte staged when they came, and
            // the end passes them only here; a piece among staged bytes
            // would need them back, which an upload never asks for.
            guard next >= file.stagedBytes else { continue }
            write(data, at: next - file.stagedBytes, into: &file)
        }
    }
}
