// What the machine under a node's servers hands them: the time of day, the
// entropy, the statistics and the console log. The kernel and amunixd each
// implement it over what they have (the RTC and RDRAND, or the system clock
// and a seeded generator); tests implement it with fixed values. The
// servers read the world only through it, so one body of handlers serves
// both kinds of node and runs deterministically under test.
import AmoebaCore

/// The time of day as `tod` hands it out: seconds since 1970 and the
/// milliseconds into that second.
public struct WallClock: Hashable, Sendable {
    public var seconds: Int64
    public var milliseconds: Int

    public init(seconds: Int64, milliseconds: Int) {
        self.seconds = seconds
        self.milliseconds = milliseconds
    }

    public init(microsecondsSince1970 t: Int64) {
        self.init(seconds: t / 1_000_000, milliseconds: Int((t % 1_000_000) / 1000))
    }
}

/// One statistics report that sys KSTAT offers, selected by a letter.
public struct StatisticsReport: Sendable {
    public let letter: UInt8
    public let help: String
    /// The rights a caller's sys capability needs to read it (Amoeba's
    /// d_req_rgts; most need none).
    public let required: Rights

    public init(letter: Character, help: String, required: Rights = .none) {
        self.letter = letter.asciiValue ?? UInt8(ascii: "?")
        self.help = help
        self.required = required
    }
}

public protocol NodeHost {
    /// The time of day now.
    func wallClock() -> WallClock

    /// Fills `bytes` with unpredictable values.
    mutating func fillRandom(_ bytes: inout [UInt8])

    /// The reports sys KSTAT lists, in order.
    func statisticsReports() -> [StatisticsReport]

    /// The text of report `letter` (one of `statisticsReports`).
    func statistics(_ letter: UInt8) -> String

    /// The node's state in a few lines, for STD_STATUS on sys.
    func statusText() -> String

    /// The console output the node keeps, oldest byte first; nil when it
    /// keeps none (a Linux host's console is not the node's).
    func printBuffer() -> [UInt8]?
}
