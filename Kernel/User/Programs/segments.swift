// Shared segments between two processes. With argument 1 it is the client:
// it creates a segment, checks the kernel's refusals (bad sizes, flags,
// addresses, forged and altered capabilities), and hands the segment's
// capability to the server process in a transaction; each then sees the
// other's writes. With argument 0x31 it is that server: it maps the
// capabilities it is sent, reads and writes through them, and when sent a
// read-only capability it writes anyway, which must abort it alone.
import AmoebaCore
import KernelCore

let serverGetPort = Port(bytes: [0x31, 0x53, 0x45, 0x47, 0x53, 0x56])!

enum SegmentCommand {
    static let map: UInt16 = 1          // body: capability; offset: map result; data: word 0 seen
    static let read: UInt16 = 2         // offset in: word index (3-page segment); offset out: the word
    static let unmap: UInt16 = 3        // offset: unmap result
    static let mapAndWrite: UInt16 = 4  // body: capability; maps it and writes word 0
}

func serve() -> Int32 {
    var mapped: UnsafeMutablePointer<UInt32>? = nil
    while true {
        let (request, data) = Amoeba.getRequest(serverGetPort)
        var reply = Header()
        reply.status = .ok
        switch request.command {
        case SegmentCommand.map, SegmentCommand.mapAndWrite:
            guard let cap = Capability(bytes: Array(data.prefix(16))) else { reply.status = .argumentBad; break }
            switch Segments.map(cap) {
            case let .success(p):
                let words = p.bindMemory(to: UInt32.self, capacity: 3072)
                if request.command == SegmentCommand.mapAndWrite {
                    print("segserver: mapped a capability with rights \(cap.private.rights.rawValue), word 0 is \(words[0]); writing to it")
                    words[0] = 0xDEAD   // faults when the mapping is read-only
                    print("segserver: the write went through")
                } else {
                    mapped = words
                    reply.offset = Int32(bitPattern: UInt32(UInt(bitPattern: p)))
                    reply.extra = UInt16(truncatingIfNeeded: words[0])
                    words[1] = ~words[0]
                }
            case let .failure(e):
                reply.offset = Int32(e.rawValue)
            }
        case SegmentCommand.read:
            if let m = mapped { reply.offset = Int32(bitPattern: m[Int(UInt32(bitPattern: request.offset) % 3072)]) } else { reply.status = .notNow }
        case SegmentCommand.unmap:
            if let m = mapped { reply.offset = Int32(Segments.unmap(UnsafeMutableRawPointer(m)).rawValue); mapped = nil }
            else { reply.status = .notNow }
        default:
            reply.status = .commandBad
        }
        Amoeba.putReply(reply)
    }
}

var failures = 0
func check(_ ok: Bool, _ what: String) {
    if !ok { failures += 1; print("segclient: FAILED \(what)") }
}

func call(_ command: UInt16, offset: Int32 = 0, _ data: [UInt8] = []) -> Header {
    var h = Header()
    h.port = serverGetPort.putPort
    h.command = command
    h.offset = offset
    h.size = UInt16(data.count)
    return Amoeba.trans(h, data, replyCapacity: 16).0
}

func restricted(_ cap: Capability, to mask: UInt8) -> Capability? {
    var h = Header(capability: cap, command: StandardCommand.restrict)
    h.offset = Int32(mask)
    let (reply, _) = Amoeba.trans(h, replyCapacity: 16)
    return reply.status == .ok ? reply.capability : nil
}

func error<T>(_ r: Result<T, ErrorCode>) -> ErrorCode {
    if case let .failure(e) = r { return e }
    return .ok
}

func client() -> Int32 {
    // Refusals: each comes back as an error code, and this process carries on.
    check(error(Segments.create(0)) == .argumentBad, "size 0 refused")
    check(error(Segments.create(17 << 20)) == .argumentBad, "17 MiB refused")
    check(Segments.unmap(UnsafeMutableRawPointer(bitPattern: 0x4000_0000)!) == .argumentBad, "unmap of the text refused")

    guard case let .success((segment, cap)) = Segments.create(3 * 4096) else { print("segclient: create failed"); return 2 }
    let words = segment.bindMemory(to: UInt32.self, capacity: 3 * 1024)
    words[0] = 0xA11CE
    words[2048] = 3
    let info = Amoeba.info(cap)
    print("segclient: created a 3-page segment at \(UInt(bitPattern: segment)); std_info \"\(info)\"")
    check(info.hasPrefix("in-core segment, 12288 bytes"), "std_info of a segment")
    check(error(Segments.map(cap, flags: 6)) == .argumentBad, "unknown map flags refused")

    var forged = cap
    forged.private.check = forged.private.check.replacing(byte: 3, with: forged.private.check[3] ^ 0x40)
    var otherObject = cap
    otherObject.private.object = ObjectNumber(cap.private.object.value + 7)!
    var raised = restricted(cap, to: SegmentRights.read.rawValue)!
    raised.private.rights = .all
    var otherPort = cap
    otherPort.port = serverGetPort.putPort
    let forgedCodes = [error(Segments.map(forged)), error(Segments.map(otherObject)), error(Segments.map(raised)), error(Segments.map(otherPort))]
    var names = ""
    for c in forgedCodes { names += names.isEmpty ? c.name : " " + c.name }
    print("segclient: forged check, other object, raised rights, other port: \(names)")
    check(forgedCodes.allSatisfy { $0 == .capabilityBad }, "altered capabilities give STD_CAPBAD")
    check(Amoeba.info(forged) == ErrorCode.capabilityBad.name, "std_info with a forged capability gives STD_CAPBAD")

    // The capability travels to the server in a request; it maps the segment
    // and writes; each sees the other's writes.
    let mapped = call(SegmentCommand.map, cap.bytes)
    check(mapped.status == .ok && mapped.offset > 0 && mapped.extra == UInt16(0xA11CE & 0xFFFF), "server mapped it and read word 0")
    check(words[1] == ~UInt32(0xA11CE), "the server's write is seen here")
    words[2] = 0x5EED
    check(call(SegmentCommand.read, offset: 2).offset == 0x5EED, "this process's write is seen by the server")

    // A second mapping here, read-only on request: the same memory.
    if case let .success(again) = Segments.map(cap, readOnly: true) {
        check(again != segment && again.load(fromByteOffset: 8, as: UInt32.self) == 0x5EED, "second mapping shows the same memory")
        check(Segments.unmap(again) == .ok, "second mapping unmapped")
    } else { check(false, "read-only second mapping") }

    // Unmapped here, it lives on in the server; unmapped there too, it is gone.
    check(Segments.unmap(segment) == .ok, "unmap")
    check(Segments.unmap(segment) == .argumentBad, "a second unmap of the same address refused")
    check(call(SegmentCommand.read, offset: 2048).offset == 3, "the server still reads the segment after this process unmapped it")
    check(call(SegmentCommand.unmap).offset == 0, "server unmapped")
    check(error(Segments.map(cap)) == .capabilityBad, "a segment whose last mapping went is gone")
    print("segclient: both processes saw each other's writes; after the last unmap the capability is \(error(Segments.map(cap)).name)")

    // Rights decide the mapping: a read-only capability maps read-only, none maps not at all.
    guard case let .success((second, cap2)) = Segments.create(4096) else { print("segclient: create failed"); return 3 }
    second.storeBytes(of: UInt32(0xBEEF), as: UInt32.self)
    guard let readOnly = restricted(cap2, to: SegmentRights.read.rawValue), let noRights = restricted(cap2, to: 0) else {
        print("segclient: std_restrict failed"); return 4
    }
    check(readOnly.private.rights == SegmentRights.read, "restricted to PSR_READ")
    check(error(Segments.map(noRights)) == .denied, "a capability without PSR_READ is denied")
    let aborted = call(SegmentCommand.mapAndWrite, readOnly.bytes)
    print("segclient: the server wrote through a read-only mapping; its reply: \(aborted.status.name)")
    check(aborted.status == .rpcFailure, "the server was aborted while serving")
    check(second.load(as: UInt32.self) == 0xBEEF, "the read-only mapping did not change the segment")
    check(Segments.unmap(second) == .ok, "second segment unmapped")
    // The cost of mapping and unmapping a one-page segment by capability.
    if case let .success((page, pageCap)) = Segments.create(4096) {
        let t0 = user_rdtsc()
        for _ in 0..<200 { if case let .success(p) = Segments.map(pageCap) { _ = Segments.unmap(p) } }
        print("measure: seg map + seg unmap of a one-page segment \((user_rdtsc() &- t0) / 200) counts")
        _ = Segments.unmap(page)
    }

    // Exhaustion: 16 MiB segments until the page allocator runs dry; the
    // one that fails gives back what it had taken, and so do the others.
    var big: [UnsafeMutableRawPointer] = []
    var refusal = ErrorCode.ok
    while big.count < 8 {
        switch Segments.create(16 << 20) {
        case let .success((p, _)): big.append(p)
        case let .failure(e): refusal = e
        }
        if refusal != .ok { break }
    }
    var unmapped = true
    for p in big where Segments.unmap(p) != .ok { unmapped = false }
    print("segclient: 16 MiB segments until memory ran out: \(big.count) created, then \(refusal.name); all unmapped=\(unmapped)")
    check(big.count >= 1 && refusal == .noMemory && unmapped, "exhaustion is an error code, and is undone")
    print("segclient: \(failures) failures")
    return failures == 0 ? 0 : 1
}

func programMain(_ argument: UInt32) -> Int32 {
    argument == 0x31 ? serve() : client()
}
