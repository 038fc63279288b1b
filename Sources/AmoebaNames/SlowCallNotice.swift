// A line on stderr when a transaction is still waiting after two seconds.
//
// A host that is down costs the whole timeout before the RPC layer gives
// up, and a silent terminal for that long looks like a hung tool. The line
// says that the tool is waiting and how long it will wait at most, so the
// user can decide to wait or interrupt. Only on a terminal (or when
// AMOEBA_NOTICE=1 asks for it), so scripts and their logs stay clean; once
// per program, so a listing of many dead rows does not repeat it.

import Foundation

public enum SlowCallNotice {
    /// How long a call runs before the line is printed.
    public static let after: Duration = .seconds(2)

    nonisolated(unsafe) static var printed = false
    static let lock = NSLock()

    /// Decided once per program: `watch` wraps every transaction, and
    /// reading the environment builds a dictionary of all of it, which for
    /// `put` and `get` (one call per 30 KB) was about half their CPU.
    static let enabled = wanted(stderrIsTerminal: isatty(2) == 1, environment: ProcessInfo.processInfo.environment)

    static func wanted(stderrIsTerminal: Bool, environment: [String: String]) -> Bool {
        stderrIsTerminal || environment["AMOEBA_NOTICE"] == "1"
    }

    /// Runs `body`; if it is still running after `after`, prints
    /// `tool: still waiting for an answer (giving up after N s; --timeout
    /// sets it)` on stderr.
    public static func watch<R, E: Error>(timeout: Duration?, _ body: () throws(E) -> R) throws(E) -> R {
        guard enabled else { return try body() }
        let tool = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "amoeba"
        let limit = timeout.map { " (giving up after \(Int($0.components.seconds)) s; --timeout sets it)" } ?? ""
        let item = DispatchWorkItem {
            lock.lock()
            defer { lock.unlock() }
            guard !printed else { return }
            printed = true
            FileHandle.standardError.write(Data("\(tool): still waiting for an answer\(limit)\n".utf8))
        }
        let (s, atto) = after.components
        DispatchQueue.global().asyncAfter(deadline: .now() + Double(s) + Double(atto) / 1e18, execute: item)
        defer { item.cancel() }
        return try body()
    }
}
