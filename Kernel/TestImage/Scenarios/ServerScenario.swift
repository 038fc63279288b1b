// Scenario `servers`: a client thread finds every core server through the
// kernel directory and talks to it with local transactions: std_info with
// the right type characters, the time, random bytes, kernel statistics,
// the console log, a write to the tty; and the refusals — a forged
// capability, an unknown command, a port nobody serves.
import AmoebaCore
import DirectoryProtocol
import KernelCore
import NodeServers

enum ServerScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("servers: FAILED \(what)") }
    }

    static func call(_ cap: Capability, _ command: UInt16, size: UInt16 = 0, offset: Int32 = 0, extra: UInt16 = 0,
                     body: [UInt8] = []) -> Message {
        var h = Header(capability: cap, command: command)
        h.size = size
        h.offset = offset
        h.extra = extra
        return LocalIPC.trans(Message(header: h, body: body))
    }

    static func text(_ m: Message) -> String {
        var s = ""
        for b in m.body where b != 0 { s.append(Character(Unicode.Scalar(b))) }
        return s
    }

    /// Whether the reply data contains `s` (no Foundation in the kernel).
    static func has(_ m: Message, _ s: String) -> Bool {
        let needle = Array(s.utf8)
        guard needle.count <= m.body.count else { return false }
        for start in 0...(m.body.count - needle.count) where m.body[start] == needle[0] {
            if Array(m.body[start..<start + needle.count]) == needle { return true }
        }
        return false
    }

    static func run() {
        let dirCap = KernelServers.directory!.identity.capability
        let info = call(dirCap, StandardCommand.info)
        check(info.header.status == .ok && text(info).hasPrefix("%"), "directory std_info")
        print("servers: directory std_info \"\(text(info))\"")
        // LIST in SOAP's layout: the heading, then rows as far as they fit.
        let listing = call(dirCap, DirectoryCommand.list, size: 1024)
        check(listing.header.status == .ok && listing.header.extra == DirectoryLimits.noMoreRows
              && has(listing, "owner") && has(listing, "tty:00"), "directory list (SOAP layout)")
        let firstPage = call(dirCap, DirectoryCommand.list, size: 40)
        check(firstPage.header.status == .ok && firstPage.header.extra == 1, "directory list paged")
        print("servers: directory LIST \(listing.body.count) bytes, paged at row \(firstPage.header.extra)")

        var caps: [String: Capability] = [:]
        for name in ["sys", "tod", "random", "tty:00"] {
            let r = call(dirCap, DirectoryCommand.lookup, body: DirectoryRequest.name(name))
            guard r.header.status == .ok, let answer = try? DirectoryReply.lookup(r.body), answer.rest.isEmpty,
                  let cap = answer.capabilities.current.first else {
                check(false, "lookup \(name) (\(r.header.status.name))")
                continue
            }
            caps[name] = cap
            let i = call(cap, StandardCommand.info)
            check(i.header.status == .ok, "std_info \(name)")
            print("servers: \(name) std_info \"\(text(i))\"")
        }
        guard caps.count == 4 else { Machine.fail("lookups failed") }
        check(text(call(caps["tty:00"]!, StandardCommand.info)).hasPrefix("+"), "tty type character +")
        let missing = call(dirCap, DirectoryCommand.lookup, body: DirectoryRequest.name("nosuch"))
        check(missing.header.status == .notFound, "lookup of a missing name gives STD_NOTFOUND")
        // Where the kernel's and amunixd's copies of these servers used to
        // differ, Amoeba's answers (sp_trans, rndtask.c).
        let unterminated = call(dirCap, DirectoryCommand.lookup, body: Array("sys".utf8))
        check(unterminated.header.status == .argumentBad, "lookup without a NUL gives STD_ARGBAD")
        let itself = call(dirCap, DirectoryCommand.lookup, body: DirectoryRequest.name("/"))
        check(itself.header.status == .ok && (try? DirectoryReply.lookup(itself.body))?.capabilities.current == [dirCap],
              "lookup of an empty path gives the directory itself")
        let age = call(dirCap, StandardCommand.age).header.status
        let destroy = call(dirCap, StandardCommand.destroy).header.status
        check(age == .commandBad && destroy == .directoryNotEmpty, "directory STD_AGE and STD_DESTROY")
        let most = call(caps["random"]!, RandomCommand.getRandom, size: 5000)
        check(most.header.status == .ok && most.body.count == RandomServer.maximum, "GETRANDOM is capped at MAX_RANDOM")
        print("servers: as Amoeba: directory STD_AGE \(age.name), STD_DESTROY \(destroy.rawValue), empty path the directory; GETRANDOM 5000 gives \(most.body.count)")

        let t = call(caps["tod"]!, TimeCommand.getTime)
        check(t.header.status == .ok && Int64(t.header.offset) >= Kernel.bootUnixSeconds && t.header.size < 1000, "tod GETTIME")
        print("servers: tod GETTIME \(t.header.offset) s \(t.header.size) ms")

        let r1 = call(caps["random"]!, RandomCommand.getRandom, size: 16)
        let r2 = call(caps["random"]!, RandomCommand.getRandom, size: 16)
        check(r1.body.count == 16 && r2.body.count == 16 && r1.body != r2.body, "random GETRANDOM differs")
        print("servers: random GETRANDOM 16 bytes x2, distinct=\(r1.body != r2.body)")

        let kinds = call(caps["sys"]!, SystemCommand.kstat, extra: UInt16(SystemServer.listLetter))
        let memory = call(caps["sys"]!, SystemCommand.kstat, extra: UInt16(UInt8(ascii: "m")))
        check(has(kinds, "memory") && text(memory).hasPrefix("heap:"), "sys KSTAT")
        print("servers: sys KSTAT m: \(text(memory).split(separator: "\n").first ?? "")")
        let network = call(caps["sys"]!, SystemCommand.kstat, extra: UInt16(UInt8(ascii: "n")))
        check(has(kinds, "network interface") && !text(network).isEmpty, "sys KSTAT n")
        print("servers: sys KSTAT n: \(text(network).split(separator: "\n").first ?? "")")
        let log = call(caps["sys"]!, SystemCommand.printBuffer)
        check(has(log, "VX kernel booting"), "sys PRINTBUF holds the boot log")
        print("servers: sys PRINTBUF \(log.body.count) bytes")

        let hello = Array("servers: hello through tty:00\n".utf8)
        let w = call(caps["tty:00"]!, TTYCommand.write, size: UInt16(hello.count), body: hello)
        check(w.header.status == .ok && Int(w.header.size) == hello.count, "tty write")

        // Refusals.
        var forged = caps["tod"]!
        forged.private.check = forged.private.check.replacing(byte: 0, with: forged.private.check[0] ^ 1)
        check(call(forged, TimeCommand.getTime).header.status == .capabilityBad, "forged capability gives STD_CAPBAD")
        check(call(caps["tod"]!, 2499).header.status == .commandBad, "unknown command gives STD_COMBAD")
        var nowhere = caps["tod"]!
        nowhere.port = KernelServers.randomPort()
        check(call(nowhere, StandardCommand.info).header.status == .rpcNotFound, "unserved port gives RPC_NOTFOUND")
        let restricted = call(caps["tod"]!, StandardCommand.restrict, offset: 0x01)
        check(restricted.header.status == .ok && call(restricted.header.capability, TimeCommand.getTime).header.status == .ok,
              "restricted capability still works")
        print("servers: refusals: forged STD_CAPBAD, unknown STD_COMBAD, unserved RPC_NOTFOUND; restrict ok")
        if failures == 0 { Machine.pass() } else { Machine.fail("\(failures) server checks failed") }
    }
}
