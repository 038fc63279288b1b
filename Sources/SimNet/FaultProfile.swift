// What can go wrong with a frame on a simulated segment.
//
// Each probability applies to each frame put on the segment, independently:
// it can vanish, arrive twice, be held back so that later frames overtake it,
// have a byte flipped, be cut short, or be delayed. Real Ethernet would drop
// a corrupted frame on its CRC; the simulator lets it through so that the
// decoders meet damaged input.

import AmoebaCore

public struct FaultProfile: Sendable {
    public var drop: Double
    public var duplicate: Double
    public var reorder: Double
    public var corrupt: Double
    public var truncate: Double
    public var delay: Double
    public var maxDelay: Interval

    public static let none = FaultProfile()

    public init(drop: Double = 0, duplicate: Double = 0, reorder: Double = 0, corrupt: Double = 0,
                truncate: Double = 0, delay: Double = 0, maxDelay: Interval = .milliseconds(5)) {
        self.drop = drop
        self.duplicate = duplicate
        self.reorder = reorder
        self.corrupt = corrupt
        self.truncate = truncate
        self.delay = delay
        self.maxDelay = maxDelay
    }
}
