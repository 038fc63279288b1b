// Scenario `tty`: reading the node's own `tty:00`. The test runner
// (scripts/kernel-tty-feed.py) holds the other end of the serial line and
// types only when this scenario says so on the console, so every read
// here has waited for real input arriving by the receive interrupt:
//
//   - a non-blocking read (h_extra ≠ 0) with nothing typed: STD_OK, no data;
//     a read with a capability lacking the READ right: STD_CAPBAD;
//   - 16 `cat` processes with STDIN = STDOUT = tty:00 all wait in FSQ_READ
//     (none holds the server: a write and std_info are answered meanwhile),
//     a 17th reader is refused STD_NOSPACE, then all 16 are killed while
//     they wait: their reads are dropped within the input thread's look-out
//     interval, and none of them takes the input that comes later;
//   - one more `cat` waits; the runner types "hello from the host" and a
//     carriage return; cat's copy appears on the console (the runner's
//     check), the CR having become a newline;
//   - the runner floods 5000 bytes with nobody reading: the ring keeps 4096,
//     counts 904 as lost, the kernel goes on; four non-blocking reads of
//     1024 get them all, a fifth gets nothing.
import AmoebaCore
import KernelCore

enum TTYScenario {
    static var failures = 0

    static func check(_ ok: Bool, _ what: String) {
        if !ok { failures += 1; print("tty: FAILED \(what)") }
    }

    static func read(_ cap: Capability, wanted: UInt16, nonBlocking: Bool) -> Message {
        var h = Header(capability: cap, command: TTYCommand.read)
        h.size = wanted
        h.extra = nonBlocking ? 1 : 0
        return LocalIPC.trans(Message(header: h))
    }

    /// Waits (guest time, in steps) until `condition` holds; false if it never did.
    static func waitUntil(_ limit: Interval, _ condition: () -> Bool) -> Bool {
        var waited: Int64 = 0
        while !condition() {
            if waited >= limit.microseconds { return false }
            Scheduler.sleep(.milliseconds(5))
            waited += 5000
        }
        return true
    }

    static func startCat(_ cap: Capability) -> Process? {
        try? Process.start("cat", program: Scenarios.program(program_cat(), program_cat_size()), arguments: [],
                           directory: KernelServers.directory!.identity.capability,
                           capabilities: [("STDIN", cap), ("STDOUT", cap)])
    }

    static func run() {
        guard let tty = TTYService.server else { Machine.fail("tty: no tty server") }
        let cap = tty.identity.capability

        // Nothing typed yet: a non-blocking read answers at once, empty.
        let empty = read(cap, wanted: 100, nonBlocking: true)
        check(empty.header.status == .ok && empty.header.size == 0 && empty.body.isEmpty,
              "non-blocking read with nothing typed")
        print("tty: non-blocking read with nothing typed: \(empty.header.status.name), \(empty.body.count) bytes")
        let writeOnly = (try? Restriction.restrict(cap, to: TTYRights.write)) ?? cap
        let denied = read(writeOnly, wanted: 10, nonBlocking: true)
        check(denied.header.status == .capabilityBad, "read without the READ right")
        print("tty: read without the READ right: \(denied.header.status.name)")

        // Readers that die while they wait.
        var cats: [Process] = []
        for _ in 0..<TTYService.maximumReaders { if let p = startCat(cap) { cats.append(p) } }
        let allWaiting = waitUntil(.seconds(5)) { TTYService.readers.count == TTYService.maximumReaders }
        check(cats.count == TTYService.maximumReaders && allWaiting, "16 readers waiting")
        let refused = read(cap, wanted: 10, nonBlocking: false)
        check(refused.header.status == .noSpace, "a 17th reader refused")
        let info = LocalIPC.trans(Message(header: Header(capability: cap, command: StandardCommand.info)))
        check(info.header.status == .ok, "std_info answered while readers wait")
        print("tty: \(TTYService.readers.count) cat processes waiting in FSQ_READ; a 17th reader: \(refused.header.status.name); std_info meanwhile: \(info.header.status.name)")
        let abandoned0 = TTYService.readersAbandoned
        for p in cats { Signals.terminate(p, "killed while reading") }
        var ended = true
        for p in cats { ended = p.finished.down(timeout: .seconds(2)) && ended }
        let t0 = Clock.now()
        let dropped = waitUntil(.seconds(2)) { TTYService.readers.isEmpty }
        let took = (Clock.now() - t0).microseconds
        check(ended && dropped && TTYService.readersAbandoned - abandoned0 == cats.count
              && took <= TTYService.pruneInterval.microseconds + 20_000, "dead readers dropped")
        print("tty: readers killed while waiting: \(TTYService.readersAbandoned - abandoned0) dropped, \(TTYService.readers.count) left, within \(took / 1000) ms")
        cats = []
        Scenarios.quiesce()

        // A live reader gets what is typed.
        let read0 = tty.bytesRead, written0 = tty.bytesWritten
        guard let cat = startCat(cap) else { Machine.fail("tty: cat does not start") }
        check(waitUntil(.seconds(5)) { TTYService.readers.count == 1 }, "cat waiting")
        print("tty: waiting for input")
        let line = "hello from the host\n"
        // The runner types only now; guest time may run far ahead meanwhile.
        let echoed = waitUntil(.seconds(100_000)) {
            tty.bytesRead - read0 >= line.utf8.count && tty.bytesWritten - written0 >= line.utf8.count
                && TTYService.readers.count == 1
        }
        check(echoed && tty.bytesRead - read0 == line.utf8.count && tty.bytesWritten - written0 == line.utf8.count,
              "cat read the line and wrote it back")
        print("tty: cat read \(tty.bytesRead - read0) bytes from tty:00 and wrote \(tty.bytesWritten - written0) back")
        Signals.terminate(cat, "done")
        check(cat.finished.down(timeout: .seconds(2)), "cat ended")
        check(waitUntil(.seconds(1)) { TTYService.readers.isEmpty }, "cat's read dropped")

        let after = read(cap, wanted: 100, nonBlocking: true)
        check(after.header.status == .ok && after.body.isEmpty, "non-blocking read after the line")

        // A flood with nobody reading.
        let typed0 = Interrupts.withDisabled { tty.input.received + tty.input.overflowed }
        print("tty: flood now")
        let flood = 5000
        let flooded = waitUntil(.seconds(100_000)) {
            Interrupts.withDisabled { tty.input.received + tty.input.overflowed } - typed0 >= UInt64(flood)
        }
        let kept = tty.input.count, lost = tty.input.overflowed
        check(flooded && kept == tty.input.capacity && Int(lost) == flood - tty.input.capacity, "flood kept and counted")
        print("tty: \(flood) bytes typed with nobody reading: \(kept) kept, \(lost) lost to a full buffer")
        var drained: [UInt8] = []
        var sizes: [Int] = []
        for _ in 0..<5 {
            let r = read(cap, wanted: 2000, nonBlocking: true)
            check(r.header.status == .ok && Int(r.header.size) == r.body.count, "drain read")
            check(r.body.isEmpty || r.header.extra == ReadMore.noMoreData.rawValue, "FSE_NOMOREDATA with data")
            sizes.append(r.body.count)
            drained += r.body
        }
        check(sizes == [1024, 1024, 1024, 1024, 0] && drained.allSatisfy { $0 == UInt8(ascii: "x") },
              "the flood read back")
        print("tty: drained with non-blocking reads of 2000: \(sizes[0]) \(sizes[1]) \(sizes[2]) \(sizes[3]) \(sizes[4]) bytes")
        print("tty: \(failures) failures")
        if failures == 0 { Machine.pass() } else { Machine.fail("tty scenario") }
    }
}
