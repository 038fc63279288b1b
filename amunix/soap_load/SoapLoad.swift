// soap_load: a stream of directory appends, for the replicated directory's
// test (scripts/soap-replica-test.sh) and its bench (scripts/soap-bench.sh).
//
// Appends rows PREFIX-0 ... PREFIX-(N-1) to one directory, one at a time,
// and prints "ack NAME" the moment each is acknowledged, so that a test
// killing servers meanwhile knows exactly which writes were promised. A
// failed append is tried again (a replica died with it, or the service was
// resetting); when the retry finds the row already there, the first try
// had been applied and the write counts as acknowledged. At the end one
// line of figures: writes, retries, failures, latency p50/p99/max (a
// write's latency includes its retries), writes per second, and the most
// retries any one write needed.

import AmoebaClient
import AmoebaCore
import AmoebaNames
import Amunix
import ArgumentParser
import DirectoryProtocol
import Foundation

@main
struct SoapLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soap_load", abstract: "Append rows to a directory one at a time and report what was acknowledged.")

    @Option(help: "A file holding the directory's capability (e.g. a root.cap).")
    var directory: String
    @Option(help: "Row names are PREFIX-0, PREFIX-1, ...")
    var prefix: String
    @Option(help: "Rows to append.")
    var count = 1000
    @Option(name: .customLong("timeout-ms"), help: "One try's timeout.")
    var timeoutMs = 3000
    @Option(help: "Tries of one append before it counts as failed.")
    var tries = 60
    @Flag(help: "Print no ack lines, only the figures.")
    var quiet = false
    @Option(help: "The amunixd socket (default: AMUNIX_SOCKET or /run/amunix/amunixd.sock).")
    var socket: String?

    func validate() throws {
        guard count >= 0, timeoutMs > 0, tries > 0 else { throw ValidationError("--count, --timeout-ms and --tries must be positive") }
        guard DirectoryName.isValid("\(prefix)-\(count)") else { throw ValidationError("--prefix makes no valid row name") }
    }

    func run() throws {
        guard let dir = RootCapability.read(file: directory) else {
            throw ValidationError("\(directory) holds no capability")
        }
        let connection = try AmunixConnection(path: socket ?? AmunixConnection.socketPathFromEnvironment)
        let client = DirectoryClient(transport: AmunixTransactor(connection: connection, timeout: .milliseconds(timeoutMs)), root: dir)
        let out = FileHandle.standardOutput
        var latencies = [Double]()
        var retries = 0, failed = 0, worst = 0
        let start = Date()
        for i in 0..<count {
            let name = "\(prefix)-\(i)"
            let t0 = Date()
            var acknowledged = false
            var lastError = ErrorCode.ok
            var attemptsUsed = 0
            for attempt in 0..<tries {
                attemptsUsed = attempt + 1
                if attempt > 0 {
                    retries += 1
                    usleep(100_000)
                }
                do throws(ErrorCode) {
                    try client.append(name, CapabilitySet(dir), masks: [0xFF, 0x06, 0x04], in: dir)
                    acknowledged = true
                } catch {
                    lastError = error
                    FileHandle.standardError.write(Data("soap_load: \(name) try \(attempt + 1): \(error.name)\n".utf8))
                    // Already there on a retry: the first try was applied.
                    if error == .exists, attempt > 0 { acknowledged = true }
                    if error == .exists, attempt == 0 { break }
                }
                if acknowledged { break }
            }
            if acknowledged {
                worst = max(worst, attemptsUsed - 1)
                latencies.append(Date().timeIntervalSince(t0))
                if !quiet { out.write(Data("ack \(name)\n".utf8)) }
            } else {
                failed += 1
                FileHandle.standardError.write(Data("soap_load: \(name) failed: \(lastError.name)\n".utf8))
            }
        }
        let seconds = Date().timeIntervalSince(start)
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000
        }
        let rate = seconds > 0 ? Double(latencies.count) / seconds : 0
        print(String(format: "figures %@ writes %d retries %d failed %d p50 %.2f ms p99 %.2f ms max %.1f ms rate %.0f/s most-retries %d",
                     prefix, latencies.count, retries, failed, percentile(0.5), percentile(0.99),
                     (latencies.last ?? 0) * 1000, rate, worst))
        if failed > 0 { throw ExitCode(1) }
    }
}
