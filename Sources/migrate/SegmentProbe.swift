// migrate --probe-segments (a test hook for scripts/ax-test.sh): reads
// every segment of a checkpoint through the capabilities it carries, as
// another kernel's exec would, and tries the reads a server must refuse
// (an offset past the end, a negative one, more than an RPC carries, a
// forged check field), reporting what came back in one line.

import AmoebaCore
import Amunix
import ProcessDescriptor

struct SegmentProbe {
    let connection: AmunixConnection
    static let bulletRead: UInt16 = 2006
    static let bulletSize: UInt16 = 2007
    static let chunk = 28 * 1024

    func probe(_ pd: ProcessDescriptor) -> String {
        var total = 0
        var sizesRight = 0
        var stackHasArguments = false
        for s in pd.segments {
            if let r = try? connection.trans(Header(capability: s.capability, command: Self.bulletSize), [], timeout: .seconds(10)),
               r.header.status == .ok, UInt32(bitPattern: r.header.offset) == s.length { sizesRight += 1 }
            var bytes: [UInt8] = []
            while bytes.count < Int(s.length) {
                var h = Header(capability: s.capability, command: Self.bulletRead)
                h.offset = Int32(bytes.count)
                h.size = UInt16(min(Self.chunk, Int(s.length) - bytes.count))
                guard let r = try? connection.trans(h, [], timeout: .seconds(10)), r.header.status == .ok, !r.data.isEmpty
                else { break }
                bytes += r.data
            }
            total += bytes.count
            if s.type.contains(.growDown), contains(bytes, Array("primes".utf8)) { stackHasArguments = true }
        }
        let first = pd.segments[0]
        var forged = first.capability
        forged.private = PrivatePart(object: forged.private.object, rights: .all, random: AmoebaCore.Port(bytes: [1, 2, 3, 4, 5, 6])!)
        let refusals = [
            "past the end " + read(first.capability, offset: Int32(bitPattern: first.length) + 1, size: 16),
            "negative offset " + read(first.capability, offset: -4096, size: 16),
            "30001 bytes " + read(first.capability, offset: 0, size: 30001),
            "forged check field " + read(forged, offset: 0, size: 16),
        ]
        return "\(pd.segments.count) segments, \(total) bytes read, \(sizesRight) sizes right, "
            + "stack holds the arguments: \(stackHasArguments); " + refusals.joined(separator: ", ")
    }

    /// The status a 16-byte read of `cap` gets.
    func status(of cap: Capability) -> String { read(cap, offset: 0, size: 16) }

    private func read(_ cap: Capability, offset: Int32, size: Int) -> String {
        var h = Header(capability: cap, command: Self.bulletRead)
        h.offset = offset
        h.size = UInt16(truncatingIfNeeded: size)
        guard let r = try? connection.trans(h, [], timeout: .seconds(10)) else { return "no answer" }
        return r.header.status.name
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<i + needle.count]) == needle {
            return true
        }
        return false
    }
}
