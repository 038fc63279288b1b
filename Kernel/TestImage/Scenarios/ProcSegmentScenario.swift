// Scenario `procsegs`: segments made on the proc server (PS_SEG_CREATE,
// PS_SEG_WRITE) and a program run from them, as ax would run one with
// its stack built on the node.
//
//   - refusals, each leaving nothing allocated: size 0 and negative
//     STD_ARGBAD, 17 MiB and 2^31-1 STD_NOSPACE (past the store's bound), a clone
//     request whose data is no capability STD_ARGBAD, a forged server
//     capability STD_CAPBAD; the free page count is unchanged after them;
//   - a 10,000-byte segment: its capability (object 'S'<<16 | index, the
//     proc server's port), BS_SIZE 12,288 (whole pages), std_info;
//     PS_SEG_WRITE at offset -1 and at the end STD_ARGBAD, with data longer
//     than h_size STD_ARGBAD, without PSR_WRITE STD_CAPBAD, a write running
//     past the end cut to what fits (h_size says how much); BS_READ gives
//     back what was written; a clone (PS_SEG_CREATE with the capability as
//     data) holds the same bytes; STD_DESTROY without PSR_DELETE STD_CAPBAD,
//     with it STD_OK and the capability is STD_CAPBAD afterwards;
//   - 65 segments: the 65th is STD_NOSPACE, then all destroyed;
//   - `hello` as an Amoeba binary (descriptor, text, data; built here as
//     acv builds it) written into one segment, its stack (Amoeba's layout,
//     ROOT = the kernel directory) into another, PS_EXEC of a descriptor
//     naming both (the stack AND_DESTROY): hello runs and exits 0, the
//     stack segment is gone after the exec's reads, and the exec's cost
//     in guest instructions is printed (the README's figure);
//   - at the end no stored segment and no page is left.
import AmoebaCore
import KernelCore
import ProcessDescriptor

enum ProcSegmentScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("procsegs: FAILED \(what)") }
    }

    static func call(_ cap: Capability, _ command: UInt16, offset: Int32 = 0, size: UInt16 = 0,
                     body: [UInt8] = []) -> Message {
        var h = Header(capability: cap, command: command)
        h.offset = offset
        h.size = size
        return LocalIPC.trans(Message(header: h, body: body))
    }

    static func create(_ server: Capability, _ size: Int32, clone: [UInt8] = []) -> (ErrorCode, Capability) {
        let r = call(server, ProcessCommand.segmentCreate.rawValue, offset: size, body: clone)
        return (r.header.status, Capability(port: r.header.port, private: r.header.private))
    }

    /// Writes `bytes` at 0 in PS_SEG_WRITE chunks of 8 KiB, as the stub does.
    static func write(_ cap: Capability, _ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = min(8192, bytes.count - done)
            let r = call(cap, ProcessCommand.segmentWrite.rawValue, offset: Int32(done), size: UInt16(n),
                         body: Array(bytes[done..<done + n]))
            guard r.header.status == .ok, Int(r.header.size) == n else { return false }
            done += n
        }
        return true
    }

    static func run() {
        let server = ProcessServer.identity!.capability
        let free0 = Kernel.pages!.freeCount

        // Refusals: nothing taken.
        var forged = server
        forged.private = PrivatePart(object: .server, rights: .all, random: Port(bytes: [1, 2, 3, 4, 5, 6])!)
        let refusals = [create(server, 0).0, create(server, -4096).0, create(server, 17 << 20).0, create(server, Int32.max).0,
                        create(server, 4096, clone: [1, 2, 3, 4, 5]).0, create(forged, 4096).0]
        check(refusals == [.argumentBad, .argumentBad, .noSpace, .noSpace, .argumentBad, .capabilityBad], "create refusals")
        check(Kernel.pages!.freeCount == free0 && StoredSegments.pagesHeld == 0, "refusals took nothing")
        print("procsegs: PS_SEG_CREATE size 0, -4096, 17 MiB, 2^31-1, a clone of no capability, a forged server capability: \(refusals.map { $0.name }.joined(separator: " ")); pages taken \(free0 - Kernel.pages!.freeCount)")

        // One segment, written and read back.
        let (ok, seg) = create(server, 10_000)
        check(ok == .ok && seg.port == server.port && seg.private.object.value >> 16 == 0x53, "created")
        let size = call(seg, ProcessSegments.bulletSize)
        let info = call(seg, StandardCommand.info)
        check(size.header.offset == 12_288 && info.body == Array("in-core segment".utf8), "size and info")
        print("procsegs: a 10000-byte segment: BS_SIZE \(size.header.offset), std_info \"\(String(decoding: info.body, as: UTF8.self))\"")
        let readOnly = (try? Restriction.restrict(seg, to: ProcessRights.read)) ?? seg
        let pattern = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let w = ProcessCommand.segmentWrite.rawValue
        let badWrites = [call(seg, w, offset: -1, size: 4, body: [1, 2, 3, 4]).header.status,
                         call(seg, w, offset: 12_288, size: 4, body: [1, 2, 3, 4]).header.status,
                         call(seg, w, offset: 0, size: 2, body: [1, 2, 3, 4]).header.status,
                         call(readOnly, w, offset: 0, size: 4, body: [1, 2, 3, 4]).header.status]
        check(badWrites == [.argumentBad, .argumentBad, .argumentBad, .capabilityBad], "write refusals")
        let good = call(seg, w, offset: 100, size: 300, body: pattern)
        let tail = call(seg, w, offset: 12_200, size: 300, body: pattern)
        check(good.header.status == .ok && good.header.size == 300 && tail.header.status == .ok && tail.header.size == 88,
              "writes")
        let back = call(seg, Process.bulletRead, offset: 100, size: 300)
        let end = call(seg, Process.bulletRead, offset: 12_200, size: 300)
        let past = call(seg, Process.bulletRead, offset: 12_289, size: 1)
        check(back.body == pattern && end.body == Array(pattern.prefix(88)) && past.header.status == .commandBad, "read back")
        print("procsegs: PS_SEG_WRITE at -1, at the end, data past h_size, without PSR_WRITE: \(badWrites.map { $0.name }.joined(separator: " ")); 300 bytes at 12200 wrote \(tail.header.size); read back intact=\(back.body == pattern && end.body == Array(pattern.prefix(88)))")
        let (cloned, copy) = create(server, 4096, clone: seg.bytes)
        let copied = call(copy, Process.bulletRead, offset: 100, size: 300)
        check(cloned == .ok && copied.body == pattern, "clone")
        let noDelete = (try? Restriction.restrict(seg, to: Rights(rawValue: 0x07))) ?? seg
        let destroyDenied = call(noDelete, StandardCommand.destroy).header.status
        let destroyed = call(seg, StandardCommand.destroy).header.status
        let gone = call(seg, ProcessSegments.bulletSize).header.status
        _ = call(copy, StandardCommand.destroy)
        check(destroyDenied == .capabilityBad && destroyed == .ok && gone == .capabilityBad, "destroy")
        print("procsegs: clone \(cloned.name), same bytes=\(copied.body == pattern); STD_DESTROY without PSR_DELETE \(destroyDenied.name), with it \(destroyed.name), then \(gone.name)")

        // The store's bound.
        var many: [Capability] = []
        var last = ErrorCode.ok
        for _ in 0...StoredSegments.maximumSegments {
            let (code, cap) = create(server, 4096)
            if code == .ok { many.append(cap) } else { last = code }
        }
        for cap in many { _ = call(cap, StandardCommand.destroy) }
        check(many.count == StoredSegments.maximumSegments && last == .noSpace, "segment bound")
        print("procsegs: \(many.count) segments, then \(last.name); all destroyed, \(StoredSegments.pagesHeld) pages held")

        // A program run from segments on the proc server.
        execHello(server)

        Scenarios.quiesce()
        let leaked = free0 - Kernel.pages!.freeCount
        check(StoredSegments.pagesHeld == 0 && leaked == 0, "everything returned")
        print("procsegs: \(StoredSegments.report), \(leaked) pages not yet returned")
        print("procsegs: \(failures) failures")
        if failures == 0 { Machine.pass() } else { Machine.fail("procsegs scenario") }
    }

    static func execHello(_ server: Capability) {
        let raw = Scenarios.program(program_hello(), program_hello_size())
        guard let image = try? ELFImage(raw),
              let t = image.segments.first(where: { $0.executable && !$0.writable }) else {
            check(false, "hello's ELF"); return
        }
        let d = image.segments.first { $0.writable }
        let text = Array(raw[Int(t.fileOffset)..<Int(t.fileOffset + t.fileSize)])
        let data = d.map { Array(raw[Int($0.fileOffset)..<Int($0.fileOffset + $0.fileSize)]) } ?? []
        guard let binary = try? AmoebaBinary.build(entry: image.entry, textAddress: t.virtualAddress, text: text,
                                                   dataAddress: d?.virtualAddress ?? ((t.virtualAddress + t.memorySize + 0xFFF) & ~0xFFF),
                                                   data: data, dataMemorySize: d?.memorySize ?? 0) else {
            check(false, "hello as an Amoeba binary"); return
        }
        let (made, file) = create(server, Int32(binary.count))
        guard made == .ok, write(file, binary), var pd = try? AmoebaBinary.descriptor(of: binary, file: file),
              let i = pd.segments.firstIndex(where: { $0.type.contains(.system) }) else {
            check(false, "hello stored in a segment"); return
        }
        // The stack as ax lays it out: at the top of user memory.
        let root = KernelServers.directory!.identity.capability
        let length = 64 * 1024
        let start = UInt32((UInt64(ProcessDefaults.lastUserClickPlusOne) << 12) - UInt64(length))
        guard let stack = try? InitialStack(start: start, length: length, arguments: ["hello"], environment: [],
                                            capabilities: [("ROOT", root)]) else {
            check(false, "stack"); return
        }
        let (stackMade, stackCap) = create(server, Int32(length))
        guard stackMade == .ok, write(stackCap, stack.bytes) else { check(false, "stack stored in a segment"); return }
        pd.segments[i] = ProcessSegment(capability: stackCap, offset: 0, address: start, length: UInt32(length), type: .execStack)
        pd.threads[0].sp = stack.stackPointer
        let body = pd.encoded()
        let reply = call(server, ProcessCommand.exec.rawValue, size: UInt16(body.count), body: body)
        let cost = ProcessServer.lastExec
        let n = Int(reply.header.private.object.value & 0xFFFF)
        guard reply.header.status == .ok, n < ProcessServer.slots.count, let p = ProcessServer.slots[n]?.process else {
            check(false, "PS_EXEC of hello from segments: \(reply.header.status.name)"); return
        }
        // The proc server's worker waits on the process's end (and then
        // clears the slot): watch for that rather than take its wake-up.
        let slot = ProcessServer.slots[n]
        var waited = 0
        while ProcessServer.slots[n] === slot && waited < 5000 { Scheduler.sleep(.milliseconds(5)); waited += 5 }
        let ended = ProcessServer.slots[n] !== slot
        let stackGone = call(stackCap, ProcessSegments.bulletSize).header.status
        let fileDestroyed = call(file, StandardCommand.destroy).header.status
        check(ended && p.ending == .exited(0), "hello ran from segments and exited 0")
        check(stackGone == .capabilityBad && fileDestroyed == .ok, "the stack segment went with the exec (AND_DESTROY)")
        print("procsegs: PS_EXEC of hello from two segments on the proc server: \(reply.header.status.name), exited \(p.ending == .exited(0) ? "0" : "otherwise"); stack segment afterwards \(stackGone.name)")
        print("procsegs: exec cost \(cost.counts) guest instructions (decode, \(cost.reads) BS_READs of \(cost.bytes) bytes from the proc server, mapping, thread start)")
    }
}
