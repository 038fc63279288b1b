// `call=CAP[,CAP...]` on the command line: a kernel thread that, once the
// node is on the network, asks each capability's server for std_info and
// the time (tod's GETTIME) and prints what came back. It is how the tests
// see a kernel node reach another kernel node or a Linux host through the
// very trans a local client uses: nothing here knows the server is remote.
// With `calls=N` it then times N null transactions to the first capability
// (a bench server's) and prints their p50 and p99, for the benchmarks.
//
// `run=hello:CAP` does the same from user mode: the `hello` program starts
// in a protected process with CAP (another node's kernel directory, say)
// as the directory it finds its servers in, so its lookup of `tod`, the
// std_info and GETTIME all cross the network through system calls.
import AmoebaCore
import KernelCore

enum RemoteCaller {
    static func start(_ line: BootCommandLine) {
        if let run = line.value(of: "run") {
            for program in run.split(separator: ",") { startProgram(String(program)) }
        }
        guard let list = line.value(of: "call") else { return }
        var targets: [Capability] = []
        for text in list.split(separator: ",") {
            do throws(CapabilityTextError) {
                targets.append(try Capability(text: String(text)))
            } catch {
                print("[call] not a capability: \(text)")
            }
        }
        guard !targets.isEmpty else { return }
        _ = Scheduler.spawn("caller", priority: Priority()) {
            for cap in targets { call(cap) }
            if let n = line.value(of: "calls").flatMap({ Int($0) }), n > 0 { time(n, to: targets[0]) }
            print("[call] done")
        }
    }

    private static func call(_ cap: Capability) {
        let start = Clock.now()
        let info = LocalIPC.trans(Message(header: Header(capability: cap, command: StandardCommand.info)))
        let took = (Clock.now() - start).microseconds
        var text = ""
        for b in info.body where b >= 0x20 && b < 0x7F { text.append(Character(Unicode.Scalar(b))) }
        print("[call] std_info \(cap.text): \(info.header.status.name) \"\(text)\" in \(took) us")
        let time = LocalIPC.trans(Message(header: Header(capability: cap, command: 2400)))
        if time.header.status == .ok {
            print("[call] tod \(cap.text): \(time.header.offset) s since 1970")
        } else {
            print("[call] tod \(cap.text): \(time.header.status.name)")
        }
    }

    private static func time(_ count: Int, to cap: Capability) {
        let request = Message(header: Header(capability: cap, command: BenchServer.echo))
        for _ in 0..<min(100, count) { _ = LocalIPC.trans(request) }   // warm the route and the port cache
        var took: [Int64] = []
        took.reserveCapacity(count)
        var failures = 0
        for _ in 0..<count {
            let start = Clock.now()
            let reply = LocalIPC.trans(request)
            took.append((Clock.now() - start).microseconds)
            if reply.header.status != .ok { failures += 1 }
        }
        took.sort()
        let p50 = took[count / 2], p99 = took[min(count - 1, count * 99 / 100)]
        print("[call] \(count) null transactions to \(cap.text): p50 \(p50) us p99 \(p99) us, \(failures) failed")
    }

    /// `hello:CAP`: the carried program started with CAP as its directory;
    /// `server:N`: the user server on get-port [N, "SERVE"], for callers
    /// on the network; `signals:N`: the signals program with argument N
    /// (4: a signal cutting short a remote trans). Several, comma-separated.
    private static func startProgram(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        if parts.count == 2, parts[0] == "server", let n = UInt32(parts[1]), n < 256 {
            let image = Scenarios.program(program_server(), program_server_size())
            guard let p = Scenarios.start("server", image, n) else { print("[run] server did not load"); return }
            print("[run] process \(p.id) (server) serving get-port \(Hex.encode([UInt8(n)] + Array("SERVE".utf8)))")
            return
        }
        if parts.count == 2, parts[0] == "signals", let n = UInt32(parts[1]) {
            let image = Scenarios.program(program_signals(), program_signals_size())
            guard let p = Scenarios.start("signals", image, n) else { print("[run] signals did not load"); return }
            print("[run] process \(p.id) (signals) started with argument \(n)")
            return
        }
        guard parts.count == 2, parts[0] == "hello" else {
            print("[run] expected run=hello:CAPABILITY, run=server:N or run=signals:N")
            return
        }
        let directory: Capability
        do throws(CapabilityTextError) {
            directory = try Capability(text: String(parts[1]))
        } catch {
            print("[run] not a capability: \(parts[1])")
            return
        }
        let image = Scenarios.program(program_hello(), program_hello_size())
        do throws(Process.LoadError) {
            let p = try Process.start("hello", program: image, arguments: [0], directory: directory)
            print("[run] process \(p.id) (hello) started with directory \(directory.text)")
        } catch {
            print("[run] hello did not load")
        }
    }
}
