// The first user program. Started by ax (it has a STDOUT), it greets with
// its arguments, one environment string (the one SHOW names, else
// GREETING, else HOME) and the names of its capabilities, written to
// STDOUT (with a TTY, a line to the terminal and its size too), and exits 0. Started by the kernel from its image, it finds the
// console and the clock through the kernel directory, greets, reads the
// time, and exits with status 0; with argument 1 it keeps computing for a
// while first (floating point across preemptions), so fault tests can
// check that a neighbour survives them.
import AmoebaCore

func programMain(_ argument: UInt32) -> Int32 {
    if Program.capability("STDOUT") != nil {
        var line = "hello from \(Program.arguments.first ?? "?"):"
        for a in Program.arguments.dropFirst() { line += " " + a }
        print(line)
        let name = Program.environment("SHOW") ?? (Program.environment("GREETING") != nil ? "GREETING" : "HOME")
        print("\(name)=\(Program.environment(name) ?? "(not set)")")
        var names = "capabilities:"
        for (n, _) in Program.capabilities { names += " " + n }
        print(names)
        // With a terminal (ax gives TTY when it has one): a line straight
        // to it, and its size as TIOS_GETWSIZE tells it.
        if let tty = Program.capability("TTY") {
            _ = Console.write(tty, Array("hello on the terminal\n".utf8))
            let (size, _) = Amoeba.trans(Header(capability: tty, command: 3206))
            print("tty: \(size.status.name), \(size.size) rows, \(size.extra) columns")
        }
        return 0
    }
    print("user: hello from a protected process (argument \(argument))")
    guard let tod = Amoeba.lookup("tod") else { print("user: no tod"); return 2 }
    print("user: tod says \"\(Amoeba.info(tod))\"")
    let (t, _) = Amoeba.trans(Header(capability: tod, command: 2400))
    print("user: GETTIME status \(t.status.name), \(t.offset) s")
    if argument == 1 {
        var sum = 0.0
        for round in 0..<40 {
            for i in 0..<20_000 { sum += Double(i & 255) * 0.5 }
            if round % 10 == 0 { Amoeba.sleep(microseconds: 2000) }
        }
        // 20,000 = 78 x 256 + 32: per round 78 x 32,640 + (0+...+31) = 2,546,416, halved.
        let expected = 40.0 * 1_273_208.0
        print("user: worker finished, sum correct=\(sum == expected)")
        return sum == expected ? 0 : 3
    }
    if argument == 3 {
        // A user-mode driver's loop: the RTC's periodic interrupt, ten times.
        var fired = 0
        for _ in 0..<10 where Amoeba.awaitInterrupt(8, timeoutMicroseconds: 100_000) == 0 { fired += 1 }
        let refused = Amoeba.awaitInterrupt(0, timeoutMicroseconds: 1000)
        print("user: driver saw \(fired) interrupts on IRQ 8; awaiting IRQ 0 refused with \(refused)")
        return fired == 10 && refused == -1002 ? 0 : 6
    }
    if argument == 4 {
        // Null transactions from user mode to a kernel thread server.
        var h = Header()
        h.port = Port(bytes: [0x4E, 0x55, 0x4C, 0x4C, 0x00, 0x01])!.putPort
        for _ in 0..<50 { _ = Amoeba.trans(h, replyCapacity: 16) }
        let rounds: UInt64 = 1000
        let t0 = user_rdtsc()
        for _ in 0..<rounds { _ = Amoeba.trans(h, replyCapacity: 16) }
        let per = (user_rdtsc() &- t0) / rounds
        let t1 = user_rdtsc()
        for _ in 0..<rounds { Amoeba.yield() }
        let trap = (user_rdtsc() &- t1) / rounds
        print("measure: user process null transaction round trip \(per) counts")
        // The same to user servers (the `server` program, ports 5 and 6):
        // one loops on getreq and putrep, one on reply-and-receive.
        for (which, how) in [(UInt8(5), "getreq + putrep"), (UInt8(6), "reply-and-receive")] {
            var s = Header()
            s.port = Port(bytes: [which, 0x53, 0x45, 0x52, 0x56, 0x45])!.putPort
            for _ in 0..<50 { _ = Amoeba.trans(s, replyCapacity: 16) }
            let t = user_rdtsc()
            for _ in 0..<rounds { _ = Amoeba.trans(s, replyCapacity: 16) }
            print("measure: user process to user server (\(how)) null transaction round trip \((user_rdtsc() &- t) / rounds) counts")
        }
        print("measure: user process null system call (yield, nobody else ready) \(trap) counts")
        return 0
    }
    if argument == 2 {
        guard let segment = Amoeba.allocateSegment(3 * 4096) else { print("user: segment refused"); return 4 }
        let words = segment.bindMemory(to: UInt32.self, capacity: 3 * 1024)
        for i in 0..<(3 * 1024) { words[i] = UInt32(i) }
        var ok = true
        for i in 0..<(3 * 1024) where words[i] != UInt32(i) { ok = false }
        print("user: allocated segment at \(UInt(bitPattern: segment)), readable and writable=\(ok)")
        return ok ? 0 : 5
    }
    return 0
}
