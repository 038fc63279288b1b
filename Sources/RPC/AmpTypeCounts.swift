// Messages counted by amp type, for the machine's statistics.
//
// Every message sent and received bumps one of these: six times in a null
// transaction. Kept as arrays inside the statistics struct, each bump was
// a uniqueness check of the array, a bounds check and a store back; here
// the counts lie in storage of their own, which a class changes in place
// with neither. `RPCStatistics` still shows them as arrays: they are
// copied out when the statistics are read, which is rare.
//
// Not for sharing between threads, like the machine that owns it.

final class AmpTypeCounts {
    /// One more than the largest amp type value, so a type is its index.
    static let slots = 12
    private let counts: UnsafeMutablePointer<Int>

    init() {
        counts = UnsafeMutablePointer<Int>.allocate(capacity: AmpTypeCounts.slots)
        counts.initialize(repeating: 0, count: AmpTypeCounts.slots)
    }

    deinit { counts.deallocate() }

    /// Counts one message of `type`.
    func record(_ type: AmpType) {
        counts[Int(type.rawValue)] += 1
    }

    /// The counts as the statistics show them: index = type value.
    var array: [Int] {
        Array(UnsafeBufferPointer(start: counts, count: AmpTypeCounts.slots))
    }
}
