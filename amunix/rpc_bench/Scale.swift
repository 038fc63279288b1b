// rpc_bench scale: how cost grows with the network, on the simulated one.
//
// No daemon and no wire: SimNet's segments, gateways and virtual clock,
// driving the same node bodies as amunixd and the kernel. Two curves:
//   locate  a client finds a port on the farthest segment, among N hosts on
//           S segments joined by gateways (ScaleLocate.swift);
//   load    one server against 1, 2, 4, ... concurrent clients
//           (ScaleLoad.swift).
// Each prints a table, one row per point, and one verdict line per curve:
// the log-log slope between its first and last points says whether the
// quantity grows linearly, sublinearly or worse. Virtual time is exact
// and repeatable; host CPU (process CPU time) is what the simulation cost.

import AmoebaCore
import ArgumentParser
import Foundation
import SimNet

extension GatewayLayout: ExpressibleByArgument {}

struct Scale: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure how locate and server load scale on the simulated network.",
        discussion: """
            Curve locate: for each layout, segment count S and host count N, a client on \
            one segment runs a null transaction to a port served on the farthest segment; \
            reports the virtual time to find it, the locate round's hop budget, frames sent \
            and received network-wide for the locate (first transaction minus a second, \
            cached one), and the host CPU of the run. \
            Curve load: one server with a fixed number of getreq slots, answering after \
            --service-us of virtual time, against 1, 2, 4, ... --clients client nodes on \
            its segment, each running null transactions back to back.
            """)

    enum Curve: String, ExpressibleByArgument, CaseIterable { case all, locate, load }

    @Option(help: "Which curves: all, locate or load.") var curve: Curve = .all
    @Option(help: "Host counts for the locate curve (comma-separated).") var nodes: String = "10,100,1000"
    @Option(help: "Segment counts for the locate curve (comma-separated).") var segments: String = "1,10"
    @Option(help: "Gateway layouts: ring, star, chain (comma-separated).") var layout: String = "ring,star"
    @Option(help: "Most concurrent clients for the load curve (doubling from --min-clients).") var clients: Int = 256
    @Option(help: "Fewest concurrent clients for the load curve.") var minClients: Int = 1
    @Option(help: "Server getreq slots for the load curve (comma-separated).") var slots: String = "8,64"
    @Option(help: "Virtual µs the server holds each request (comma-separated).") var serviceUs: String = "0,100"
    @Option(help: "Virtual ms of load before measuring.") var warmupMs: Int = 20
    @Option(help: "Virtual ms of load measured.") var windowMs: Int = 50
    @Option(help: "Seed of the simulated network.") var seed: UInt64 = 1
    @Option(help: "Locate runs per point; the host CPU shown is the least (virtual figures repeat exactly).")
    var repeats: Int = 5

    func validate() throws {
        guard (try? list(nodes))?.allSatisfy({ $0 >= 2 && $0 <= 100_000 }) == true else {
            throw ValidationError("--nodes: host counts 2 to 100000, comma-separated")
        }
        guard (try? list(segments))?.allSatisfy({ $0 >= 1 && $0 <= 1000 }) == true else {
            throw ValidationError("--segments: 1 to 1000, comma-separated")
        }
        guard (try? layouts()) != nil else { throw ValidationError("--layout: ring, star or chain, comma-separated") }
        guard clients >= 1, clients <= 4096 else { throw ValidationError("--clients must be 1 to 4096") }
        guard minClients >= 1, minClients <= clients else { throw ValidationError("--min-clients must be 1 to --clients") }
        guard (try? list(slots))?.allSatisfy({ $0 >= 1 && $0 <= 1024 }) == true else {
            throw ValidationError("--slots: 1 to 1024, comma-separated")
        }
        guard (try? list(serviceUs))?.allSatisfy({ $0 >= 0 && $0 <= 1_000_000 }) == true else {
            throw ValidationError("--service-us: 0 to 1000000, comma-separated")
        }
        guard repeats >= 1, repeats <= 100 else { throw ValidationError("--repeats must be 1 to 100") }
        guard warmupMs >= 0, windowMs >= 1 else { throw ValidationError("--warmup-ms >= 0, --window-ms >= 1") }
    }

    func run() throws {
        var ok = true
        if curve != .load { ok = runLocate() && ok }
        if curve != .locate { ok = runLoad() && ok }
        if !ok { throw ExitCode(1) }
    }

    private func list(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map {
            guard let v = Int($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("not a number: \($0)") }
            return v
        }
    }

    private func layouts() throws -> [GatewayLayout] {
        try layout.split(separator: ",").map {
            guard let l = GatewayLayout(rawValue: String($0)) else { throw ValidationError("no layout \($0)") }
            return l
        }
    }

    private func runLocate() -> Bool {
        let ns = (try? list(nodes)) ?? [], ss = (try? list(segments)) ?? [], ls = (try? layouts()) ?? []
        say("## locate: a client finds a port on the farthest segment (virtual time; host CPU of the run)")
        say(row(["layout", "S", "N", "gw", "eth hops", "found ms", "budget", "frames/locate", "rx/locate",
                   "setup ms", "cpu ms", "cpu µs/node", "ok"]))
        var allOK = true
        var curves: [(String, [LocatePoint])] = []
        for s in ss {
            // One segment has no gateways: the layout does not matter.
            for l in (s == 1 ? [ls.first ?? .ring] : ls) {
                var points: [LocatePoint] = []
                for n in ns {
                    var p = LocateBench.run(hosts: n, segments: s, layout: l, seed: seed)
                    for _ in 1..<repeats {
                        let q = LocateBench.run(hosts: n, segments: s, layout: l, seed: seed)
                        p.setupCPU = min(p.setupCPU, q.setupCPU)
                        p.locateCPU = min(p.locateCPU, q.locateCPU)
                    }
                    let total = n + p.gateways
                    say(row([s == 1 ? "-" : l.rawValue, "\(s)", "\(n)", "\(p.gateways)", "\(p.ethernetHops)",
                               p.found.map { ms($0) } ?? "never", p.foundAtHops.map { "\($0)" } ?? "-",
                               "\(p.framesPerLocate)", "\(p.receptionsPerLocate)",
                               String(format: "%.1f", Double(p.setupCPU) / 1000),
                               String(format: "%.1f", Double(p.locateCPU) / 1000),
                               String(format: "%.2f", Double(p.locateCPU) / Double(total)),
                               p.transactionOK ? "yes" : "NO"]))
                    allOK = allOK && p.transactionOK
                    points.append(p)
                }
                curves.append(("S=\(s)\(s == 1 ? "" : " " + l.rawValue)", points))
            }
        }
        for (name, points) in curves where points.count >= 2 {
            let x = points.map { Double($0.hosts + $0.gateways) }
            say("verdict locate \(name), over N: frames/locate \(verdict(x, points.map { Double($0.framesPerLocate) })); "
                  + "rx/locate \(verdict(x, points.map { Double($0.receptionsPerLocate) })); "
                  + "cpu \(verdict(x, points.map { Double($0.locateCPU) })); "
                  + "setup cpu \(verdict(x, points.map { Double($0.setupCPU) }))")
        }
        say("")
        return allOK
    }

    private func runLoad() -> Bool {
        let slotCounts = (try? list(slots)) ?? [], services = (try? list(serviceUs)) ?? []
        var ks: [Int] = []
        var k = minClients
        while k <= clients { ks.append(k); k *= 2 }
        say("## load: one server, K clients on its segment, null transactions back to back "
              + "(\(windowMs) ms virtual measured after \(warmupMs) ms)")
        say(row(["service µs", "slots", "K", "located", "served", "trans/s", "cpu µs/trans", "frames/trans", "p50 µs", "max µs",
                   "retrans", "naks", "enquiries", "failures"]))
        var curves: [(String, [LoadPoint])] = []
        var allOK = true
        for service in services {
            for s in slotCounts {
                var points: [LoadPoint] = []
                for k in ks {
                    let p = LoadBench.run(clients: k, slots: s, service: .microseconds(Int64(service)),
                                          warmup: .milliseconds(Int64(warmupMs)), window: .milliseconds(Int64(windowMs)),
                                          seed: seed)
                    say(row(["\(service)", "\(s)", "\(k)", "\(p.located)", "\(p.served)", String(format: "%.0f", p.perSecond),
                               String(format: "%.2f", p.cpuPerTransaction),
                               String(format: "%.2f", p.transactions == 0 ? 0 : Double(p.frames) / Double(p.transactions)),
                               "\(p.latencyP50.microseconds)", "\(p.latencyMax.microseconds)",
                               "\(p.retransmissions)", "\(p.naks)", "\(p.enquiries)", "\(p.failures)"]))
                    if !p.failureKinds.isEmpty {
                        say("  failures: " + p.failureKinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                            .joined(separator: ", "))
                    }
                    allOK = allOK && p.failures == 0 && p.transactions > 0
                    points.append(p)
                }
                curves.append(("service \(service) µs, \(s) slots", points))
            }
        }
        for (name, points) in curves where points.count >= 2 {
            let x = points.map { Double($0.clients) }
            let best = points.max { $0.perSecond < $1.perSecond }!
            say("verdict load \(name), over K: throughput \(verdict(x, points.map(\.perSecond))) "
                  + String(format: "(peak %.0f/s at K=%d)", best.perSecond, best.clients)
                  + "; total cpu \(verdict(x, points.map { Double($0.cpu) }))"
                  + "; cpu/trans \(verdict(x, points.map(\.cpuPerTransaction)))")
        }
        return allOK
    }

    private func ms(_ i: Interval) -> String { String(format: "%.3f", Double(i.microseconds) / 1000) }

    private func row(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |"
    }
}

/// How `y` grows with `x`, by the log-log slope from the first point to
/// the last (1 is linear), with the steepest step between neighbours when
/// it differs much: a curve can be flat and then turn.
func verdict(_ x: [Double], _ y: [Double]) -> String {
    guard let x0 = x.first, let x1 = x.last, let y0 = y.first, let y1 = y.last, x1 > x0 else { return "n/a" }
    if y0 <= 0 || y1 <= 0 { return "n/a (zero)" }
    let slope = log(y1 / y0) / log(x1 / x0)
    var steepest = -Double.infinity
    for i in 1..<x.count where x[i] > x[i - 1] && y[i] > 0 && y[i - 1] > 0 {
        steepest = max(steepest, log(y[i] / y[i - 1]) / log(x[i] / x[i - 1]))
    }
    let word: String
    switch slope {
    case ..<0.15: word = slope < -0.15 ? "falling (sublinear)" : "flat (sublinear)"
    case ..<0.85: word = "sublinear"
    case ...1.15: word = "linear"
    default: word = "worse than linear"
    }
    var s = word + String(format: " (slope %.2f", slope)
    if steepest > slope + 0.25 { s += String(format: ", steepest step %.2f", steepest) }
    return s + ")"
}

/// A line to standard output at once, unbuffered: a long run shows its
/// rows as they are measured, also through a pipe.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
